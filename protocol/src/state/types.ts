/**
 * The shapes of the client state that protocol events fold into (see `reduce.ts`): tasks with their
 * steps, tool calls, approvals and notes; approvals by id; agents; the chat timeline. Types only.
 */
import type { ErrorInfo, GrantInfo, PolicyVerdict, Risk, TaskBase, TaskState } from '../common';
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
  /** Commit approvals: the proposed commit message. */
  message?: string;
  /** `pr` approvals: the proposed title and body (editable when approving), the pull request it updates. */
  pullRequest?: { title: string; body: string; number?: number };
  expiresAt?: string;
  status: ApprovalStatus;
  /** Who decided (`orchestrator` for an expiry). */
  by?: string;
  seq: number;
}

/** A line in a task's history besides tool calls and approvals. */
export interface NoteView {
  seq: number;
  kind: 'progress' | 'log' | 'error' | 'check' | 'diff' | 'git' | 'network' | 'grant';
  text: string;
  level?: string;
}

export type HunkDecision = 'accept' | 'reject';

/** One hunk of a task's diff under review, with the latest decision on it (none yet: undefined). */
export interface ReviewHunkView {
  hunkId: string;
  file: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  header: string;
  decision?: HunkDecision;
  /** Who decided last. */
  by?: string;
}

/** One `check_result`: what a check did on which tree (the output is its tail; `excerpt` the lines around the first failure). */
export type CheckView = Omit<EventPayload<'check_result'>, 'taskId'> & { seq: number };

/** The evidence a `diff_ready` carried: the tree its checks ran on, their outcomes, the same checks on the base. */
export type EvidenceView = NonNullable<EventPayload<'diff_ready'>['evidence']>;

/** The task's latest `diff_ready` and what happened to it since: decisions, the commit. */
export interface ReviewView {
  /** The seq of the `diff_ready`: a newer diff replaces the review (decisions start again). */
  diffSeq: number;
  diff: string;
  baseCommit?: string;
  files: string[];
  hunks: ReviewHunkView[];
  /** The checks run on exactly this diff's tree (and on its base), when the diff carried them. */
  evidence?: EvidenceView;
  committed?: { sha: string; branch: string; message: string; seq: number; hunks?: string[] };
}

export interface DeliveryView {
  pushed?: { remote: string; branch: string; sha: string; seq: number };
  pr?: { url: string; number: number; title: string; seq: number };
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
  /** Paused by a person (task_paused, until task_resumed); the state stays what it was. */
  paused?: boolean;
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
  /** Every `check_result` of the task in arrival order (counts, phase, tree): see `checkComparisons`. */
  checks: CheckView[];
  /** The diff under review (the latest `diff_ready`), if the task produced one. */
  review?: ReviewView;
  /** The task branch's delivery: the latest push, and the pull request opened. */
  delivery?: DeliveryView;
  createdSeq: number;
  /** The seq of the last event that changed this task: grows on every change (a render cache key). */
  updatedSeq: number;
}

/** A chat line: what a person or an agent said, or an error/warning not tied to a task. */
export interface MessageView {
  kind: 'user' | 'assistant' | 'error' | 'log';
  key: string;
  /** The event's envelope id (a draft of an assistant reply carries it as `messageId`). */
  id: string;
  seq: number;
  text: string;
  from: string;
  ts: string;
  taskId?: string;
}

/** The chat timeline: a task appears once, where it was first seen; messages in seq order. */
export type TimelineItem = { kind: 'task'; key: string; seq: number; task: TaskView } | MessageView;

/**
 * A chat reply still being written (`assistant_delta`): live only, never in the timeline. Its stored
 * `assistant_message` (envelope id = `messageId`) replaces it; the turn's `done` or `error` ends it.
 */
export interface DraftView {
  messageId: string;
  text: string;
  from: string;
  ts: string;
  turnId?: string;
  /** A piece was missed (a delta past the end of `text`): the text stops short until the final message. */
  gap: boolean;
}

/** An auto-commit grant as `grant_added` announced it; `revokedAt` once `grant_revoked` came. Active: see `activeGrants`. */
export type GrantView = GrantInfo;

export interface AgentView {
  status: EventPayload<'agent_status'>['status'];
  taskId?: string;
}

export interface ClientState {
  readonly tasks: Map<string, TaskView>;
  readonly approvals: Map<string, ApprovalView>;
  readonly agents: Map<string, AgentView>;
  /** Auto-commit grants by id, as announced (expired ones stay: expiry is a matter of the clock). */
  readonly grants: Map<string, GrantView>;
  readonly timeline: TimelineItem[];
  /** Replies being written, by message id, oldest first: transient (see `DraftView`). */
  readonly drafts: Map<string, DraftView>;
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
  | { kind: 'grant'; grantId: string }
  /** The task's review changed: a new diff (`hunkIds` absent), decisions on these hunks, the commit, or its evidence (a check result). */
  | { kind: 'review'; taskId: string; hunkIds?: string[] }
  | { kind: 'message'; seq: number }
  | { kind: 'draft'; messageId: string };

export interface TaskCounts {
  running: number;
  /** Live pending approvals (not tasks): what waits for a person (`isLiveApproval`). */
  awaiting: number;
  failed: number;
  queued: number;
  completed: number;
  total: number;
  busyAgents: number;
}
