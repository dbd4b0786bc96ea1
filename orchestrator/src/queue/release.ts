import { stmt } from '../store/statements';
import type { QueueDeps } from './types';

/**
 * Gives a running job back to the queue without counting the attempt: used on graceful shutdown,
 * so the next start picks the work up at once instead of after the lease expires.
 */
export function release(deps: QueueDeps, jobId: string, workerId: string): boolean {
  const now = deps.clock.now();
  const r = stmt(
    deps.db,
    `UPDATE jobs SET state = 'queued', attempts = MAX(0, attempts - 1), run_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
     WHERE id = ? AND state = 'running' AND lease_owner = ?`,
  ).run(now, now, jobId, workerId);
  return r.changes === 1;
}
