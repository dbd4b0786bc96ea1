/** The durable job queue's records and the dependencies every queue operation receives. */
import type { EventLog } from '../events/event-log';
import { SYSTEM_SESSION } from '../events/event-log';
import type { Db } from '../store/db';
import type { Clock } from '../util/clock';

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  queue: string;
  payload: unknown;
  state: JobState;
  priority: number;
  runAt: number;
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  lastError: string | null;
  taskId: string | null;
  sessionId: string | null;
  key: string | null;
  /** Jobs of one group take turns with other groups at claim time (a plan's tickets: round-robin by task). */
  fairGroup: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export interface JobRow {
  id: string;
  queue: string;
  payload: string;
  state: JobState;
  priority: number;
  run_at: number;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  task_id: string | null;
  session_id: string | null;
  key: string | null;
  fair_group: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export const rowToJob = (r: JobRow): JobRecord => ({
  id: r.id,
  queue: r.queue,
  payload: JSON.parse(r.payload) as unknown,
  state: r.state,
  priority: r.priority,
  runAt: r.run_at,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until,
  lastError: r.last_error,
  taskId: r.task_id,
  sessionId: r.session_id,
  key: r.key,
  fairGroup: r.fair_group ?? null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** What queue operations need: the DB, the event log (job_* events) and a clock. */
export interface QueueDeps {
  db: Db;
  events: EventLog;
  clock: Clock;
}

/** Routing of a job's events: its task's session (so the person sees them), else the system session. */
export const jobEventRouting = (job: Pick<JobRecord, 'sessionId' | 'taskId'>): { sessionId: string; taskId?: string } =>
  job.taskId ? { sessionId: job.sessionId ?? SYSTEM_SESSION, taskId: job.taskId } : { sessionId: job.sessionId ?? SYSTEM_SESSION };

/** Exponential backoff after the n-th failed attempt (1-based): base · 2^(n-1), capped. */
export const backoffMs = (attempt: number, p: BackoffPolicy): number => Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, attempt - 1));

export const iso = (ms: number): string => new Date(ms).toISOString();

export const getJobRow = (db: Db, id: string): JobRow | undefined =>
  db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
