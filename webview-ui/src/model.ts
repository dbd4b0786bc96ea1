/**
 * The chat's view model, reduced from protocol events in seq order. Pure (no DOM): the same reducer
 * serves the VS Code webview and the phone page. Every event is applied at most once (dedupe by seq).
 */
import type { EventMessage, EventPayload, TaskState } from '@pushpals/protocol/client';

export interface ToolCallView {
  toolCallId: string;
  tool: string;
  command: string;
  verdict?: string;
  seq: number;
  result?: EventPayload<'tool_result'>;
}

export interface ApprovalView {
  approvalId: string;
  kind: string;
  title: string;
  reason: string;
  risk: string;
  command?: string;
  patch?: string;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  by?: string;
  seq: number;
}

export interface NoteView {
  seq: number;
  kind: 'progress' | 'log' | 'error' | 'check' | 'diff' | 'git' | 'message';
  text: string;
  level?: string;
}

export interface TaskCard {
  kind: 'task';
  key: string;
  seq: number;
  taskId: string;
  title: string;
  request: string;
  state: TaskState;
  agentId?: string;
  progress?: string;
  percent?: number;
  summary?: string;
  error?: string;
  toolCalls: ToolCallView[];
  approvals: ApprovalView[];
  notes: NoteView[];
  /** Bumped on every change: the renderer's cache key. */
  version: number;
}

export interface MessageItem {
  kind: 'user' | 'assistant' | 'error' | 'log';
  key: string;
  seq: number;
  text: string;
  from: string;
  ts: string;
  taskId?: string;
  version: number;
}

export type ChatItem = TaskCard | MessageItem;

export function commandText(tool: string, args: Record<string, unknown>): string {
  const c = args.command ?? args.cmd;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map(String).join(' ');
  const p = args.path ?? args.file;
  return typeof p === 'string' ? `${tool} ${p}` : tool;
}

export class ChatModel {
  readonly items: ChatItem[] = [];
  readonly tasks = new Map<string, TaskCard>();
  lastSeq = 0;
  eventCount = 0;
  duplicates = 0;
  agents = new Map<string, string>();

  reset(): void {
    this.items.length = 0;
    this.tasks.clear();
    this.agents.clear();
    this.lastSeq = 0;
    this.eventCount = 0;
  }

  /** Applies events; returns true when anything visible changed. */
  applyAll(events: readonly EventMessage[]): boolean {
    let changed = false;
    for (const e of events) changed = this.apply(e) || changed;
    return changed;
  }

  pendingApprovals(): ApprovalView[] {
    const out: ApprovalView[] = [];
    for (const t of this.tasks.values()) for (const a of t.approvals) if (a.status === 'pending') out.push(a);
    return out;
  }

  private card(taskId: string, seq: number): TaskCard {
    let t = this.tasks.get(taskId);
    if (!t) {
      t = { kind: 'task', key: `task:${taskId}`, seq, taskId, title: taskId, request: '', state: 'running', toolCalls: [], approvals: [], notes: [], version: 0 };
      this.tasks.set(taskId, t);
      this.items.push(t);
    }
    return t;
  }

  apply(e: EventMessage): boolean {
    if (e.seq <= this.lastSeq) {
      this.duplicates++;
      return false;
    }
    this.lastSeq = e.seq;
    this.eventCount++;
    const msg = (kind: MessageItem['kind'], text: string, taskId?: string): void => {
      this.items.push({ kind, key: `m:${e.seq}`, seq: e.seq, text, from: e.from, ts: e.ts, version: 0, ...(taskId ? { taskId } : {}) });
    };
    const bump = (t: TaskCard): true => {
      t.version++;
      return true;
    };
    switch (e.type) {
      case 'user_message':
        msg('user', e.payload.text);
        return true;
      case 'assistant_message':
        msg('assistant', e.payload.text, e.payload.taskId);
        return true;
      case 'error':
        if (e.payload.taskId) {
          const t = this.card(e.payload.taskId, e.seq);
          t.notes.push({ seq: e.seq, kind: 'error', text: `${e.payload.error.message} (${e.payload.error.code})` });
          return bump(t);
        }
        msg('error', `${e.payload.error.message} (${e.payload.error.code})`);
        return true;
      case 'log':
        if (e.payload.taskId) {
          const t = this.card(e.payload.taskId, e.seq);
          t.notes.push({ seq: e.seq, kind: 'log', text: e.payload.message, level: e.payload.level });
          return bump(t);
        }
        if (e.payload.level === 'warn' || e.payload.level === 'error') {
          msg('log', e.payload.message);
          return true;
        }
        return false;
      case 'task_created': {
        const p = e.payload;
        const t = this.card(p.taskId, e.seq);
        t.title = p.title;
        t.request = p.request;
        t.state = p.state;
        return bump(t);
      }
      case 'task_started': {
        const t = this.card(e.payload.taskId, e.seq);
        t.state = 'running';
        t.agentId = e.payload.agentId;
        return bump(t);
      }
      case 'task_progress': {
        const t = this.card(e.payload.taskId, e.seq);
        t.progress = e.payload.message;
        if (e.payload.percent !== undefined) t.percent = e.payload.percent;
        t.notes.push({ seq: e.seq, kind: 'progress', text: e.payload.step ? `${e.payload.step}: ${e.payload.message}` : e.payload.message });
        return bump(t);
      }
      case 'task_completed': {
        const t = this.card(e.payload.taskId, e.seq);
        t.state = 'completed';
        t.summary = e.payload.summary;
        return bump(t);
      }
      case 'task_failed': {
        const t = this.card(e.payload.taskId, e.seq);
        t.state = 'failed';
        t.error = `${e.payload.error.message} (${e.payload.error.code})`;
        return bump(t);
      }
      case 'task_cancelled': {
        const t = this.card(e.payload.taskId, e.seq);
        t.state = 'cancelled';
        if (e.payload.reason) t.notes.push({ seq: e.seq, kind: 'progress', text: `cancelled: ${e.payload.reason}` });
        return bump(t);
      }
      case 'tool_call': {
        const p = e.payload;
        const t = this.card(p.taskId, e.seq);
        t.toolCalls.push({ toolCallId: p.toolCallId, tool: p.tool, command: commandText(p.tool, p.args), seq: e.seq, ...(p.policy ? { verdict: p.policy.verdict } : {}) });
        return bump(t);
      }
      case 'tool_result': {
        const p = e.payload;
        const t = this.card(p.taskId, e.seq);
        const call = t.toolCalls.find((c) => c.toolCallId === p.toolCallId);
        if (call) call.result = p;
        else t.toolCalls.push({ toolCallId: p.toolCallId, tool: p.tool, command: p.tool, seq: e.seq, result: p });
        return bump(t);
      }
      case 'approval_required': {
        const p = e.payload;
        const t = this.card(p.taskId, e.seq);
        if (t.approvals.some((a) => a.approvalId === p.approvalId)) return false;
        t.approvals.push({
          approvalId: p.approvalId, kind: p.kind, title: p.title, reason: p.reason, risk: p.risk, status: 'pending', seq: e.seq,
          ...(p.command !== undefined ? { command: p.command } : {}),
          ...(p.patch !== undefined ? { patch: p.patch } : {}),
        });
        if (t.state === 'running' || t.state === 'queued') t.state = 'awaiting_approval';
        return bump(t);
      }
      case 'approved':
      case 'denied': {
        const p = e.payload;
        const t = this.card(p.taskId, e.seq);
        const a = t.approvals.find((x) => x.approvalId === p.approvalId);
        if (a && a.status === 'pending') {
          // An approval that timed out arrives as `denied` by `orchestrator`, reason `expired`.
          a.status = e.type === 'denied' && e.payload.by === 'orchestrator' && e.payload.reason === 'expired' ? 'expired' : e.type;
          a.by = p.by;
        }
        if (t.state === 'awaiting_approval' && !t.approvals.some((x) => x.status === 'pending')) t.state = 'running';
        return bump(t);
      }
      case 'diff_ready': {
        const t = this.card(e.payload.taskId, e.seq);
        t.notes.push({ seq: e.seq, kind: 'diff', text: `diff ready: ${e.payload.files.join(', ')} (${e.payload.hunks.length} hunk(s))` });
        return bump(t);
      }
      case 'check_result': {
        const t = this.card(e.payload.taskId, e.seq);
        t.notes.push({ seq: e.seq, kind: 'check', text: `check ${e.payload.name}: ${e.payload.status} (${e.payload.command})` });
        return bump(t);
      }
      case 'committed':
      case 'pushed': {
        const t = this.card(e.payload.taskId, e.seq);
        t.notes.push({ seq: e.seq, kind: 'git', text: e.type === 'committed' ? `committed ${e.payload.sha.slice(0, 8)} on ${e.payload.branch}` : `pushed ${e.payload.branch} to ${e.payload.remote}` });
        return bump(t);
      }
      case 'pr_opened': {
        const t = this.card(e.payload.taskId, e.seq);
        t.notes.push({ seq: e.seq, kind: 'git', text: `PR #${e.payload.number} opened: ${e.payload.url}` });
        return bump(t);
      }
      case 'agent_status':
        this.agents.set(e.payload.agentId, e.payload.status);
        return true;
      default:
        return false;
    }
  }
}
