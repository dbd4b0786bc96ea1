/** Read-only questions every surface asks of the client state (pure functions of it). */
import type { TaskState } from '../common';
import type { ApprovalView, ClientState, GrantView, ReviewView, TaskCounts, TaskView } from './types';

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

/**
 * Still waiting for a person, and someone still waits for the answer: pending, and its task neither
 * failed nor cancelled (the job that asked is gone; the orchestrator denies a cancelled task's
 * approvals, and expires the ones a failed task left after `approvals.timeoutMs`). A commit, push or
 * PR approval of a completed task is live: the review's jobs ask after the task completed.
 */
export function isLiveApproval(state: ClientState, a: ApprovalView): boolean {
  if (a.status !== 'pending') return false;
  const s = state.tasks.get(a.taskId)?.state;
  return s !== 'failed' && s !== 'cancelled';
}

/** Live pending approvals (`isLiveApproval`), oldest first; of one task when `taskId` is given. */
export function pendingApprovals(state: ClientState, taskId?: string): ApprovalView[] {
  const out: ApprovalView[] = [];
  for (const a of state.approvals.values()) if ((taskId === undefined || a.taskId === taskId) && isLiveApproval(state, a)) out.push(a);
  return out.sort((a, b) => a.seq - b.seq);
}

/** Active auto-commit grants at `now` (ms): not revoked, not expired; the soonest to expire first. */
export function activeGrants(state: ClientState, now: number): GrantView[] {
  const out: GrantView[] = [];
  for (const g of state.grants.values()) if (g.revokedAt === undefined && Date.parse(g.expiresAt) > now) out.push(g);
  return out.sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || a.grantId.localeCompare(b.grantId));
}

/**
 * What a pending approval is about, for the inbox: its task, and when that task is a ticket of a plan,
 * the plan's task (a ticket is a task whose parent is the plan's).
 */
export function approvalContext(state: ClientState, a: ApprovalView): { task?: TaskView; plan?: TaskView } {
  const task = state.tasks.get(a.taskId);
  const plan = task?.parentId !== undefined ? state.tasks.get(task.parentId) : undefined;
  return { ...(task ? { task } : {}), ...(plan ? { plan } : {}) };
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
  for (const a of state.approvals.values()) if (isLiveApproval(state, a)) c.awaiting++;
  for (const a of state.agents.values()) if (a.status === 'busy') c.busyAgents++;
  return c;
}

export interface ReviewCounts {
  accepted: number;
  rejected: number;
  pending: number;
  total: number;
}

/** How many decisions of a review (or of one file of it) are accepted, rejected, still undecided: its hunks and its whole-file changes. */
export function reviewCounts(review: ReviewView, file?: string): ReviewCounts {
  const c: ReviewCounts = { accepted: 0, rejected: 0, pending: 0, total: 0 };
  const items = [...review.hunks.map((h) => ({ files: [h.file], decision: h.decision })), ...(review.fileChanges ?? []).map((f) => ({ files: [f.path, f.oldPath], decision: f.decision }))];
  for (const h of items) {
    if (file !== undefined && !h.files.includes(file)) continue;
    c.total++;
    if (h.decision === 'accept') c.accepted++;
    else if (h.decision === 'reject') c.rejected++;
    else c.pending++;
  }
  return c;
}

const counted = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/**
 * "3 hunks", "3 hunks, 2 whole-file changes", "1 whole-file change": a diff's hunks and its
 * whole-file changes (`diff_ready.fileChanges`: binary, rename, mode entries) said apart.
 */
export function describeChangeCounts(hunks: number, wholeFiles: number): string {
  const parts = hunks || !wholeFiles ? [counted(hunks, 'hunk', 'hunks')] : [];
  if (wholeFiles) parts.push(counted(wholeFiles, 'whole-file change', 'whole-file changes'));
  return parts.join(', ');
}

/** What a review proposes, as describeChangeCounts says it. */
export function describeReviewSize(review: Pick<ReviewView, 'hunks' | 'fileChanges'>): string {
  return describeChangeCounts(review.hunks.length, review.fileChanges?.length ?? 0);
}

/** "1 file", "2 files". */
export const describeFileCount = (n: number): string => counted(n, 'file', 'files');

/** Tasks whose latest diff is not committed yet, newest first: what there is to review. */
export function openReviews(state: ClientState): TaskView[] {
  return taskList(state).filter((t) => t.review !== undefined && t.review.committed === undefined);
}
