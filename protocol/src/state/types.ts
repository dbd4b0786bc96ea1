/**
 * The shapes of the client state that protocol events fold into (see `reduce.ts`): tasks with their
 * steps, tool calls, approvals and notes; approvals by id; agents; the chat timeline. Types only.
 */
import type { ErrorInfo, PolicyVerdict, Risk, TaskBase, TaskState } from '../common';
import type { EventPayload } from '../messages';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

export interface ToolCallView {
  toolCallId: string;
  tool: string;
  args: Record<string, unknown>;
  /** The command line (or `tool path`) a person reads: see `commandText`. */
  command: string;
  verdict?: PolicyVerdict;
  seq: number;
  result?: EventPayload<'tool_result'>;
}

/** A named phase of a task (`task_progress.step`); tool calls land in the newest one. */
export interface StepView {
  name: string;
  toolCalls: ToolCallView[];
}

export interface ApprovalView {
  approvalId: string;
  taskId: string;
  kind: EventPayload<'approval_required'>['kind'];
  title: string;
  reason: string;
  risk: Risk;
  command?: string;
  patch?: string;
  expiresAt?: string;
  status: ApprovalStatus;
  /** Who decided (`orchestrator` for an expiry). */
  by?: string;
  seq: number;
}

/** A line in a task's history besides tool calls and approvals. */
export interface NoteView {
  seq: number;
  kind: 'progress' | 'log' | 'error' | 'check' | 'diff' | 'git';
  text: string;
  level?: string;
}

export interface TaskView {
  taskId: string;
  title: string;
  request: string;
  parentId?: string;
  repoId?: string;
  /** What the working copy started from (commit, branch, uncommitted changes), once prepared. */
  base?: TaskBase;
  state: TaskState;
  agentId?: string;
  progress?: string;
  percent?: number;
  summary?: string;
  error?: ErrorInfo;
  steps: StepView[];
  /** Every tool call in arrival order (the same objects as in `steps`). */
  toolCalls: ToolCallView[];
  /** This task's approvals in arrival order (the same objects as in `ClientState.approvals`). */
  approvals: ApprovalView[];
  notes: NoteView[];
  createdSeq: number;
  /** The seq of the last event that changed this task: grows on every change (a render cache key). */
  updatedSeq: number;
}

/** A chat line: what a person or an agent said, or an error/warning not tied to a task. */
export interface MessageView {
  kind: 'user' | 'assistant' | 'error' | 'log';
  key: string;
  seq: number;
  text: string;
  from: string;
  ts: string;
  taskId?: string;
}

/** The chat timeline: a task appears once, where it was first seen; messages in seq order. */
export type TimelineItem = { kind: 'task'; key: string; seq: number; task: TaskView } | MessageView;

export interface AgentView {
  status: EventPayload<'agent_status'>['status'];
  taskId?: string;
}

export interface ClientState {
  readonly tasks: Map<string, TaskView>;
  readonly approvals: Map<string, ApprovalView>;
  readonly agents: Map<string, AgentView>;
  readonly timeline: TimelineItem[];
  /** The highest seq applied: an event at or below it is a duplicate and changes nothing. */
  lastSeq: number;
  /** Events applied (duplicates excluded). */
  applied: number;
  duplicates: number;
}

/** What one event changed, for surfaces that refresh selectively (empty: nothing visible changed). */
export type StateChange =
  | { kind: 'task'; taskId: string }
  | { kind: 'approval'; approval: ApprovalView; previous?: ApprovalStatus }
  | { kind: 'agent'; agentId: string }
  | { kind: 'message'; seq: number };

export interface TaskCounts {
  running: number;
  /** Pending approvals (not tasks): what waits for a person. */
  awaiting: number;
  failed: number;
  queued: number;
  completed: number;
  total: number;
  busyAgents: number;
}
