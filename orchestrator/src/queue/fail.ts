import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import { stmt } from '../store/statements';
import { backoffMs, getJobRow, iso, jobEventRouting, rowToJob, type BackoffPolicy, type JobRow, type QueueDeps } from './types';

export type FailOutcome = 'retry' | 'failed' | 'not_owner';

/**
 * Records a failed attempt: back to `queued` with exponential backoff while attempts remain, else
 * `failed` for good. Idempotent: a repeated call (the job is no longer running under this worker)
 * changes nothing and returns `not_owner`.
 */
export function fail(deps: QueueDeps, jobId: string, workerId: string, error: string, backoff: BackoffPolicy): FailOutcome {
  const { db, events, clock } = deps;
  const run = db.transaction((): FailOutcome => {
    const cur = getJobRow(db, jobId);
    if (!cur || cur.state !== 'running' || cur.lease_owner !== workerId) return 'not_owner';
    const now = clock.now();
    const willRetry = cur.attempts < cur.max_attempts;
    const runAt = now + backoffMs(cur.attempts, backoff);
    const msg = error.slice(0, MAX_MESSAGE_LENGTH);
    const row = (
      willRetry
        ? stmt(db, `UPDATE jobs SET state = 'queued', run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ? RETURNING *`).get(runAt, msg, now, jobId)
        : stmt(db, `UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?, finished_at = ? WHERE id = ? RETURNING *`).get(msg, now, now, jobId)
    ) as JobRow;
    const job = rowToJob(row);
    events.append({
      type: 'job_failed',
      ...jobEventRouting(job),
      payload: { jobId, error: msg, attempt: job.attempts, willRetry, ...(willRetry ? { runAt: iso(runAt) } : {}) },
    });
    return willRetry ? 'retry' : 'failed';
  });
  return run.immediate();
}
