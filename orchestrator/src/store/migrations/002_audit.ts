import type { Migration } from './types';

/**
 * 002 audit: the append-only, hash-chained audit trail (see src/audit/README.md).
 *
 * - `audit_log`: one row per tool call / command. `hash = sha256(prev_hash + canonical JSON of the
 *   row's other columns)`; `prev_hash` of seq 1 is 64 zeros. seq is assigned by the writer (head + 1),
 *   never by AUTOINCREMENT, so a gap is always a deleted row.
 * - `audit_head`: a single-row anchor (seq and hash of the last row), updated in the same transaction
 *   as every append: verification compares the chain's end with it, so deleting the tail is detected.
 * - Triggers reject UPDATE and DELETE on both (and moving the anchor backwards). Defence in depth only:
 *   whoever can write the file can drop triggers; `AuditLog.verify()` is what detects tampering.
 */
export const migration002: Migration = {
  id: 2,
  name: 'audit',
  sql: `
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  task_id TEXT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  command TEXT,
  cwd TEXT,
  verdict TEXT,
  approval_id TEXT,
  exit_code INTEGER,
  duration_ms INTEGER,
  stdout TEXT,
  stderr TEXT,
  data TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_task ON audit_log (task_id, seq);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${'0'.repeat(64)}');
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
  WHEN NEW.seq <= OLD.seq
  BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
`,
};
