/**
 * The classifier off the orchestrator's main thread. Classifying a line is synchronous and its time
 * grows with the line (a flat line of 5,000 statements takes seconds): run inline it would stall every
 * client, status reply and other task meanwhile. The pool runs the classifier in 1-2 worker threads,
 * started when first needed and reused, each line with a deadline: past it the worker is terminated
 * (and replaced when next needed) and the line is `ask` — a person decides, never allow. A worker that
 * crashes gives the same safe verdict and a log line. Lines longer than the cap are never sent.
 */
import { join } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '../log';
import type * as Core from './classify';
import type { ClassifyContext } from './classify';
import type { ClassifyReply, ClassifyRequest } from './classifier-worker';
import { EMPTY_POLICY, type Policy } from './policy';
import { DEFAULT_MAX_COMMAND_BYTES, tooLong, unjudged } from './unjudged';
import type { Classification } from './verdicts';

/** What callers of the classifier use: the pool in the orchestrator, `inlineClassifier` where blocking is fine. */
export interface CommandClassifier {
  classify(command: string, policy?: Policy, ctx?: ClassifyContext): Promise<Classification>;
}

/** Config `policy` (config.ts). */
export interface ClassifierLimits {
  /** Per line, from when a worker takes it. */
  classifyTimeoutMs: number;
  /** Longer lines (UTF-8 bytes) are not parsed. */
  maxCommandBytes: number;
  /** Worker threads at most (each holds its own copy of the shell parser). */
  classifierWorkers: number;
}

export const DEFAULT_CLASSIFIER_LIMITS: ClassifierLimits = { classifyTimeoutMs: 2000, maxCommandBytes: DEFAULT_MAX_COMMAND_BYTES, classifierWorkers: 2 };

export interface ClassifierPoolOptions extends Partial<ClassifierLimits> {
  logger?: Pick<Logger, 'warn'>;
  /** Heap limits of each worker: a line that needs more memory crashes its worker, never the orchestrator. */
  resourceLimits?: ResourceLimits;
}

interface Job {
  id: number;
  command: string;
  policy: Policy;
  ctx: ClassifyContext;
  resolve(c: Classification): void;
}
interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
  timer?: NodeJS.Timeout;
}

const WORKER_FILE = join(__dirname, 'classifier-worker.js');

export class ClassifierPool implements CommandClassifier {
  private readonly limits: ClassifierLimits;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly opts: ClassifierPoolOptions = {}) {
    this.limits = { ...DEFAULT_CLASSIFIER_LIMITS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => typeof v === 'number')) };
  }

  /** Worker threads alive now (started lazily; none after close). */
  get workerCount(): number {
    return this.slots.length;
  }

  classify(command: string, policy: Policy = EMPTY_POLICY, ctx: ClassifyContext = {}): Promise<Classification> {
    const long = tooLong(command, this.limits.maxCommandBytes);
    if (long) return Promise.resolve(long);
    if (this.closed) return Promise.resolve(unjudged(command, 'the orchestrator is shutting down: the command was not judged'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, command, policy, ctx: { ...ctx, maxCommandBytes: this.limits.maxCommandBytes }, resolve });
      this.pump();
    });
  }

  /** Terminates every worker; lines still waiting get a safe verdict. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(unjudged(job.command, 'the orchestrator is shutting down: the command was not judged'));
    const slots = this.slots.splice(0);
    for (const s of slots) this.settle(s, 'the orchestrator is shutting down: the command was not judged');
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** Hands waiting lines to idle workers, starting workers (up to the limit) for the rest. */
  private pump(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      this.dispatch(slot, job);
    }
    const starting = this.slots.filter((s) => !s.ready).length;
    for (let n = starting; n < this.queue.length && this.slots.length < this.limits.classifierWorkers; n++) this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(WORKER_FILE, this.opts.resourceLimits ? { resourceLimits: this.opts.resourceLimits } : {});
    // An idle pool must not keep a process alive (the orchestrator closes it; a CLI just exits).
    worker.unref();
    const slot: Slot = { worker, ready: false };
    this.slots.push(slot);
    worker.on('message', (m: ClassifyReply | 'ready') => {
      if (m === 'ready') {
        slot.ready = true;
        this.pump();
      } else this.finish(slot, m);
    });
    worker.on('error', (e) => this.lost(slot, e.message));
    worker.on('exit', (code) => this.lost(slot, `it exited with code ${code}`));
  }

  private dispatch(slot: Slot, job: Job): void {
    slot.job = job;
    slot.timer = setTimeout(() => this.expire(slot), this.limits.classifyTimeoutMs);
    const req: ClassifyRequest = { id: job.id, command: job.command, policy: job.policy, ctx: job.ctx };
    slot.worker.postMessage(req);
  }

  private finish(slot: Slot, reply: ClassifyReply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    if ('error' in reply) {
      this.opts.logger?.warn('the command classifier failed on a line; it is asked instead', { error: reply.error, command: job.command.slice(0, 200) });
      job.resolve(unjudged(job.command, 'the command classifier failed on it: a person decides'));
    } else job.resolve(reply.result);
    this.pump();
  }

  /** The deadline passed: the worker is stopped mid-line (a new one starts when next needed). */
  private expire(slot: Slot): void {
    if (!this.remove(slot)) return;
    const secs = this.limits.classifyTimeoutMs / 1000;
    this.settle(slot, `too complex to judge within ${secs} s: a person decides`);
    void slot.worker.terminate();
    this.replace();
  }

  /** The worker died (a crash, out of memory): its line is asked; lines waiting go to a new one. */
  private lost(slot: Slot, why: string): void {
    if (!this.remove(slot)) return; // terminated by the pool itself
    this.opts.logger?.warn('a command classifier worker stopped; its line is asked instead', { why, command: slot.job?.command.slice(0, 200) });
    this.settle(slot, `the command classifier stopped while judging it (${why}): a person decides`);
    if (!slot.ready) {
      // It died loading the parser: a new one would too, so the waiting lines are not judged now.
      for (const job of this.queue.splice(0)) job.resolve(unjudged(job.command, `the command classifier could not start (${why}): a person decides`));
      return;
    }
    this.replace();
  }

  /** A worker that was stopped is replaced now, so the next line does not wait for the parser to load. */
  private replace(): void {
    if (!this.closed && this.slots.length < this.limits.classifierWorkers) this.spawn();
    this.pump();
  }

  private settle(slot: Slot, reason: string): void {
    clearTimeout(slot.timer);
    const job = slot.job;
    slot.job = undefined;
    job?.resolve(unjudged(job.command, reason));
  }

  private remove(slot: Slot): boolean {
    const i = this.slots.indexOf(slot);
    if (i < 0) return false;
    this.slots.splice(i, 1);
    return true;
  }
}

/**
 * The classifier on the calling thread, for callers that may block (tests, one-off tools): no
 * deadline. The parser (~110 ms to load) is loaded on first use.
 */
export const inlineClassifier: CommandClassifier = {
  classify(command, policy, ctx) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { classifyCommand } = require('./classify') as typeof Core;
    return Promise.resolve(classifyCommand(command, policy, ctx));
  },
};
