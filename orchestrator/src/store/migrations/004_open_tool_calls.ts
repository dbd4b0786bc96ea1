import type { Migration } from './types';

/**
 * 004 open tool calls: every tool call between its `tool_call` event and its `tool_result`, written
 * in the same transactions as those events (tools/tool-call-journal.ts). A row left behind by a
 * process that died is how the next start knows a call was cut off: it is closed as `interrupted`
 * (a `tool_result`, and an audit row when the command had started).
 *
 * - `host`, `pid`: the process that runs the call (a dead local pid: interrupted at once).
 * - `job_id`, `lease_owner`: its queue job and lease (another host's call: interrupted when that
 *   job is no longer running under that lease).
 * - `started_at`, `audit_seq`: set when the command starts (after policy and approval), with the
 *   `command_started` audit row; NULL while it waits (an approval) or when it never ran.
 */
export const migration004: Migration = {
  id: 4,
  name: 'open_tool_calls',
  sql: `
CREATE TABLE open_tool_calls (
  tool_call_id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  agent_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  job_id TEXT,
  lease_owner TEXT,
  opened_at INTEGER NOT NULL,
  started_at INTEGER,
  audit_seq INTEGER
) STRICT;
`,
};
