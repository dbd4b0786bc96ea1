import { stmt } from '../store/statements';
import { getJobRow, jobEventRouting, rowToJob, type JobRow, type QueueDeps } from './types';

/** `completed`: done now; `already_completed`: a repeated call (no-op); `not_owner`: the lease was lost. */
export type CompleteOutcome = 'completed' | 'already_completed' | 'not_owner';

/** Marks a job done. Idempotent; only the current lease holder can complete a running job. */
export function complete(deps: QueueDeps, jobId: string, workerId: string): CompleteOutcome {
  const { db, events, clock } = deps;
  const run = db.transaction((): CompleteOutcome => {
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
  });
  return run.immediate();
}
