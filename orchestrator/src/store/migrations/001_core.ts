import type { Migration } from './types';

/**
 * Core tables. Times the server compares (run_at, lease_until, expires_at, ...) are integer
 * milliseconds so the queue's hot queries compare numbers; event envelopes keep ISO `ts`.
 */
export const migration001: Migration = {
  id: 1,
  name: 'core',
  sql: `
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  client_name TEXT,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL
);

-- The event log: append-only, seq is the replay cursor. AUTOINCREMENT so a seq is never reused,
-- even after the newest rows are gone (e.g. a future retention policy).
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  session_id TEXT NOT NULL,
  task_id TEXT,
  ts TEXT NOT NULL,
  json TEXT NOT NULL
);
CREATE INDEX events_session ON events (session_id, seq);
CREATE INDEX events_task ON events (task_id, seq);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Tasks form a DAG through parent_id (a plan and its subtasks).
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  parent_id TEXT REFERENCES tasks (id),
  session_id TEXT NOT NULL,
  repo_id TEXT,
  title TEXT NOT NULL,
  request TEXT NOT NULL,
  context_json TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled')),
  agent_id TEXT,
  summary TEXT,
  error_json TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE INDEX tasks_parent ON tasks (parent_id);
CREATE INDEX tasks_state ON tasks (state);

-- The durable job queue. key: idempotent enqueue (one live job per key).
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
  priority INTEGER NOT NULL DEFAULT 0,
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  task_id TEXT,
  session_id TEXT,
  key TEXT UNIQUE,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
-- Claim order: priority, then run_at; the claim filters by queue and due time while scanning.
CREATE INDEX jobs_ready ON jobs (state, priority DESC, run_at, id);
CREATE INDEX jobs_lease ON jobs (state, lease_until);
CREATE INDEX jobs_task ON jobs (task_id);

-- Approvals: key makes a request idempotent per task (a re-run job finds its pending approval).
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  key TEXT,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  reason TEXT NOT NULL,
  risk TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
  requested_at INTEGER NOT NULL,
  expires_at INTEGER,
  decided_by TEXT,
  decided_at INTEGER,
  decision_reason TEXT,
  token_fingerprint TEXT,
  UNIQUE (task_id, key)
);
CREATE INDEX approvals_pending ON approvals (state, expires_at);
CREATE INDEX approvals_task ON approvals (task_id);
`,
};
