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

/** The next due job in plain order: priority, then due time (the index order; no sort). */
const NEXT_PLAIN = `SELECT id FROM jobs
  WHERE state = 'queued' AND run_at <= @now AND queue IN (SELECT value FROM json_each(@queues))
  ORDER BY priority DESC, run_at, id LIMIT 1`;

/**
 * The next due job when grouped jobs wait: within a priority, the group served least recently goes
 * first (ungrouped jobs and groups never served count as 0), so two plans' tickets alternate
 * instead of the older plan's tickets all running first. Sorts the due jobs: used only when a
 * grouped job is queued.
 */
const NEXT_FAIR = `SELECT j.id FROM jobs j LEFT JOIN queue_groups g ON g.name = j.fair_group
  WHERE j.state = 'queued' AND j.run_at <= @now AND j.queue IN (SELECT value FROM json_each(@queues))
  ORDER BY j.priority DESC, COALESCE(g.served, 0), j.run_at, j.id LIMIT 1`;

function claimOne(deps: QueueDeps, workerId: string, queuesJson: string, leaseMs: number): JobRecord | undefined {
  const { db, events, clock } = deps;
  const now = clock.now();
  const fair = stmt(db, `SELECT 1 FROM jobs INDEXED BY jobs_fair_queued WHERE state = 'queued' AND fair_group IS NOT NULL LIMIT 1`).get() !== undefined;
  const row = stmt(
    db,
    `UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = @worker, lease_until = @until, updated_at = @now
     WHERE id = (${fair ? NEXT_FAIR : NEXT_PLAIN}) RETURNING *`,
  ).get({ worker: workerId, until: now + leaseMs, now, queues: queuesJson }) as JobRow | undefined;
  if (!row) return undefined;
  const job = rowToJob(row);
  if (job.fairGroup !== null) {
    // This group's turn is used: a counter, not the clock (a batch claims several jobs in one ms).
    stmt(db, `INSERT INTO queue_groups (name, served) VALUES (?, (SELECT COALESCE(MAX(served), 0) + 1 FROM queue_groups)) ON CONFLICT (name) DO UPDATE SET served = excluded.served`).run(job.fairGroup);
  }
  events.append({
    type: 'job_claimed',
    ...jobEventRouting(job),
    payload: { jobId: job.id, workerId: workerId.slice(0, 128), attempt: job.attempts, leaseUntil: iso(now + leaseMs) },
  });
  return job;
}
