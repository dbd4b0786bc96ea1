import type { Migration } from './types';

/**
 * 005 live base: tasks start from the person's current state of a repository, not from a snapshot
 * taken when it was registered.
 *
 * - tasks.include_uncommitted: asked for at creation (1: lay the person's uncommitted changes over
 *   the base commit).
 * - tasks.base_json: what the working copy started from (the protocol's TaskBase: commit, branch,
 *   uncommitted, files, note), written when it is prepared; a re-run after a crash reuses it.
 * - repos.head_branch / head_commit / synced_at: what the last sync saw; root_commits / remotes
 *   (JSON arrays): how a client on another machine recognises its checkout of the repository.
 */
export const migration005: Migration = {
  id: 5,
  name: 'live_base',
  sql: `
ALTER TABLE tasks ADD COLUMN include_uncommitted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN base_json TEXT;
ALTER TABLE repos ADD COLUMN head_branch TEXT;
ALTER TABLE repos ADD COLUMN head_commit TEXT;
ALTER TABLE repos ADD COLUMN synced_at TEXT;
ALTER TABLE repos ADD COLUMN root_commits TEXT NOT NULL DEFAULT '[]';
ALTER TABLE repos ADD COLUMN remotes TEXT NOT NULL DEFAULT '[]';
`,
};
