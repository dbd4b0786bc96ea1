import { stmt } from '../store/statements';
import { jobEventRouting, rowToJob, type JobRow, type QueueDeps } from './types';

/**
 * Cancels a queued or running job. A running job's worker notices at its next heartbeat (or at
 * once, through the in-process worker's abort) and its completion becomes a no-op.
 * Reported as `job_failed` with error "cancelled" and no retry (the protocol has no job_cancelled).
 */
export function cancelJobs(deps: QueueDeps, where: { jobId: string } | { taskId: string }): string[] {
  const { db, events, clock } = deps;
  const run = db.transaction((): string[] => {
    const now = clock.now();
    const rows = ('jobId' in where
      ? stmt(db, `UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND state IN ('queued', 'running') RETURNING *`).all(now, now, where.jobId)
      : stmt(db, `UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, finished_at = ?, updated_at = ? WHERE task_id = ? AND state IN ('queued', 'running') RETURNING *`).all(now, now, where.taskId)) as JobRow[];
    for (const r of rows) {
      const job = rowToJob(r);
      events.append({ type: 'job_failed', ...jobEventRouting(job), payload: { jobId: job.id, error: 'cancelled', attempt: Math.max(1, job.attempts), willRetry: false } });
    }
    return rows.map((r) => r.id);
  });
  return db.inTransaction ? run() : run.immediate();
}
