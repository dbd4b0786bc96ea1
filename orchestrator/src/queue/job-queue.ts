/**
 * The queue as one object over the per-operation modules (enqueue.ts, claim.ts, ...), bound to
 * its dependencies and defaults. Several JobQueue instances in several processes may share one
 * DB file: every state change is a single guarded UPDATE inside BEGIN IMMEDIATE.
 */
import type { QueueConfig } from '../config';
import { stmt } from '../store/statements';
import { cancelJobs } from './cancel';
import { claim, claimBatch } from './claim';
import { complete, completeMany, type CompleteOutcome } from './complete';
import { enqueue, type EnqueueOptions, type EnqueueResult } from './enqueue';
import { fail, type FailOutcome } from './fail';
import { heartbeat } from './heartbeat';
import { recoverDeadLocalWorkers, recoverExpiredLeases } from './recover';
import { release } from './release';
import { getJobRow, rowToJob, type JobRecord, type JobState, type QueueDeps } from './types';

export class JobQueue {
  private readonly enqueueListeners = new Set<(job: JobRecord) => void>();

  constructor(
    readonly deps: QueueDeps,
    readonly config: Pick<QueueConfig, 'leaseMs' | 'backoffBaseMs' | 'backoffMaxMs' | 'maxAttempts'>,
  ) {}

  enqueue(opts: EnqueueOptions): EnqueueResult {
    const r = enqueue(this.deps, opts, this.config.maxAttempts);
    if (r.created) for (const l of this.enqueueListeners) l(r.job);
    return r;
  }

  /** In-process wake-up for workers (other processes find new jobs by polling). */
  onEnqueue(listener: (job: JobRecord) => void): () => void {
    this.enqueueListeners.add(listener);
    return () => this.enqueueListeners.delete(listener);
  }

  claim(workerId: string, queues: readonly string[], leaseMs = this.config.leaseMs): JobRecord | undefined {
    return claim(this.deps, workerId, queues, leaseMs);
  }

  /** Claims up to `max` jobs in one transaction. */
  claimBatch(workerId: string, queues: readonly string[], max: number, leaseMs = this.config.leaseMs): JobRecord[] {
    return claimBatch(this.deps, workerId, queues, leaseMs, max);
  }

  completeMany(jobs: ReadonlyArray<{ jobId: string; workerId: string }>): CompleteOutcome[] {
    return completeMany(this.deps, jobs);
  }

  heartbeat(jobId: string, workerId: string, leaseMs = this.config.leaseMs): boolean {
    return heartbeat(this.deps, jobId, workerId, leaseMs);
  }

  complete(jobId: string, workerId: string): CompleteOutcome {
    return complete(this.deps, jobId, workerId);
  }

  fail(jobId: string, workerId: string, error: string): FailOutcome {
    return fail(this.deps, jobId, workerId, error, { baseMs: this.config.backoffBaseMs, maxMs: this.config.backoffMaxMs });
  }

  release(jobId: string, workerId: string): boolean {
    return release(this.deps, jobId, workerId);
  }

  cancel(jobId: string): boolean {
    return cancelJobs(this.deps, { jobId }).length > 0;
  }

  /** Cancels every live job of a task; returns their ids. */
  cancelTask(taskId: string): string[] {
    return cancelJobs(this.deps, { taskId });
  }

  recoverExpired(): number {
    return recoverExpiredLeases(this.deps);
  }

  recoverDeadLocalWorkers(isAlive?: (pid: number) => boolean): number {
    return recoverDeadLocalWorkers(this.deps, isAlive);
  }

  get(jobId: string): JobRecord | undefined {
    const r = getJobRow(this.deps.db, jobId);
    return r ? rowToJob(r) : undefined;
  }

  /** Jobs waiting to run (queued, due or not). */
  depth(): number {
    return stmt(this.deps.db, `SELECT COUNT(*) FROM jobs WHERE state = 'queued'`).pluck().get() as number;
  }

  countByState(): Record<JobState, number> {
    const out: Record<JobState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const r of stmt(this.deps.db, 'SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as Array<{ state: JobState; n: number }>) out[r.state] = r.n;
    return out;
  }
}
