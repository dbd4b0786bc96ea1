import { cachedTx, stmt } from '../store/statements';
import { iso, jobEventRouting, rowToJob, type JobRecord, type JobRow, type QueueDeps } from './types';

/**
 * Atomically claims the next due job of the given queues: one UPDATE ... WHERE id = (SELECT ...)
 * RETURNING inside BEGIN IMMEDIATE, so the write lock is taken before the row is chosen and two
 * claimers (threads or processes on the same DB file) can never get the same job.
 */
export function claim(deps: QueueDeps, workerId: string, queues: readonly string[], leaseMs: number): JobRecord | undefined {
  return claimBatch(deps, workerId, queues, leaseMs, 1)[0];
}

/** Claims up to `max` due jobs in ONE transaction (one commit for a whole batch of free slots). */
export function claimBatch(deps: QueueDeps, workerId: string, queues: readonly string[], leaseMs: number, max: number): JobRecord[] {
  if (queues.length === 0 || max < 1) return [];
  const run = cachedTx(deps.db, 'queue.claimBatch', (d: QueueDeps, w: string, qs: string, lease: number, n: number): JobRecord[] => {
    const out: JobRecord[] = [];
    for (let i = 0; i < n; i++) {
      const job = claimOne(d, w, qs, lease);
      if (!job) break;
      out.push(job);
    }
    return out;
  });
  return run.immediate(deps, workerId, JSON.stringify(queues), leaseMs, max);
}

function claimOne(deps: QueueDeps, workerId: string, queuesJson: string, leaseMs: number): JobRecord | undefined {
  const { db, events, clock } = deps;
  {
    const now = clock.now();
    const row = stmt(
      db,
      `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ?
       WHERE id = (
         SELECT id FROM jobs
         WHERE state = 'queued' AND run_at <= ? AND queue IN (SELECT value FROM json_each(?))
         ORDER BY priority DESC, run_at, id LIMIT 1
       ) RETURNING *`,
    ).get(workerId, now + leaseMs, now, now, queuesJson) as JobRow | undefined;
    if (!row) return undefined;
    const job = rowToJob(row);
    events.append({
      type: 'job_claimed',
      ...jobEventRouting(job),
      payload: { jobId: job.id, workerId: workerId.slice(0, 128), attempt: job.attempts, leaseUntil: iso(now + leaseMs) },
    });
    return job;
  }
}
