import { stmt } from '../store/statements';
import type { QueueDeps } from './types';

/**
 * Extends the lease of a job this worker holds. False means the lease is gone (the job was
 * cancelled, or it expired and was recovered for someone else): the handler must stop.
 */
export function heartbeat(deps: QueueDeps, jobId: string, workerId: string, leaseMs: number): boolean {
  const now = deps.clock.now();
  const r = stmt(deps.db, `UPDATE jobs SET lease_until = ?, updated_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?`).run(now + leaseMs, now, jobId, workerId);
  return r.changes === 1;
}
