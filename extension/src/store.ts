/**
 * The extension's model of the orchestrator's state, reduced from protocol events (in seq order):
 * tasks (with steps and tool calls), approvals, agents. The tree views, the status bar, the quick pick
 * and the approval notifications all read from here. No vscode import.
 */
import type { EventMessage, EventPayload, TaskState } from '@pushpals/protocol/client';

export interface ToolCallModel {
  toolCallId: string;
  tool: string;
  args: Record<string, unknown>;
  verdict?: string;
  seq: number;
  result?: EventPayload<'tool_result'>;
}

export interface StepModel {
  name: string;
  toolCalls: ToolCallModel[];
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ApprovalModel {
  approvalId: string;
  taskId: string;
  kind: string;
  title: string;
  reason: string;
  risk: string;
  command?: string;
  patch?: string;
  status: ApprovalStatus;
  by?: string;
  seq: number;
}

export interface TaskModel {
  taskId: string;
  title: string;
  request: string;
  parentId?: string;
  state: TaskState;
  agentId?: string;
  progress?: string;
  percent?: number;
  summary?: string;
  error?: string;
  steps: StepModel[];
  toolCalls: Map<string, ToolCallModel>;
  createdSeq: number;
  updatedSeq: number;
}

export interface Counts {
  running: number;
  awaiting: number;
  failed: number;
  queued: number;
  completed: number;
  total: number;
  busyAgents: number;
}

/** The step tool calls land in before any `task_progress{step}` names one. */
export const DEFAULT_STEP = 'Run';
const ACTIVE: ReadonlySet<TaskState> = new Set<TaskState>(['queued', 'running', 'awaiting_approval']);

export const isActive = (s: TaskState): boolean => ACTIVE.has(s);

export type StoreChange =
  | { kind: 'task'; taskId: string }
  | { kind: 'approval'; approval: ApprovalModel; previous?: ApprovalStatus }
  | { kind: 'agent' }
  | { kind: 'reset' };

export class TaskStore {
  readonly tasks = new Map<string, TaskModel>();
  readonly approvals = new Map<string, ApprovalModel>();
  readonly agents = new Map<string, { status: string; taskId?: string }>();
  private readonly listeners = new Set<(changes: StoreChange[]) => void>();
  private batch: StoreChange[] | undefined;

  onChange(l: (changes: StoreChange[]) => void): { dispose(): void } {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  }

  reset(): void {
    this.tasks.clear();
    this.approvals.clear();
    this.agents.clear();
    this.emit([{ kind: 'reset' }]);
  }

  /** Applies many events and notifies once (replay after a reconnect arrives in bursts). */
  applyAll(events: readonly EventMessage[]): void {
    this.batch = [];
    try {
      for (const e of events) this.apply(e);
    } finally {
      const b = this.batch;
      this.batch = undefined;
      if (b.length) this.emit(b);
    }
  }

  apply(e: EventMessage): void {
    const changes: StoreChange[] = [];
    const touch = (t: TaskModel | undefined): void => {
      if (!t) return;
      t.updatedSeq = e.seq;
      changes.push({ kind: 'task', taskId: t.taskId });
    };
    switch (e.type) {
      case 'task_created': {
        const p = e.payload;
        const existing = this.tasks.get(p.taskId);
        const t: TaskModel = existing ?? { taskId: p.taskId, title: p.title, request: p.request, state: p.state, steps: [], toolCalls: new Map(), createdSeq: e.seq, updatedSeq: e.seq };
        if (p.parentId) t.parentId = p.parentId;
        t.title = p.title;
        this.tasks.set(p.taskId, t);
        touch(t);
        break;
      }
      case 'task_started': {
        const t = this.task(e.payload.taskId, e.seq);
        t.state = 'running';
        t.agentId = e.payload.agentId;
        touch(t);
        break;
      }
      case 'task_progress': {
        const t = this.task(e.payload.taskId, e.seq);
        t.progress = e.payload.message;
        if (e.payload.percent !== undefined) t.percent = e.payload.percent;
        if (e.payload.step && t.steps.at(-1)?.name !== e.payload.step) t.steps.push({ name: e.payload.step, toolCalls: [] });
        touch(t);
        break;
      }
      case 'task_completed': {
        const t = this.task(e.payload.taskId, e.seq);
        t.state = 'completed';
        t.summary = e.payload.summary;
        touch(t);
        break;
      }
      case 'task_failed': {
        const t = this.task(e.payload.taskId, e.seq);
        t.state = 'failed';
        t.error = e.payload.error.message;
        touch(t);
        break;
      }
      case 'task_cancelled': {
        const t = this.task(e.payload.taskId, e.seq);
        t.state = 'cancelled';
        touch(t);
        break;
      }
      case 'tool_call': {
        const p = e.payload;
        const t = this.task(p.taskId, e.seq);
        const call: ToolCallModel = { toolCallId: p.toolCallId, tool: p.tool, args: p.args, seq: e.seq, ...(p.policy ? { verdict: p.policy.verdict } : {}) };
        t.toolCalls.set(p.toolCallId, call);
        let step = t.steps.at(-1);
        if (!step) {
          step = { name: DEFAULT_STEP, toolCalls: [] };
          t.steps.push(step);
        }
        step.toolCalls.push(call);
        touch(t);
        break;
      }
      case 'tool_result': {
        const p = e.payload;
        const t = this.task(p.taskId, e.seq);
        const call = t.toolCalls.get(p.toolCallId);
        if (call) call.result = p;
        touch(t);
        break;
      }
      case 'approval_required': {
        const p = e.payload;
        const a: ApprovalModel = {
          approvalId: p.approvalId, taskId: p.taskId, kind: p.kind, title: p.title, reason: p.reason, risk: p.risk, status: 'pending', seq: e.seq,
          ...(p.command !== undefined ? { command: p.command } : {}),
          ...(p.patch !== undefined ? { patch: p.patch } : {}),
        };
        const prev = this.approvals.get(p.approvalId);
        if (prev && prev.status !== 'pending') break; // decided already (first decision wins)
        this.approvals.set(p.approvalId, a);
        const t = this.task(p.taskId, e.seq);
        if (isActive(t.state)) t.state = 'awaiting_approval';
        touch(t);
        changes.push({ kind: 'approval', approval: a });
        break;
      }
      case 'approved':
      case 'denied': {
        const p = e.payload;
        const a = this.approvals.get(p.approvalId);
        if (a) {
          const previous = a.status;
          a.status = decidedStatus(e);
          a.by = p.by;
          changes.push({ kind: 'approval', approval: a, previous });
        }
        const t = this.task(p.taskId, e.seq);
        if (t.state === 'awaiting_approval' && !this.pendingFor(t.taskId).length) t.state = 'running';
        touch(t);
        break;
      }
      case 'agent_status': {
        const p = e.payload;
        this.agents.set(p.agentId, { status: p.status, ...(p.taskId ? { taskId: p.taskId } : {}) });
        changes.push({ kind: 'agent' });
        break;
      }
      default:
        return;
    }
    if (changes.length) this.emit(changes);
  }

  /** A task seen first through a later event (e.g. replay filtered by task): a placeholder. */
  private task(taskId: string, seq: number): TaskModel {
    let t = this.tasks.get(taskId);
    if (!t) {
      t = { taskId, title: taskId, request: '', state: 'running', steps: [], toolCalls: new Map(), createdSeq: seq, updatedSeq: seq };
      this.tasks.set(taskId, t);
    }
    return t;
  }

  pendingApprovals(): ApprovalModel[] {
    return [...this.approvals.values()].filter((a) => a.status === 'pending').sort((a, b) => a.seq - b.seq);
  }

  pendingFor(taskId: string): ApprovalModel[] {
    return this.pendingApprovals().filter((a) => a.taskId === taskId);
  }

  /** Newest first. */
  taskList(): TaskModel[] {
    return [...this.tasks.values()].sort((a, b) => b.createdSeq - a.createdSeq);
  }

  counts(): Counts {
    const c: Counts = { running: 0, awaiting: 0, failed: 0, queued: 0, completed: 0, total: 0, busyAgents: 0 };
    for (const t of this.tasks.values()) {
      c.total++;
      if (t.state === 'running') c.running++;
      else if (t.state === 'failed') c.failed++;
      else if (t.state === 'queued') c.queued++;
      else if (t.state === 'completed') c.completed++;
    }
    c.awaiting = this.pendingApprovals().length;
    for (const a of this.agents.values()) if (a.status === 'busy') c.busyAgents++;
    return c;
  }

  private emit(changes: StoreChange[]): void {
    if (this.batch) {
      this.batch.push(...changes);
      return;
    }
    for (const l of [...this.listeners]) l(changes);
  }
}

/**
 * The orchestrator reports an approval that timed out as `denied` by `orchestrator` with reason
 * `expired` (protocol: "An approval was refused or expired"): keep that distinction for the surfaces.
 */
export function decidedStatus(e: EventMessage): ApprovalStatus {
  if (e.type === 'approved') return 'approved';
  const p = e.payload as { by?: string; reason?: string };
  return e.type === 'denied' && p.by === 'orchestrator' && p.reason === 'expired' ? 'expired' : 'denied';
}
