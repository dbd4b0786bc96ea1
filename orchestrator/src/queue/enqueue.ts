import { newId } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { stmt } from '../store/statements';
import { iso, jobEventRouting, rowToJob, type JobRecord, type JobRow, type QueueDeps } from './types';

export interface EnqueueOptions {
  queue: string;
  /** JSON-serialisable payload handed to the handler. */
  payload?: unknown;
  /** Earliest start (ms since epoch); default now. */
  runAt?: number;
  maxAttempts?: number;
  /** Higher runs first. */
  priority?: number;
  taskId?: string;
  sessionId?: string;
  /**
   * Idempotency key: enqueueing again with a key that exists returns the existing job instead of
   * adding one (a retried request or a re-run step cannot queue the same work twice).
   */
  key?: string;
  /**
   * Fairness group: when several groups have due jobs, the claim serves the group served least
   * recently first (a plan's tickets share one group: plans take turns instead of FIFO by ticket).
   */
  fairGroup?: string;
}

export interface EnqueueResult {
  job: JobRecord;
  created: boolean;
}

export function enqueue(deps: QueueDeps, opts: EnqueueOptions, defaultMaxAttempts = 3): EnqueueResult {
  const { db, events, clock } = deps;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(opts.queue)) throw new PushPalsError('invalid_message', `invalid queue name "${opts.queue}"`);
  const maxAttempts = opts.maxAttempts ?? defaultMaxAttempts;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new PushPalsError('invalid_message', 'maxAttempts must be a positive integer');
  const run = db.transaction((): EnqueueResult => {
    if (opts.key !== undefined) {
      const existing = stmt(db, 'SELECT * FROM jobs WHERE key = ?').get(opts.key) as JobRow | undefined;
      if (existing) return { job: rowToJob(existing), created: false };
    }
    const now = clock.now();
    const runAt = opts.runAt ?? now;
    const row = stmt(
      db,
      `INSERT INTO jobs (id, queue, payload, state, priority, run_at, attempts, max_attempts, task_id, session_id, key, fair_group, created_at, updated_at)
       VALUES (?, ?, ?, 'queued', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(newId('job'), opts.queue, JSON.stringify(opts.payload ?? null), opts.priority ?? 0, runAt, maxAttempts, opts.taskId ?? null, opts.sessionId ?? null, opts.key ?? null, opts.fairGroup ?? null, now, now) as JobRow;
    const job = rowToJob(row);
    events.append({
      type: 'job_enqueued',
      ...jobEventRouting(job),
      payload: { jobId: job.id, queue: job.queue, ...(job.taskId ? { taskId: job.taskId } : {}), runAt: iso(runAt), maxAttempts },
    });
    return { job, created: true };
  });
  return db.inTransaction ? run() : run.immediate();
}
