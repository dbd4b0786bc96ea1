import type { Migration } from './types';

/**
 * 006 team: plans and their tickets, fair claiming across tasks, and the coding agent's
 * conversation per task (so a re-run after a restart continues instead of paying for its model
 * calls again).
 *
 * - `plans`: one per planned task (the plan's task id), the commit every ticket starts from, the
 *   plan text, whether a person approved it, and its integration branch.
 * - `tickets`: one per ticket (itself a task, `tasks.parent_id` = the plan): its place in the plan,
 *   the tickets it depends on (a DAG), scope, acceptance criteria, checks, and the commit holding its
 *   result on its branch.
 * - `jobs.fair_group` + `queue_groups`: jobs of one group (a plan's tickets) share a turn: the claim
 *   takes the group served least recently first (round-robin by task, not FIFO by ticket).
 * - `agent_messages`: the model conversation of a task, one row per message, appended as it grows;
 *   `agent_file_originals`: each file's content before the agent first changed it (for the diff).
 */
export const migration006: Migration = {
  id: 6,
  name: 'team',
  sql: `
CREATE TABLE plans (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id),
  repo_id TEXT NOT NULL,
  base_commit TEXT NOT NULL,
  summary TEXT NOT NULL,
  approved_at INTEGER,
  integrated_commit TEXT,
  created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE tickets (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id),
  plan_id TEXT NOT NULL REFERENCES plans (task_id),
  ordinal INTEGER NOT NULL,
  key TEXT NOT NULL,
  depends_json TEXT NOT NULL,
  scope_json TEXT NOT NULL,
  acceptance_json TEXT NOT NULL,
  checks_json TEXT NOT NULL,
  base_commit TEXT,
  result_commit TEXT,
  UNIQUE (plan_id, key)
) STRICT;
CREATE INDEX tickets_plan ON tickets (plan_id, ordinal);

ALTER TABLE jobs ADD COLUMN fair_group TEXT;
-- "Is a grouped job waiting?" without scanning every queued job.
CREATE INDEX jobs_fair_queued ON jobs (fair_group) WHERE state = 'queued' AND fair_group IS NOT NULL;
CREATE TABLE queue_groups (
  name TEXT PRIMARY KEY,
  served INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_messages (
  task_id TEXT NOT NULL,
  idx INTEGER NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (task_id, idx)
) STRICT;

CREATE TABLE agent_file_originals (
  task_id TEXT NOT NULL,
  path TEXT NOT NULL,
  content TEXT,
  PRIMARY KEY (task_id, path)
) STRICT;
`,
};
