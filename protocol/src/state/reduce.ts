/**
 * THE reducer of protocol events into client state, shared by every surface (the VS Code extension's
 * trees and status bar, the chat webview, later a phone page), so they cannot disagree about what an
 * event means. Deterministic and free of I/O: `applyEvent` changes only the state it is given and
 * returns what changed. Events apply in seq order; one at or below `lastSeq` is a duplicate (a replay
 * overlapping live events) and changes nothing. Imports types only: no TypeBox at run time.
 */
import type { ErrorInfo } from '../common';
import type { EventMessage } from '../messages';
import { endDrafts } from './drafts';
import { outcomeText, phaseLabel } from './evidence';
import { commandText, describeChangeCounts, isActive } from './selectors';
import type { ApprovalStatus, ApprovalView, ClientState, NoteView, StateChange, TaskView, ToolCallView } from './types';

/** `by` of an approval an auto-commit grant decided: `grant:<grantId>`. */
export const GRANT_PREFIX = 'grant:';

/** The step tool calls land in before any `task_progress{step}` names one. */
export const DEFAULT_STEP = 'Run';

export function createClientState(): ClientState {
  return { tasks: new Map(), approvals: new Map(), agents: new Map(), grants: new Map(), timeline: [], drafts: new Map(), lastSeq: 0, applied: 0, duplicates: 0 };
}

/** `message (code)`: how surfaces show an ErrorInfo in one line. */
export const errorText = (e: ErrorInfo): string => `${e.message} (${e.code})`;

/**
 * The orchestrator reports an approval that timed out as `denied` by `orchestrator` with reason
 * `expired`: the surfaces show that as "expired", not as a person's refusal.
 */
export function decisionStatus(e: EventMessage<'approved' | 'denied'>): ApprovalStatus {
  if (e.type === 'approved') return 'approved';
  return e.payload.by === 'orchestrator' && e.payload.reason === 'expired' ? 'expired' : 'denied';
}

/** Applies events in order; returns every change (a replay after a reconnect is one batch). */
export function applyEvents(state: ClientState, events: readonly EventMessage[]): StateChange[] {
  const changes: StateChange[] = [];
  for (const e of events) changes.push(...applyEvent(state, e));
  return changes;
}

export function applyEvent(state: ClientState, e: EventMessage): StateChange[] {
  if (e.seq <= state.lastSeq) {
    state.duplicates++;
    return [];
  }
  state.lastSeq = e.seq;
  state.applied++;
  const changes: StateChange[] = [];
  const changed = (t: TaskView): void => {
    t.updatedSeq = e.seq;
    changes.push({ kind: 'task', taskId: t.taskId });
  };
  const note = (t: TaskView, kind: NoteView['kind'], text: string, level?: string): void => {
    t.notes.push({ seq: e.seq, kind, text, ...(level ? { level } : {}) });
    changed(t);
  };
  const message = (kind: 'user' | 'assistant' | 'error' | 'log', text: string, taskId?: string): void => {
    state.timeline.push({ kind, key: `m:${e.seq}`, id: e.id, seq: e.seq, text, from: e.from, ts: e.ts, ...(taskId ? { taskId } : {}) });
    changes.push({ kind: 'message', seq: e.seq });
  };
  const task = (taskId: string): TaskView => taskOf(state, taskId, e.seq);
  /** A task that reached a final state: it is not paused any more. */
  const ended = (taskId: string, final: 'completed' | 'failed' | 'cancelled'): TaskView => {
    const t = task(taskId);
    t.state = final;
    delete t.paused;
    return t;
  };
  // The stored reply replaces its draft; the end of a turn (or its error) ends a draft left without one.
  if (state.drafts.size) changes.push(...endDrafts(state, e));

  switch (e.type) {
    case 'user_message':
      message('user', e.payload.text);
      break;
    case 'assistant_message':
      message('assistant', e.payload.text, e.payload.taskId);
      break;
    case 'error':
      if (e.payload.taskId) note(task(e.payload.taskId), 'error', errorText(e.payload.error));
      else message('error', errorText(e.payload.error));
      break;
    case 'log':
      if (e.payload.taskId) note(task(e.payload.taskId), 'log', e.payload.message, e.payload.level);
      // Untied debug/info lines are diagnostics, not conversation.
      else if (e.payload.level === 'warn' || e.payload.level === 'error') message('log', e.payload.message);
      break;
    case 'task_created': {
      const p = e.payload;
      const t = task(p.taskId);
      t.title = p.title;
      t.request = p.request;
      t.state = p.state;
      if (p.parentId) t.parentId = p.parentId;
      if (p.repoId) t.repoId = p.repoId;
      changed(t);
      break;
    }
    case 'task_started': {
      const t = task(e.payload.taskId);
      t.state = 'running';
      t.agentId = e.payload.agentId;
      changed(t);
      break;
    }
    case 'task_base': {
      const t = task(e.payload.taskId);
      t.base = e.payload.base;
      t.repoId = e.payload.repoId;
      changed(t);
      break;
    }
    case 'task_progress': {
      const p = e.payload;
      const t = task(p.taskId);
      t.progress = p.message;
      if (p.percent !== undefined) t.percent = p.percent;
      if (p.step && t.steps.at(-1)?.name !== p.step) t.steps.push({ name: p.step, toolCalls: [] });
      note(t, 'progress', p.step ? `${p.step}: ${p.message}` : p.message);
      break;
    }
    case 'task_completed': {
      const t = ended(e.payload.taskId, 'completed');
      t.summary = e.payload.summary;
      changed(t);
      break;
    }
    case 'task_failed': {
      const t = ended(e.payload.taskId, 'failed');
      t.error = e.payload.error;
      changed(t);
      break;
    }
    case 'task_cancelled': {
      const t = ended(e.payload.taskId, 'cancelled');
      if (e.payload.reason) note(t, 'progress', `cancelled: ${e.payload.reason}`);
      else changed(t);
      break;
    }
    case 'task_paused':
    case 'task_resumed': {
      const t = task(e.payload.taskId);
      t.paused = e.type === 'task_paused';
      note(t, 'progress', `${t.paused ? 'paused' : 'resumed'} by ${e.payload.by}`);
      break;
    }
    case 'tool_call': {
      const p = e.payload;
      const t = task(p.taskId);
      addToolCall(t, { toolCallId: p.toolCallId, tool: p.tool, args: p.args, command: commandText(p.tool, p.args), seq: e.seq, ...(p.policy ? { verdict: p.policy.verdict } : {}) });
      changed(t);
      break;
    }
    case 'tool_result': {
      const p = e.payload;
      const t = task(p.taskId);
      const call = t.toolCalls.find((c) => c.toolCallId === p.toolCallId);
      if (call) call.result = p;
      // Its tool_call was not seen (a replay filtered by task starts later): keep the result anyway.
      else addToolCall(t, { toolCallId: p.toolCallId, tool: p.tool, args: {}, command: p.tool, seq: e.seq, result: p });
      changed(t);
      break;
    }
    case 'approval_required': {
      const p = e.payload;
      if (state.approvals.has(p.approvalId)) break; // one request per id; a copy changes nothing
      const a: ApprovalView = {
        approvalId: p.approvalId, taskId: p.taskId, kind: p.kind, title: p.title, reason: p.reason, risk: p.risk, status: 'pending', seq: e.seq,
        ...(p.command !== undefined ? { command: p.command } : {}),
        ...(p.patch !== undefined ? { patch: p.patch } : {}),
        ...(p.message !== undefined ? { message: p.message } : {}),
        ...(p.pullRequest !== undefined ? { pullRequest: { ...p.pullRequest } } : {}),
        ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
      };
      state.approvals.set(a.approvalId, a);
      const t = task(p.taskId);
      t.approvals.push(a);
      if (isActive(t.state)) t.state = 'awaiting_approval';
      changed(t);
      changes.push({ kind: 'approval', approval: a });
      break;
    }
    case 'approved':
    case 'denied': {
      const p = e.payload;
      const a = state.approvals.get(p.approvalId);
      // The first decision wins; a later event for a decided approval changes nothing on it.
      if (a && a.status === 'pending') {
        a.status = decisionStatus(e);
        a.by = p.by;
        changes.push({ kind: 'approval', approval: a, previous: 'pending' });
      }
      const t = task(p.taskId);
      // Decided by an auto-commit grant: nobody was asked (no approval_required), the task's history says so.
      if (!a && e.type === 'approved' && p.by.startsWith(GRANT_PREFIX)) t.notes.push({ seq: e.seq, kind: 'grant', text: `auto-approved by ${p.by}` });
      if (t.state === 'awaiting_approval' && !t.approvals.some((x) => x.status === 'pending')) t.state = 'running';
      changed(t);
      break;
    }
    case 'diff_ready': {
      const p = e.payload;
      const t = task(p.taskId);
      t.review = { diffSeq: e.seq, diff: p.diff, files: p.files, hunks: p.hunks.map((h) => ({ ...h })), ...(p.fileChanges?.length ? { fileChanges: p.fileChanges.map((f) => ({ ...f })) } : {}), ...(p.baseCommit ? { baseCommit: p.baseCommit } : {}), ...(p.evidence ? { evidence: p.evidence } : {}) };
      note(t, 'diff', `diff ready: ${p.files.join(', ')} (${describeChangeCounts(p.hunks.length, p.fileChanges?.length ?? 0)})`);
      changes.push({ kind: 'review', taskId: t.taskId });
      break;
    }
    case 'hunk_decided': {
      const p = e.payload;
      const t = state.tasks.get(p.taskId);
      const r = t?.review?.committed ? undefined : t?.review;
      // A hunk or a whole-file change (decided by its fileId); else an older diff's, or unknown: nothing changes.
      const h = r?.hunks.find((x) => x.hunkId === p.hunkId) ?? r?.fileChanges?.find((x) => x.fileId === p.hunkId);
      if (!t || !h) break;
      h.decision = p.decision;
      h.by = p.by;
      t.updatedSeq = e.seq;
      changes.push({ kind: 'review', taskId: t.taskId, hunkIds: [p.hunkId] });
      break;
    }
    case 'egress_blocked':
      note(task(e.payload.taskId), 'network', `blocked: ${e.payload.host}:${e.payload.port} (${e.payload.reason})`, 'warn');
      break;
    case 'check_result': {
      const { taskId, ...check } = e.payload;
      const t = task(taskId);
      t.checks.push({ ...check, seq: e.seq });
      if (t.review) changes.push({ kind: 'review', taskId: t.taskId }); // its evidence changed
      // A reused result names the task it came from (not "how long ago": a note is kept, and that would go stale).
      note(t, 'check', `check ${check.name}${check.phase ? ` (${phaseLabel(check.phase)})` : ''}: ${outcomeText(check)} (${check.command})${check.reusedFrom ? ` · reused from ${check.reusedFrom.taskId}` : ''}`);
      break;
    }
    case 'committed': {
      const p = e.payload;
      const t = task(p.taskId);
      if (t.review) {
        t.review.committed = { sha: p.sha, branch: p.branch, message: p.message, seq: e.seq, ...(p.hunks ? { hunks: p.hunks } : {}) };
        changes.push({ kind: 'review', taskId: t.taskId });
      }
      note(t, 'git', `committed ${p.sha.slice(0, 8)} on ${p.branch}`);
      break;
    }
    case 'pushed': {
      const t = task(e.payload.taskId);
      t.delivery = { ...t.delivery, pushed: { remote: e.payload.remote, branch: e.payload.branch, sha: e.payload.sha, seq: e.seq } };
      note(t, 'git', `pushed ${e.payload.branch} to ${e.payload.remote}`);
      break;
    }
    case 'pr_opened': {
      const t = task(e.payload.taskId);
      t.delivery = { ...t.delivery, pr: { url: e.payload.url, number: e.payload.number, title: e.payload.title, seq: e.seq } };
      note(t, 'git', `PR #${e.payload.number} ${e.payload.updated ? 'updated' : 'opened'}: ${e.payload.url}`);
      break;
    }
    case 'grant_added':
      state.grants.set(e.payload.grant.grantId, { ...e.payload.grant });
      changes.push({ kind: 'grant', grantId: e.payload.grant.grantId });
      break;
    case 'grant_revoked': {
      const g = state.grants.get(e.payload.grantId);
      if (g && g.revokedAt === undefined) {
        g.revokedAt = e.payload.revokedAt;
        changes.push({ kind: 'grant', grantId: g.grantId });
      }
      break;
    }
    case 'agent_status': {
      const p = e.payload;
      state.agents.set(p.agentId, { status: p.status, ...(p.taskId ? { taskId: p.taskId } : {}) });
      changes.push({ kind: 'agent', agentId: p.agentId });
      break;
    }
    default:
      break; // jobs, delegation, repos, suggestions, done: nothing a surface shows yet
  }
  return changes;
}

/** The task, or a placeholder when it is first seen through a later event (a replay filtered by task). */
function taskOf(state: ClientState, taskId: string, seq: number): TaskView {
  let t = state.tasks.get(taskId);
  if (!t) {
    t = { taskId, title: taskId, request: '', state: 'running', steps: [], toolCalls: [], approvals: [], notes: [], checks: [], createdSeq: seq, updatedSeq: seq };
    state.tasks.set(taskId, t);
    state.timeline.push({ kind: 'task', key: `task:${taskId}`, seq, task: t });
  }
  return t;
}

function addToolCall(t: TaskView, call: ToolCallView): void {
  t.toolCalls.push(call);
  let step = t.steps.at(-1);
  if (!step) {
    step = { name: DEFAULT_STEP, toolCalls: [] };
    t.steps.push(step);
  }
  step.toolCalls.push(call);
}
