import type { Migration } from './types';

/**
 * 003 repos: repositories registered with the orchestrator. `mirror_path` is the orchestrator's OWN
 * clone under `<dataDir>/repos/<id>` (objects and refs only; never the source's config or hooks).
 */
export const migration003: Migration = {
  id: 3,
  name: 'repos',
  sql: `
CREATE TABLE repos (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  source TEXT NOT NULL UNIQUE,
  mirror_path TEXT NOT NULL,
  default_branch TEXT NOT NULL,
  added_at TEXT NOT NULL
) STRICT;
`,
};
