import { hostname } from 'node:os';
import { stmt } from '../store/statements';
import { iso, jobEventRouting, rowToJob, type JobRow, type QueueDeps } from './types';

/**
 * Puts running jobs whose worker is gone back in the queue (or fails them when out of attempts).
 * The attempt already counted on claim stays counted, so a job that kills its worker every time
 * cannot loop forever.
 */
function requeue(deps: QueueDeps, rows: JobRow[], reason: string): number {
  const { db, events, clock } = deps;
  const now = clock.now();
  for (const cur of rows) {
    const willRetry = cur.attempts < cur.max_attempts;
    const row = (
      willRetry
        ? stmt(db, `UPDATE jobs SET state = 'queued', run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ? WHERE id = ? AND state = 'running' RETURNING *`).get(now, reason, now, cur.id)
        : stmt(db, `UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?, finished_at = ? WHERE id = ? AND state = 'running' RETURNING *`).get(reason, now, now, cur.id)
    ) as JobRow | undefined;
    if (!row) continue;
    const job = rowToJob(row);
    events.append({
      type: 'job_failed',
      ...jobEventRouting(job),
      payload: { jobId: job.id, error: reason, attempt: Math.max(1, job.attempts), willRetry, ...(willRetry ? { runAt: iso(now) } : {}) },
    });
  }
  return rows.length;
}

/** Recovers jobs whose lease expired (their worker died or stalled). Returns how many. */
export function recoverExpiredLeases(deps: QueueDeps): number {
  const { db, clock } = deps;
  return db
    .transaction(() => {
      const rows = stmt(db, `SELECT * FROM jobs WHERE state = 'running' AND lease_until < ?`).all(clock.now()) as JobRow[];
      return requeue(deps, rows, 'lease expired: the worker died or stopped heartbeating');
    })
    .immediate();
}

/** Worker ids look like `<host>:<pid>:<random>`; used to spot dead workers on this machine. */
export const makeWorkerId = (tag = 'w'): string => `${hostname()}:${process.pid}:${tag}${Math.random().toString(36).slice(2, 8)}`;

/** Whether a process of this host exists (EPERM: it exists, owned by someone else). */
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * At start: recovers at once the jobs leased by processes of THIS host that no longer exist (a
 * crashed server), instead of waiting for their leases to expire. Other hosts' leases are left to
 * expiry because their liveness cannot be checked from here.
 */
export function recoverDeadLocalWorkers(deps: QueueDeps, isAlive: (pid: number) => boolean = pidAlive): number {
  const { db } = deps;
  const host = hostname();
  return db
    .transaction(() => {
      const rows = (stmt(db, `SELECT * FROM jobs WHERE state = 'running'`).all() as JobRow[]).filter((r) => {
        const [h, pid] = (r.lease_owner ?? '').split(':');
        const n = Number(pid);
        return h === host && Number.isInteger(n) && n > 0 && n !== process.pid && !isAlive(n);
      });
      return requeue(deps, rows, 'worker process died: job recovered at start');
    })
    .immediate();
}
