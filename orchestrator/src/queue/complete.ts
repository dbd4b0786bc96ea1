import { cachedTx, stmt } from '../store/statements';
import { getJobRow, jobEventRouting, rowToJob, type JobRow, type QueueDeps } from './types';

/** `completed`: done now; `already_completed`: a repeated call (no-op); `not_owner`: the lease was lost. */
export type CompleteOutcome = 'completed' | 'already_completed' | 'not_owner';

/** Marks a job done. Idempotent; only the current lease holder can complete a running job. */
export function complete(deps: QueueDeps, jobId: string, workerId: string): CompleteOutcome {
  return cachedTx(deps.db, 'queue.complete', completeOne).immediate(deps, jobId, workerId);
}

/** Completes several jobs in ONE transaction (the worker batches the completions of a tick). */
export function completeMany(deps: QueueDeps, jobs: ReadonlyArray<{ jobId: string; workerId: string }>): CompleteOutcome[] {
  return cachedTx(deps.db, 'queue.completeMany', (d: QueueDeps, list: ReadonlyArray<{ jobId: string; workerId: string }>) => list.map((j) => completeOne(d, j.jobId, j.workerId))).immediate(deps, jobs);
}

function completeOne(deps: QueueDeps, jobId: string, workerId: string): CompleteOutcome {
  const { db, events, clock } = deps;
  {
    const now = clock.now();
    const row = stmt(
      db,
      `UPDATE jobs SET state = 'completed', lease_owner = NULL, lease_until = NULL, finished_at = ?, updated_at = ?
       WHERE id = ? AND state = 'running' AND lease_owner = ? RETURNING *`,
    ).get(now, now, jobId, workerId) as JobRow | undefined;
    if (!row) return getJobRow(db, jobId)?.state === 'completed' ? 'already_completed' : 'not_owner';
    const job = rowToJob(row);
    events.append({ type: 'job_completed', ...jobEventRouting(job), payload: { jobId, workerId: workerId.slice(0, 128) } });
    return 'completed';
  }
}
