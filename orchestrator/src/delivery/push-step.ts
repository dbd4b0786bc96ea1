/**
 * One push of a committed task branch, behind its own approval of kind `push`: the exact ref, the
 * commit and the remote (without credentials) are in the approval; approved → pushRef → `pushed` and
 * an audit `push` row. Used by the push job and, when the branch is not on the remote yet, by the PR job.
 */
import { MAX_MESSAGE_LENGTH, MAX_TITLE_LENGTH } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import { PushPalsError } from '../errors';
import { loadReview } from '../review/review-state';
import { branchHead, taskBranch } from '../review/task-branch';
import type { DeliveryDeps } from './deps';
import { readForgeToken } from './forge-config';
import { deliveryRef, pushRef, remoteHead } from './push';
import { resolvePushRemote, type PushRemote } from './remote';

export const ACTOR = 'orchestrator';

export interface PushDone {
  remote: PushRemote;
  sha: string;
  branch: string;
}

/** The committed sha of the task, checked against its branch in the orchestrator's clone. */
export async function committedSha(deps: DeliveryDeps, taskId: string, mirror: string): Promise<string> {
  const committed = loadReview(deps.services, taskId)?.committed;
  if (!committed) throw new PushPalsError('conflict', `task ${taskId} has no commit yet: review its diff and approve the commit first`);
  const head = await branchHead(mirror, taskId);
  if (head !== committed.sha) throw new PushPalsError('conflict', `${taskBranch(taskId)} is at ${head?.slice(0, 12) ?? 'nothing'}, not at the committed ${committed.sha.slice(0, 12)}: not pushed`);
  return committed.sha;
}

/**
 * Pushes the task branch to `remoteName` (default origin) after a `push` approval. Returns undefined
 * when it was denied or expired (audited; nothing changed anywhere); throws on a failed push.
 */
export async function pushWithApproval(deps: DeliveryDeps, ctx: TaskContext, jobId: string, remoteName: string | undefined): Promise<PushDone | undefined> {
  const { wb, services } = deps;
  const taskId = ctx.task.id;
  const repo = wb.resolveRepo(ctx.task.repoId);
  const sha = await committedSha(deps, taskId, repo.mirrorPath);
  const branch = taskBranch(taskId);
  const ref = deliveryRef(taskId, branch, repo.defaultBranch);
  const remote = await resolvePushRemote(repo, remoteName);
  const token = remote.target.kind === 'http' ? readForgeToken(services.config.dataDir, services.config.forge, repo, deps.env) : undefined;
  if (token?.value) wb.audit.addSecret(token.value);
  const note = (message: string, level: 'info' | 'warn' = 'info'): void => void ctx.emit('log', { level, message: message.slice(0, MAX_MESSAGE_LENGTH), taskId });

  if ((await remoteHead(remote, ref, token?.value)) === sha) {
    note(`${branch} is already at ${sha.slice(0, 12)} on ${remote.name} (${remote.shown}): nothing to push.`);
    return { remote, sha, branch };
  }
  const approval = await ctx.requestApproval({
    key: `push:${sha}:${remote.name}:${jobId}`,
    kind: 'push',
    title: `Push ${branch} (${sha.slice(0, 12)}) to ${remote.name}`.slice(0, MAX_TITLE_LENGTH),
    reason: [
      `Pushes commit ${sha} to ${remote.name} (${remote.shown}) as ${ref}, and nothing else: no other branch, never the default branch ${repo.defaultBranch}.`,
      'Not forced: if the remote branch exists at a commit this one does not contain, the push is refused.',
      remote.target.kind === 'http' ? `Credentials: ${token?.value ? `the forge token (${token.source})` : 'none'}, given by the orchestrator only.` : 'A local remote: the objects are copied and the ref moved as data; none of its hooks run.',
    ].join(' ').slice(0, MAX_MESSAGE_LENGTH),
    risk: 'medium',
    command: `push ${remote.name} ${sha}:${ref}`,
  });
  if (approval.state !== 'approved') {
    wb.audit.append({ taskId, actor: approval.decidedBy ?? ACTOR, action: 'push_denied', approvalId: approval.id, data: { state: approval.state, remote: remote.shown, branch, sha } });
    note(`Push ${approval.state}: nothing was pushed to ${remote.name} (${remote.shown}).`);
    return undefined;
  }
  ctx.progress(`Pushing ${branch} to ${remote.name}`, { step: 'push' });
  const out = await pushRef(repo.mirrorPath, sha, ref, remote, token?.value);
  wb.audit.append({ taskId, actor: approval.decidedBy ?? ACTOR, action: 'push', approvalId: approval.id, command: `push ${remote.name} ${sha}:${ref}`, data: { remote: remote.shown, remoteName: remote.name, branch, sha, previous: out.previous ?? null } });
  ctx.emit('pushed', { taskId, remote: remote.shown, branch, sha });
  return { remote, sha, branch };
}
