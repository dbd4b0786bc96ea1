/** Read-only questions every surface asks of the client state (pure functions of it). */
import type { TaskState } from '../common';
import type { ApprovalView, ClientState, ReviewView, TaskCounts, TaskView } from './types';

const ACTIVE: ReadonlySet<TaskState> = new Set<TaskState>(['queued', 'running', 'awaiting_approval']);

/** Queued, running or waiting for a person: the task may still do something. */
export const isActive = (s: TaskState): boolean => ACTIVE.has(s);

/** The command line a person reads for a tool call: `args.command` (string or argv), else `tool path`, else the tool. */
export function commandText(tool: string, args: Record<string, unknown>): string {
  const c = args.command ?? args.cmd;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map(String).join(' ');
  const p = args.path ?? args.file;
  return typeof p === 'string' ? `${tool} ${p}` : tool;
}

/** Pending approvals, oldest first; of one task when `taskId` is given. */
export function pendingApprovals(state: ClientState, taskId?: string): ApprovalView[] {
  const out: ApprovalView[] = [];
  for (const a of state.approvals.values()) if (a.status === 'pending' && (taskId === undefined || a.taskId === taskId)) out.push(a);
  return out.sort((a, b) => a.seq - b.seq);
}

/** Every task, newest first. */
export function taskList(state: ClientState): TaskView[] {
  return [...state.tasks.values()].sort((a, b) => b.createdSeq - a.createdSeq);
}

export function taskCounts(state: ClientState): TaskCounts {
  const c: TaskCounts = { running: 0, awaiting: 0, failed: 0, queued: 0, completed: 0, total: 0, busyAgents: 0 };
  for (const t of state.tasks.values()) {
    c.total++;
    if (t.state === 'running') c.running++;
    else if (t.state === 'failed') c.failed++;
    else if (t.state === 'queued') c.queued++;
    else if (t.state === 'completed') c.completed++;
  }
  for (const a of state.approvals.values()) if (a.status === 'pending') c.awaiting++;
  for (const a of state.agents.values()) if (a.status === 'busy') c.busyAgents++;
  return c;
}

export interface ReviewCounts {
  accepted: number;
  rejected: number;
  pending: number;
  total: number;
}

/** How many hunks of a review (or of one file of it) are accepted, rejected, still undecided. */
export function reviewCounts(review: ReviewView, file?: string): ReviewCounts {
  const c: ReviewCounts = { accepted: 0, rejected: 0, pending: 0, total: 0 };
  for (const h of review.hunks) {
    if (file !== undefined && h.file !== file) continue;
    c.total++;
    if (h.decision === 'accept') c.accepted++;
    else if (h.decision === 'reject') c.rejected++;
    else c.pending++;
  }
  return c;
}

/** Tasks whose latest diff is not committed yet, newest first: what there is to review. */
export function openReviews(state: ClientState): TaskView[] {
  return taskList(state).filter((t) => t.review !== undefined && t.review.committed === undefined);
}
