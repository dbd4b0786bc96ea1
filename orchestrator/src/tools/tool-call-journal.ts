/**
 * The durable record of tool calls in flight (migration 004, `open_tool_calls`): a call is opened
 * with its `tool_call` event, marked started — with a `command_started` audit row, committed before
 * the command runs — and closed with its `tool_result` (and final audit row), each step in one
 * transaction. So a process killed mid-command leaves evidence that the command ran, and the next
 * start closes every call it left open as `interrupted` (`recoverInterruptedToolCalls`).
 */
import { hostname } from 'node:os';
import type { AuditEntryInput, AuditLog, AuditRecord } from '../audit';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../log';
import { pidAlive } from '../queue/recover';
import type { Db } from '../store/db';
import { stmt } from '../store/statements';
import type { Clock } from '../util/clock';

/** Tool calls running in THIS process (module-wide: one process may host several apps in tests). */
const inFlight = new Set<string>();

export interface ToolCallJournalDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  /** Commits the event log's open group-commit batch (EventLog.flush). */
  flush: () => void;
}

export interface OpenToolCall {
  toolCallId: string;
  taskId: string;
  sessionId: string;
  agentId: string;
  tool: string;
}

interface OpenRow {
  tool_call_id: string;
  task_id: string;
  session_id: string;
  agent_id: string;
  tool: string;
  host: string;
  pid: number;
  job_id: string | null;
  lease_owner: string | null;
  opened_at: number;
  started_at: number | null;
  audit_seq: number | null;
}

/** One write transaction (a savepoint inside the event log's open batch, if any). */
const inTx = <T>(db: Db, fn: () => T): T => db.transaction(fn).immediate();

export class ToolCallJournal {
  constructor(private readonly deps: ToolCallJournalDeps) {}

  /** Records the call as open together with its `tool_call` event (emitted by `emitToolCall`). */
  open(call: OpenToolCall, emitToolCall: () => void): void {
    const { db, clock } = this.deps;
    inTx(db, () => {
      const job = stmt(db, `SELECT id, lease_owner FROM jobs WHERE task_id = ? AND state = 'running' ORDER BY updated_at DESC LIMIT 1`).get(call.taskId) as { id: string; lease_owner: string | null } | undefined;
      stmt(
        db,
        `INSERT INTO open_tool_calls (tool_call_id, task_id, session_id, agent_id, tool, host, pid, job_id, lease_owner, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(call.toolCallId, call.taskId, call.sessionId, call.agentId, call.tool, hostname(), process.pid, job?.id ?? null, job?.lease_owner ?? null, clock.now());
      emitToolCall();
    });
    inFlight.add(call.toolCallId);
  }

  /**
   * The command is about to run: its `command_started` audit row and the call's start, committed
   * (the event log's group-commit batch included) before this returns — a crash during the command
   * cannot lose them.
   */
  started(toolCallId: string, entry: Omit<AuditEntryInput, 'action'>): AuditRecord {
    const { db, audit, clock } = this.deps;
    const rec = inTx(db, () => {
      const r = audit.append({ ...entry, action: 'command_started' });
      stmt(db, 'UPDATE open_tool_calls SET started_at = ?, audit_seq = ? WHERE tool_call_id = ?').run(clock.now(), r.seq, toolCallId);
      return r;
    });
    this.deps.flush();
    return rec;
  }

  /** Closes the call: its final audit row (if any), its `tool_result` (emitted by `emitResult`), in one transaction. */
  close(toolCallId: string, entry: AuditEntryInput | undefined, emitResult: () => void): void {
    const { db, audit } = this.deps;
    try {
      inTx(db, () => {
        if (entry) audit.append(entry);
        stmt(db, 'DELETE FROM open_tool_calls WHERE tool_call_id = ?').run(toolCallId);
        emitResult();
      });
    } finally {
      inFlight.delete(toolCallId);
    }
  }
}

export interface RecoverToolCallsDeps {
  db: Db;
  events: EventLog;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
  isAlive?: (pid: number) => boolean;
}

/**
 * Whether the process that opened the call may still close it itself. A call running in this
 * process: yes. A local call whose process is gone (or whose pid is ours while not in flight here,
 * e.g. after a restart in a container): no. Otherwise its job decides: still running under the
 * call's lease, yes; cancelled, yes for a live local process (it closes the call as it stops);
 * requeued, failed or gone (the lease expired: a stalled or unreachable process), no. A call with
 * no job is left to its live process.
 */
function stillRunning(r: OpenRow, db: Db, isAlive: (pid: number) => boolean): boolean {
  if (inFlight.has(r.tool_call_id)) return true;
  const local = r.host === hostname();
  if (local && (r.pid === process.pid || !isAlive(r.pid))) return false;
  if (!r.job_id) return true;
  const job = stmt(db, 'SELECT state, lease_owner FROM jobs WHERE id = ?').get(r.job_id) as { state: string; lease_owner: string | null } | undefined;
  if (job?.state === 'running') return job.lease_owner === r.lease_owner;
  return job?.state === 'cancelled' && local;
}

/**
 * Closes every tool call whose process died before closing it: a `command_interrupted` audit row
 * when its command had started (it ran; its effects on the working copy are unknown), and a
 * `tool_result` with ok:false saying so. Run at start after the queue's recovery (so the call's
 * job already says whether the task runs again) and after each lease sweep. Returns how many.
 */
export function recoverInterruptedToolCalls(deps: RecoverToolCallsDeps): number {
  const { db, events, audit, clock, logger } = deps;
  const isAlive = deps.isAlive ?? pidAlive;
  const rows = stmt(db, 'SELECT * FROM open_tool_calls ORDER BY opened_at').all() as OpenRow[];
  let closed = 0;
  for (const r of rows) {
    if (stillRunning(r, db, isAlive)) continue;
    const done = inTx(db, () => {
      if (!stmt(db, 'SELECT 1 FROM open_tool_calls WHERE tool_call_id = ?').get(r.tool_call_id)) return false; // closed meanwhile
      const now = clock.now();
      const job = r.job_id ? (stmt(db, 'SELECT state FROM jobs WHERE id = ?').get(r.job_id) as { state: string } | undefined) : undefined;
      const next = job?.state === 'queued' ? 'the task runs again from the start' : job?.state === 'failed' ? 'the task has no attempts left' : 'the task does not run again';
      const ranBy = `${r.host}:${r.pid}`;
      let output: string;
      if (r.started_at !== null) {
        const start = stmt(db, 'SELECT command, cwd, verdict, approval_id FROM audit_log WHERE seq = ?').get(r.audit_seq) as { command: string | null; cwd: string | null; verdict: string | null; approval_id: string | null } | undefined;
        audit.append({
          taskId: r.task_id,
          actor: 'orchestrator',
          action: 'command_interrupted',
          command: start?.command ?? null,
          cwd: start?.cwd ?? null,
          verdict: start?.verdict ?? null,
          approvalId: start?.approval_id ?? null,
          data: { toolCallId: r.tool_call_id, startedSeq: r.audit_seq, agent: r.agent_id, ranBy, reason: 'the orchestrator process stopped while the command ran', next },
        });
        output = `interrupted: the orchestrator process (${ranBy}) stopped while this command ran (started ${Math.round((now - r.started_at) / 1000)} s before this restart noticed); it did not finish and its effects on the working copy are unknown; ${next}`;
      } else {
        output = `not run: the orchestrator process (${ranBy}) stopped before this command started; ${next}`;
      }
      stmt(db, 'DELETE FROM open_tool_calls WHERE tool_call_id = ?').run(r.tool_call_id);
      events.append({
        type: 'tool_result',
        sessionId: r.session_id,
        taskId: r.task_id,
        from: r.agent_id,
        payload: { taskId: r.task_id, toolCallId: r.tool_call_id, tool: r.tool, ok: false, output, truncated: false, durationMs: r.started_at === null ? 0 : Math.max(0, now - r.started_at) },
      });
      return true;
    });
    if (done) {
      closed++;
      logger.warn(`tool call ${r.tool_call_id} of task ${r.task_id} was cut off by a process that died; closed as interrupted`, { started: r.started_at !== null });
    }
  }
  return closed;
}
