import type { Migration } from './types';

/**
 * 007 grants: auto-commit grants. A person lets the review's commit (and, if the grant says so, a push
 * or a pull request) go ahead without asking, for one repository or one task (a plan's task covers its
 * tickets), until `expires_at` (always set) or until revoked. Rows are never deleted: the audit trail
 * and the approvals they decided (`decided_by` = `grant:<id>`) keep pointing at them.
 */
export const migration007: Migration = {
  id: 7,
  name: 'grants',
  sql: `
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  scope TEXT NOT NULL CHECK (scope IN ('repo', 'task')),
  repo_id TEXT,
  task_id TEXT,
  actions TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  token_fingerprint TEXT,
  revoked_at INTEGER,
  revoked_by TEXT,
  CHECK ((scope = 'repo' AND repo_id IS NOT NULL AND task_id IS NULL) OR (scope = 'task' AND task_id IS NOT NULL AND repo_id IS NULL)),
  CHECK (expires_at > created_at)
) STRICT;
-- "Which active grants cover this repository / this task?" on every commit, push or PR approval.
CREATE INDEX grants_repo ON grants (repo_id, expires_at) WHERE revoked_at IS NULL;
CREATE INDEX grants_task ON grants (task_id, expires_at) WHERE revoked_at IS NULL;
`,
};
