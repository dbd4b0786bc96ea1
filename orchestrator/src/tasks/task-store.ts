/**
 * Tasks: persisted with their state, and every state change paired with its protocol event in one
 * transaction (the store and the event log never disagree). Terminal states are final.
 */
import { MAX_MESSAGE_LENGTH, MAX_TITLE_LENGTH, newId, type ErrorInfo, type TaskBase, type TaskState, type TaskSummary } from '@pushpals/protocol';
import type { WorkerAgent } from '../config';
import { PushPalsError } from '../errors';
import type { EventLog } from '../events/event-log';
import type { Db } from '../store/db';
import { stmt } from '../store/statements';
import type { Clock } from '../util/clock';

export interface TaskContextInfo {
  file?: string;
  selection?: string;
  language?: string;
  /** The worker asked for in task_new (`agent`); kept with the context so no schema change is needed. */
  agent?: WorkerAgent;
}

export interface TaskRecord {
  id: string;
  parentId: string | null;
  sessionId: string;
  repoId: string | null;
  title: string;
  request: string;
  context: TaskContextInfo | null;
  /** Lay the person's uncommitted changes over the base commit (asked for at creation). */
  includeUncommitted: boolean;
  /** What the working copy started from, once it was prepared. */
  base: TaskBase | null;
  state: TaskState;
  agentId: string | null;
  summary: string | null;
  error: ErrorInfo | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Paused by a person since then (task_pause), or null. */
  pausedAt: number | null;
}

interface Row {
  id: string;
  parent_id: string | null;
  session_id: string;
  repo_id: string | null;
  title: string;
  request: string;
  context_json: string | null;
  include_uncommitted: number;
  base_json: string | null;
  state: TaskState;
  agent_id: string | null;
  summary: string | null;
  error_json: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  paused_at: number | null;
}

const toRecord = (r: Row): TaskRecord => ({
  id: r.id,
  parentId: r.parent_id,
  sessionId: r.session_id,
  repoId: r.repo_id,
  title: r.title,
  request: r.request,
  context: r.context_json ? (JSON.parse(r.context_json) as TaskContextInfo) : null,
  includeUncommitted: r.include_uncommitted === 1,
  base: r.base_json ? (JSON.parse(r.base_json) as TaskBase) : null,
  state: r.state,
  agentId: r.agent_id,
  summary: r.summary,
  error: r.error_json ? (JSON.parse(r.error_json) as ErrorInfo) : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  pausedAt: r.paused_at,
});

export const TERMINAL_STATES: readonly TaskState[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (s: TaskState): boolean => TERMINAL_STATES.includes(s);

/** A one-line title from a request: its first line, cut at a word boundary. */
export function titleOf(request: string, max = 80): string {
  const line = request.trim().split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (line.length <= max) return line || 'Untitled task';
  const cut = line.slice(0, max - 1);
  const sp = cut.lastIndexOf(' ');
  return (sp > max / 2 ? cut.slice(0, sp) : cut) + '…';
}

export interface CreateTaskInput {
  request: string;
  sessionId: string;
  title?: string;
  parentId?: string;
  repoId?: string;
  /** The repository by id or name, as a client named it: resolved to `repoId` by the task admission (services). */
  repo?: string;
  includeUncommitted?: boolean;
  context?: TaskContextInfo;
  from?: string;
  correlationId?: string;
}

export class TaskStore {
  constructor(
    private readonly db: Db,
    private readonly events: EventLog,
    private readonly clock: Clock,
  ) {}

  get(id: string): TaskRecord | undefined {
    const r = stmt(this.db, 'SELECT * FROM tasks WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  require(id: string): TaskRecord {
    const t = this.get(id);
    if (!t) throw new PushPalsError('not_found', `no task ${id}`);
    return t;
  }

  list(): TaskRecord[] {
    return (stmt(this.db, 'SELECT * FROM tasks ORDER BY created_at, id').all() as Row[]).map(toRecord);
  }

  children(parentId: string): TaskRecord[] {
    return (stmt(this.db, 'SELECT * FROM tasks WHERE parent_id = ? ORDER BY created_at, id').all(parentId) as Row[]).map(toRecord);
  }

  /** Summaries for status_get (all tasks or one), with their pending approval counts. */
  summaries(taskId?: string): TaskSummary[] {
    const rows = (taskId === undefined
      ? stmt(this.db, `SELECT t.*, (SELECT COUNT(*) FROM approvals a WHERE a.task_id = t.id AND a.state = 'pending') AS pending FROM tasks t ORDER BY t.created_at, t.id LIMIT 10000`).all()
      : stmt(this.db, `SELECT t.*, (SELECT COUNT(*) FROM approvals a WHERE a.task_id = t.id AND a.state = 'pending') AS pending FROM tasks t WHERE t.id = ?`).all(taskId)) as Array<Row & { pending: number }>;
    return rows.map((r) => ({
      taskId: r.id,
      title: r.title.slice(0, MAX_TITLE_LENGTH),
      state: r.state,
      ...(r.parent_id ? { parentId: r.parent_id } : {}),
      ...(r.repo_id ? { repoId: r.repo_id } : {}),
      ...(r.base_json ? { base: JSON.parse(r.base_json) as TaskBase } : {}),
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      pendingApprovals: r.pending,
      ...(r.paused_at !== null ? { paused: true } : {}),
    }));
  }

  countByState(): Partial<Record<TaskState, number>> {
    const out: Partial<Record<TaskState, number>> = {};
    for (const r of stmt(this.db, 'SELECT state, COUNT(*) AS n FROM tasks GROUP BY state').all() as Array<{ state: TaskState; n: number }>) out[r.state] = r.n;
    return out;
  }

  /** Creates a queued task and emits `task_created`. Call inside a transaction to pair it with its job. */
  create(input: CreateTaskInput): TaskRecord {
    if (input.parentId !== undefined) this.require(input.parentId);
    const now = this.clock.now();
    const title = (input.title ?? titleOf(input.request)).slice(0, MAX_TITLE_LENGTH);
    const row = stmt(
      this.db,
      `INSERT INTO tasks (id, parent_id, session_id, repo_id, title, request, context_json, include_uncommitted, state, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING *`,
    ).get(
      newId('t'),
      input.parentId ?? null,
      input.sessionId,
      input.repoId ?? input.repo ?? null,
      title,
      input.request,
      input.context ? JSON.stringify(input.context) : null,
      input.includeUncommitted ? 1 : 0,
      now,
      now,
    ) as Row;
    const task = toRecord(row);
    this.events.append({
      type: 'task_created',
      sessionId: task.sessionId,
      ...(input.correlationId ? { correlationId: input.correlationId } : {}),
      payload: {
        taskId: task.id,
        title: task.title,
        request: task.request,
        ...(task.parentId ? { parentId: task.parentId } : {}),
        ...(task.repoId ? { repoId: task.repoId } : {}),
        state: task.state,
      },
    });
    return task;
  }

  /** queued/running → running, with `task_started`. Returns false for a terminal task. */
  markStarted(id: string, agentId: string): boolean {
    return this.tx(() => {
      const now = this.clock.now();
      const r = stmt(this.db, `UPDATE tasks SET state = 'running', agent_id = ?, started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ? AND state NOT IN ('completed', 'failed', 'cancelled') RETURNING *`).get(agentId, now, now, id) as Row | undefined;
      if (!r) return false;
      this.events.append({ type: 'task_started', sessionId: r.session_id, from: agentId, payload: { taskId: id, agentId } });
      return true;
    });
  }

  /**
   * Records what the task's working copy started from and announces it (`task_base`), in one
   * transaction. A re-run after a crash finds it here and reuses it.
   */
  setBase(id: string, repoId: string, base: TaskBase, from = 'orchestrator'): void {
    this.tx(() => {
      const r = stmt(this.db, `UPDATE tasks SET base_json = ?, repo_id = ?, updated_at = ? WHERE id = ? RETURNING session_id`).get(JSON.stringify(base), repoId, this.clock.now(), id) as { session_id: string } | undefined;
      if (!r) throw new PushPalsError('not_found', `no task ${id}`);
      this.events.append({ type: 'task_base', sessionId: r.session_id, taskId: id, from, payload: { taskId: id, repoId, base } });
    });
  }

  /** running ↔ awaiting_approval (no event of its own: approval_required/approved/denied tell it). */
  setWaiting(id: string, waiting: boolean): void {
    const [from, to] = waiting ? ['running', 'awaiting_approval'] : ['awaiting_approval', 'running'];
    stmt(this.db, `UPDATE tasks SET state = ?, updated_at = ? WHERE id = ? AND state = ?`).run(to, this.clock.now(), id, from);
  }

  complete(id: string, summary: string, from = 'orchestrator'): boolean {
    return this.finish(id, 'completed', from, { summary });
  }

  fail(id: string, error: ErrorInfo, from = 'orchestrator'): boolean {
    return this.finish(id, 'failed', from, { error });
  }

  /**
   * Fails the live tasks whose `queue` job ended for good (out of attempts — e.g. the process died
   * during every attempt — or failing before its agent ran) with no other job left to run them:
   * otherwise they would show `running` forever. Returns how many.
   */
  failAbandoned(queue: string): number {
    const rows = stmt(
      this.db,
      `SELECT t.id, (SELECT j.last_error FROM jobs j WHERE j.task_id = t.id AND j.queue = @queue AND j.state = 'failed' ORDER BY j.updated_at DESC LIMIT 1) AS error
       FROM tasks t
       WHERE t.state IN ('queued', 'running', 'awaiting_approval')
         AND EXISTS (SELECT 1 FROM jobs j WHERE j.task_id = t.id AND j.queue = @queue AND j.state = 'failed')
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.task_id = t.id AND j.queue = @queue AND j.state IN ('queued', 'running'))`,
    ).all({ queue }) as Array<{ id: string; error: string | null }>;
    let n = 0;
    for (const r of rows) {
      const message = `the task stopped without finishing: its job failed for good (${r.error ?? 'no error recorded'})`.slice(0, 4096);
      if (this.fail(r.id, { code: 'internal', message })) n++;
    }
    return n;
  }

  /**
   * Pauses or resumes a live task, with `task_paused` / `task_resumed`, in one transaction.
   * Idempotent (no event when nothing changes); a finished task is a `conflict`.
   */
  setPaused(id: string, paused: boolean, by: string): { task: TaskRecord; changed: boolean } {
    return this.tx(() => {
      const cur = this.require(id);
      if (isTerminal(cur.state)) throw new PushPalsError('conflict', `task ${id} already ${cur.state}: it cannot be ${paused ? 'paused' : 'resumed'}`, { state: cur.state });
      if ((cur.pausedAt !== null) === paused) return { task: cur, changed: false };
      const now = this.clock.now();
      stmt(this.db, `UPDATE tasks SET paused_at = ?, updated_at = ? WHERE id = ?`).run(paused ? now : null, now, id);
      this.events.append({ type: paused ? 'task_paused' : 'task_resumed', sessionId: cur.sessionId, taskId: id, from: by, payload: { taskId: id, by } });
      return { task: this.require(id), changed: true };
    });
  }

  /** Cancels a live task. Idempotent on a cancelled task; a finished task is a `conflict`. */
  cancel(id: string, by: string, reason?: string): { task: TaskRecord; changed: boolean } {
    return this.tx(() => {
      const cur = this.require(id);
      if (cur.state === 'cancelled') return { task: cur, changed: false };
      if (isTerminal(cur.state)) throw new PushPalsError('conflict', `task ${id} already ${cur.state}`, { state: cur.state });
      this.finish(id, 'cancelled', by, { reason });
      return { task: this.require(id), changed: true };
    });
  }

  private finish(id: string, state: 'completed' | 'failed' | 'cancelled', from: string, extra: { summary?: string; error?: ErrorInfo; reason?: string | undefined }): boolean {
    return this.tx(() => {
      const now = this.clock.now();
      const r = stmt(
        this.db,
        `UPDATE tasks SET state = ?, summary = ?, error_json = ?, finished_at = ?, updated_at = ?, paused_at = NULL WHERE id = ? AND state NOT IN ('completed', 'failed', 'cancelled') RETURNING *`,
      ).get(state, extra.summary ?? null, extra.error ? JSON.stringify(extra.error) : null, now, now, id) as Row | undefined;
      if (!r) return false;
      const base = { sessionId: r.session_id, from };
      if (state === 'completed') this.events.append({ ...base, type: 'task_completed', payload: { taskId: id, summary: extra.summary ?? '' } });
      else if (state === 'failed') this.events.append({ ...base, type: 'task_failed', payload: { taskId: id, error: extra.error ?? { code: 'internal', message: 'task failed' } } });
      else this.events.append({ ...base, type: 'task_cancelled', payload: { taskId: id, by: from, ...(extra.reason ? { reason: extra.reason.slice(0, MAX_MESSAGE_LENGTH) } : {}) } });
      return true;
    });
  }

  private tx<T>(fn: () => T): T {
    const run = this.db.transaction(fn);
    return this.db.inTransaction ? run() : run.immediate();
  }
}
