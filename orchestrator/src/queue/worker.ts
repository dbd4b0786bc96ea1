/**
 * The worker loop: claims due jobs of the queues that have a registered handler, runs up to
 * `concurrency` at once, heartbeats their leases, and records the outcome. A handler that throws
 * fails the attempt (retried with backoff while attempts remain).
 *
 * Handlers receive an AbortSignal: it fires when the job is cancelled, when its lease is lost, or
 * on shutdown. On shutdown the job is released back to the queue (the attempt is not counted).
 */
import type { Logger } from '../log';
import type { JobQueue } from './job-queue';
import { makeWorkerId } from './recover';
import type { JobRecord } from './types';

export interface JobContext {
  signal: AbortSignal;
  workerId: string;
  /** Extends the lease now (the worker also does it on a timer). False: the lease is lost — stop. */
  heartbeat(): boolean;
  /**
   * Awaits `p` as a PARKED job: while it waits (e.g. on a person's approval) its slot is free for
   * other jobs; the lease is still heartbeated. When `p` settles the job runs on, even if that
   * briefly puts the worker above `concurrency`.
   */
  park<T>(p: Promise<T>): Promise<T>;
}

export type JobHandler = (job: JobRecord, ctx: JobContext) => Promise<void> | void;

export type AbortReason = 'cancelled' | 'lease_lost' | 'shutdown';

export interface WorkerOptions {
  concurrency: number;
  pollMs: number;
  leaseMs: number;
  workerId?: string;
}

interface Running {
  job: JobRecord;
  controller: AbortController;
  reason?: AbortReason;
  done: Promise<void>;
}

export class Worker {
  readonly workerId: string;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Map<string, Running>();
  /** Jobs waiting on something outside the machine (a person): they do not count against concurrency. */
  private readonly parked = new Set<string>();
  /** Successful jobs whose completion is written at the end of the tick (batched). */
  private readonly completions: Array<{ jobId: string; workerId: string }> = [];
  private started = false;
  private stopping = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private tickScheduled = false;
  private unlistenEnqueue: (() => void) | undefined;

  constructor(
    private readonly queue: JobQueue,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
  ) {
    this.workerId = opts.workerId ?? makeWorkerId();
  }

  /** Registers the handler of a queue (one per queue; a later registration replaces it). */
  register(queueName: string, handler: JobHandler): void {
    this.handlers.set(queueName, handler);
    if (this.started) this.wake();
  }

  hasHandler(queueName: string): boolean {
    return this.handlers.has(queueName);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.unlistenEnqueue = this.queue.onEnqueue(() => this.wake());
    this.pollTimer = setInterval(() => this.wake(), this.opts.pollMs);
    this.pollTimer.unref();
    this.wake();
  }

  /** Number of jobs running in this worker. */
  get active(): number {
    return this.running.size;
  }

  /** Aborts a job running here (e.g. its task was cancelled). */
  abort(jobId: string, reason: AbortReason): boolean {
    const r = this.running.get(jobId);
    if (!r) return false;
    r.reason ??= reason;
    r.controller.abort(reason);
    return true;
  }

  /** Stops claiming; gives running jobs `graceMs` to finish, then aborts them (they are released). */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    clearInterval(this.pollTimer);
    this.unlistenEnqueue?.();
    // A job parked on a person cannot finish by itself: release it now (it re-runs after a restart
    // and finds its approval again by key) instead of waiting the whole grace period.
    for (const id of this.parked) this.abort(id, 'shutdown');
    const all = () => Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all().then(() => false), new Promise<boolean>((res) => (timer = setTimeout(() => res(true), graceMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      for (const id of this.running.keys()) this.abort(id, 'shutdown');
      await all();
    }
    this.flushCompletions();
  }

  /** Schedules one claim pass (coalesced). */
  wake(): void {
    if (this.tickScheduled || this.stopping || !this.started) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.stopping) return;
    const queues = [...this.handlers.keys()];
    // All free slots are claimed in ONE transaction: a commit costs far more than a claim.
    const free = this.opts.concurrency - (this.running.size - this.parked.size);
    if (free <= 0) return;
    let jobs: JobRecord[];
    try {
      jobs = this.queue.claimBatch(this.workerId, queues, free, this.opts.leaseMs);
    } catch (e) {
      this.log.error('claim failed', { error: e });
      return;
    }
    for (const job of jobs) this.run(job);
  }

  private run(job: JobRecord): void {
    const controller = new AbortController();
    const entry: Running = { job, controller, done: Promise.resolve() };
    this.running.set(job.id, entry);
    const beat = (): boolean => {
      const ok = this.queue.heartbeat(job.id, this.workerId, this.opts.leaseMs);
      if (!ok && !controller.signal.aborted) {
        // Cancelled in the DB (perhaps by another process) or recovered after a stall.
        const cur = this.queue.get(job.id);
        this.abort(job.id, cur?.state === 'cancelled' ? 'cancelled' : 'lease_lost');
      }
      return ok;
    };
    const timer = setInterval(beat, Math.max(50, Math.floor(this.opts.leaseMs / 3)));
    timer.unref();
    const park = async <T>(p: Promise<T>): Promise<T> => {
      this.parked.add(job.id);
      if (this.stopping) this.abort(job.id, 'shutdown');
      this.wake();
      try {
        return await p;
      } finally {
        this.parked.delete(job.id);
      }
    };
    const handler = this.handlers.get(job.queue);
    entry.done = (async () => {
      let error: unknown;
      let threw = false;
      try {
        if (!handler) throw new Error(`no handler for queue ${job.queue}`);
        await handler(job, { signal: controller.signal, workerId: this.workerId, heartbeat: beat, park });
      } catch (e) {
        threw = true;
        error = e;
      } finally {
        clearInterval(timer);
      }
      try {
        this.settle(entry, threw, error);
      } catch (e) {
        this.log.error('recording a job outcome failed', { jobId: job.id, error: e });
      }
      this.running.delete(job.id);
      this.wake();
    })();
  }

  private settle(entry: Running, threw: boolean, error: unknown): void {
    const { job } = entry;
    if (entry.reason === 'shutdown') {
      this.queue.release(job.id, this.workerId);
      return;
    }
    if (entry.reason === 'cancelled' || entry.reason === 'lease_lost') return; // someone else owns the outcome
    if (threw) {
      const msg = error instanceof Error ? error.message : String(error);
      this.log.warn('job attempt failed', { jobId: job.id, queue: job.queue, attempt: job.attempts, error: msg });
      this.queue.fail(job.id, this.workerId, msg || 'job failed');
    } else {
      // Completions of one tick share one transaction (one commit), like claims.
      this.completions.push({ jobId: job.id, workerId: this.workerId });
      if (this.completions.length === 1) setImmediate(() => this.flushCompletions());
    }
  }

  private flushCompletions(): void {
    const list = this.completions.splice(0);
    if (list.length === 0) return;
    try {
      this.queue.completeMany(list);
    } catch (e) {
      this.log.error('recording job completions failed (their leases will expire and they re-run)', { error: e, jobs: list.length });
    }
  }
}
