import type { Migration } from './types';

/**
 * 010 check reuse: results of a base's checks, reused by later tasks on the same tree instead of run
 * again (checks/reuse.ts). `key` is sha256 of everything that decides the result (repository, tree id,
 * the check's name, command and runner, the repository's settings, the dependency set-up plan, the
 * sandbox image id and limits, the check runner's version); `result_json` the `check_result` without
 * task, phase, commit and ticket; `task_id`, `audit_seq` and `ran_at` name the run and its `check_run`
 * audit row. `ran_at` (ms since epoch) also decides expiry.
 */
export const migration010: Migration = {
  id: 10,
  name: 'check_reuse',
  sql: `
CREATE TABLE check_reuse (
  key TEXT PRIMARY KEY,
  repo_id TEXT NOT NULL,
  tree_id TEXT NOT NULL,
  name TEXT NOT NULL,
  result_json TEXT NOT NULL,
  task_id TEXT NOT NULL,
  audit_seq INTEGER NOT NULL,
  ran_at INTEGER NOT NULL
);
CREATE INDEX check_reuse_ran_at ON check_reuse (ran_at);
`,
};
