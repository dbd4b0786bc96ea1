/**
 * The review's protocol commands: hunk_decide (checked against the diff under review, audited; the last
 * decision asks for the commit), review_get, commit_request, branch_fetch.
 */
import { existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';
import { sourceKind } from '../git/sources';
import type { TaskRecord } from '../tasks/task-store';
import { COMMIT_QUEUE, SUPERSEDED } from './commit-job';
import type { ReviewDeps } from './deps';
import { acceptedItems, loadReview, undecided, type ReviewState } from './review-state';
import { branchHead, fetchBranchInto, readBlobBytes, readFileAt, taskBranch } from './task-branch';

/** What the audit says about a decided item: a hunk's file and header, or a whole-file change's kind and paths. */
function reviewItem(review: ReviewState, id: string): Record<string, string> | undefined {
  const hunk = review.diff.hunks.find((h) => h.hunkId === id);
  if (hunk) return { file: hunk.file, header: hunk.header };
  const f = review.diff.fileChanges?.find((x) => x.fileId === id);
  return f && { file: f.path, kind: f.kind, change: f.change, ...(f.oldPath ? { oldPath: f.oldPath } : {}) };
}

/** What one review_get may carry in blobs (base64 grows it by a third; the message stays well under the patch limit). */
const MAX_BLOB_REPLY_BYTES = 6 * 1024 * 1024;

/** The content of blobs the diff's whole-file changes name (no other object of the clone is readable this way). */
async function diffBlobs(mirror: string, review: ReviewState, oids: readonly string[]): Promise<Array<{ oid: string; base64: string }>> {
  const named = new Set((review.diff.fileChanges ?? []).flatMap((f) => [f.oldBlob, f.newBlob]).filter((x): x is string => x !== undefined));
  const out: Array<{ oid: string; base64: string }> = [];
  let total = 0;
  for (const oid of new Set(oids)) {
    if (!named.has(oid)) throw new PushPalsError('not_found', `blob ${oid} is not one of the diff's whole-file changes`, { oid }, '/payload/blobs');
    const bytes = await readBlobBytes(mirror, oid);
    total += bytes.length;
    if (total > MAX_BLOB_REPLY_BYTES) throw new PushPalsError('invalid_message', `the blobs asked for are larger than ${MAX_BLOB_REPLY_BYTES} bytes together: ask for fewer at a time, or fetch the task's branch`, { limit: MAX_BLOB_REPLY_BYTES }, '/payload/blobs');
    out.push({ oid, base64: Buffer.from(bytes).toString('base64') });
  }
  return out;
}

function requireReview(deps: ReviewDeps, taskId: string): { task: TaskRecord; review: ReviewState } {
  const task = deps.services.tasks.require(taskId);
  const review = loadReview(deps.services, taskId);
  if (!review) throw new PushPalsError('not_found', `task ${taskId} has no diff to review`);
  return { task, review };
}

/** The queued or running commit job of a task, if any. */
function activeCommitJob(deps: ReviewDeps, taskId: string): string | undefined {
  return deps.services.db.prepare(`SELECT id FROM jobs WHERE queue = ? AND task_id = ? AND state IN ('queued', 'running') LIMIT 1`).pluck().get(COMMIT_QUEUE, taskId) as string | undefined;
}

/** Enqueues the commit job unless one is active; returns its id. */
export function requestCommit(deps: ReviewDeps, task: TaskRecord): string {
  const active = activeCommitJob(deps, task.id);
  if (active) return active;
  return deps.services.queue.enqueue({ queue: COMMIT_QUEUE, payload: { taskId: task.id }, taskId: task.id, sessionId: task.sessionId, maxAttempts: 1 }).job.id;
}

export function registerReviewCommands(deps: ReviewDeps): void {
  const { services, wb } = deps;

  services.registerCommandHandler('hunk_decide', (cmd) => {
    const { taskId, hunkId, decision } = cmd.payload;
    const { task, review } = requireReview(deps, taskId);
    if (task.state === 'cancelled' || task.state === 'failed') throw new PushPalsError('conflict', `task ${taskId} is ${task.state}`);
    // A hunk, or a whole-file change (binary, rename, mode, empty file) by its fileId: decided the same way.
    const item = reviewItem(review, hunkId);
    if (!item) throw new PushPalsError('not_found', `hunk ${hunkId} is not in the diff under review of task ${taskId}`, { hunks: review.diff.hunks.length, fileChanges: review.diff.fileChanges?.length ?? 0 }, '/payload/hunkId');
    if (review.committed) throw new PushPalsError('conflict', `task ${taskId} is committed already (${review.committed.sha.slice(0, 8)} on ${review.committed.branch}): its decisions are final`, { sha: review.committed.sha });
    const previous = review.decisions.get(hunkId);
    services.tx(() => {
      services.events.append({ type: 'hunk_decided', sessionId: task.sessionId, taskId, correlationId: cmd.id, from: cmd.from, payload: { taskId, hunkId, decision, by: cmd.from } });
      wb.audit.append({ taskId, actor: cmd.from, action: 'hunk_decided', data: { hunkId, decision, ...item, diffSeq: review.diffSeq, ...(previous ? { previous } : {}) } });
    });
    if (previous !== decision) {
      // A commit approval asked for the old decisions is void; its job asks again for the new ones.
      for (const a of services.approvals.pending(taskId)) if (a.kind === 'commit') services.approvals.decide(a.id, 'deny', 'orchestrator', { reason: SUPERSEDED });
      review.decisions.set(hunkId, decision);
      if (!undecided(review).length && acceptedItems(review).length) requestCommit(deps, task);
    }
    return { taskId, hunkId };
  });

  services.registerCommandHandler('review_get', async (cmd) => {
    const { task, review } = requireReview(deps, cmd.payload.taskId);
    const repo = wb.resolveRepo(task.repoId);
    const base = review.diff.baseCommit ?? (await branchHead(repo.mirrorPath, task.id));
    if (!base) throw new PushPalsError('not_found', `the diff of task ${task.id} names no base commit and pushpals/${task.id} does not exist (made before reviews were built): it can be read, not reviewed`);
    // The text files' bases (a renamed file's: its old content, which its hunks apply to); whole-file changes carry blob ids instead.
    const renamedFrom = new Map((review.diff.fileChanges ?? []).filter((f) => f.kind === 'rename').map((f) => [f.path, f.oldPath ?? f.path]));
    const texts = [...new Set(review.diff.hunks.map((h) => h.file))];
    const files = await Promise.all(texts.map(async (path) => ({ path, base: await readFileAt(repo.mirrorPath, base, renamedFrom.get(path) ?? path) })));
    const blobs = cmd.payload.blobs?.length ? await diffBlobs(repo.mirrorPath, review, cmd.payload.blobs) : undefined;
    return { taskId: task.id, diffSeq: review.diffSeq, baseCommit: base, files, ...(blobs ? { blobs } : {}) };
  });

  services.registerCommandHandler('commit_request', (cmd) => {
    const { task, review } = requireReview(deps, cmd.payload.taskId);
    if (review.committed) throw new PushPalsError('conflict', `task ${task.id} is committed already (${review.committed.sha.slice(0, 8)})`);
    const open = undecided(review);
    if (open.length) throw new PushPalsError('conflict', `${open.length} hunk(s) of task ${task.id} are undecided: accept or reject each first`, { undecided: open.slice(0, 100) });
    if (!acceptedItems(review).length) throw new PushPalsError('conflict', `every hunk and whole-file change of task ${task.id} is rejected: nothing to commit`);
    return { taskId: task.id, jobId: requestCommit(deps, task) };
  });

  services.registerCommandHandler('branch_fetch', async (cmd) => {
    const { task, review } = requireReview(deps, cmd.payload.taskId);
    if (!review.committed) throw new PushPalsError('conflict', `task ${task.id} has no commit yet: approve its commit first`);
    const repo = wb.resolveRepo(task.repoId);
    if (sourceKind(repo.source) !== 'path') throw new PushPalsError('invalid_message', `${repo.name} was registered from a URL, not a local checkout: there is no repository of yours to fetch into`);
    const gitdir = existsSync(join(repo.source, '.git')) && lstatSync(join(repo.source, '.git')).isDirectory() ? join(repo.source, '.git') : repo.source;
    if (!existsSync(join(gitdir, 'objects'))) throw new PushPalsError('not_found', `${repo.source} is no longer a git repository`);
    const branch = taskBranch(task.id);
    const copied = await fetchBranchInto(repo.mirrorPath, review.committed.sha, gitdir, branch);
    wb.audit.append({ taskId: task.id, actor: cmd.from, action: 'branch_fetched', data: { branch, sha: review.committed.sha, into: repo.source, objects: copied } });
    return { taskId: task.id, branch, sha: review.committed.sha, repoPath: repo.source };
  });
}
