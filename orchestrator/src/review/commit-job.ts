/**
 * The commit of a review, as a queue job (`review.commit`; a restart re-runs it and finds its approval
 * again by key): plan the commit of exactly the accepted hunks → secret scan (a finding blocks, audited)
 * → the commit approval (the exact diff, the proposed message; the person may edit it) → the commit's
 * objects in the orchestrator's own clone → when a hunk was rejected, the checks on that exact tree →
 * the task branch moves, `committed`. Nothing is pushed, no default branch moves, no hook runs.
 */
import { MAX_MESSAGE_LENGTH, MAX_TITLE_LENGTH } from '@pushpals/protocol';
import { PushPalsError, toErrorInfo } from '../errors';
import type { JobContext } from '../queue/worker';
import type { JobRecord } from '../queue/types';
import { makeTaskContext } from '../tasks/task-runner';
import type { TaskContext } from '../agents/types';
import { regressions, type Outcome } from '../checks/regressions';
import type { Repo } from '../git';
import { planCommit, type CommitPlan } from './commit-plan';
import { proposeCommitMessage } from './commit-message';
import type { ReviewDeps } from './deps';
import { acceptedItems, decisionsDigest, loadReview, undecided } from './review-state';
import { describeFindings, scanForSecrets } from './secret-scan';
import { PUSHPALS_AUTHOR, advanceTaskBranch, taskBranch, writeCommitObjects } from './task-branch';

export const COMMIT_QUEUE = 'review.commit';
/** The decision reason when a pending commit approval no longer matches the decisions. */
export const SUPERSEDED = 'superseded: the hunk decisions changed';
const ACTOR = 'orchestrator';

export async function runCommitJob(deps: ReviewDeps, job: JobRecord, jctx: JobContext): Promise<void> {
  const taskId = (job.payload as { taskId?: unknown } | null)?.taskId;
  if (typeof taskId !== 'string') throw new PushPalsError('invalid_message', `${COMMIT_QUEUE} job ${job.id} has no taskId`);
  const task = deps.services.tasks.get(taskId);
  if (!task) return;
  const ctx = makeTaskContext(deps.services, task, ACTOR, job, jctx);
  try {
    await commitReview(deps, ctx, job.id);
  } catch (e) {
    if (jctx.signal.aborted) throw e; // shutdown or cancel: the job's owner decides what happens next
    const info = e instanceof PushPalsError ? e.toInfo() : toErrorInfo(e);
    deps.services.logger.warn('commit failed', { taskId, error: info.message });
    ctx.emit('error', { taskId, error: { ...info, message: `Not committed: ${info.message}`.slice(0, MAX_MESSAGE_LENGTH) } });
  }
}

async function commitReview(deps: ReviewDeps, ctx: TaskContext, jobId: string): Promise<void> {
  const { services, wb } = deps;
  const taskId = ctx.task.id;
  const repo = wb.resolveRepo(ctx.task.repoId);
  const note = (message: string, level: 'info' | 'warn' = 'info'): void => {
    ctx.emit('log', { level, message: message.slice(0, MAX_MESSAGE_LENGTH), taskId });
  };
  // Bounded: each round is one approval; a round ends early only when the decisions changed meanwhile.
  for (let round = 0; round < 50; round++) {
    const r = loadReview(services, taskId);
    if (!r || r.committed || undecided(r).length) return; // the last hunk_decide enqueues again
    if (!acceptedItems(r).length) {
      note('Every hunk was rejected: nothing to commit.');
      return;
    }
    const plan = await planCommit(repo.mirrorPath, taskId, r);
    if (!plan.changes.size) {
      note('The accepted hunks change nothing: nothing to commit.');
      return;
    }

    const findings = await scanForSecrets(plan.scan, deps.secrets);
    if (findings.length) {
      wb.audit.append({ taskId, actor: ACTOR, action: 'commit_blocked', data: { reason: 'secret_detected', findings, diffSeq: r.diffSeq } });
      const where = findings.map((f) => `${f.file}:${f.line} (${f.rule})`).join(', ');
      ctx.emit('error', { taskId, error: { code: 'secret_detected', message: `Commit blocked: a possible secret in ${where}. Reject that hunk (or remove the secret and run the task again); nothing was committed.\n${describeFindings(findings)}`.slice(0, MAX_MESSAGE_LENGTH), details: { findings } } });
      return;
    }

    const digest = decisionsDigest(r);
    const recheck = plan.rejected > 0;
    const proposed = await proposeCommitMessage(deps, ctx.task, plan);
    const approval = await ctx.requestApproval({
      key: `commit:${digest}:${jobId}`,
      kind: 'commit',
      title: `Commit ${acceptedWords(plan)} in ${plan.files.length} file(s) to ${taskBranch(taskId)}`.slice(0, MAX_TITLE_LENGTH),
      reason: whatHappens(plan, taskId, recheck),
      risk: 'low',
      patch: plan.diff,
      message: proposed,
    });
    if (approval.state !== 'approved') {
      if (approval.decidedBy === ACTOR && approval.decisionReason === SUPERSEDED) continue;
      wb.audit.append({ taskId, actor: approval.decidedBy ?? ACTOR, action: 'commit_denied', approvalId: approval.id, data: { state: approval.state, diffSeq: r.diffSeq } });
      note(`Commit ${approval.state}: ${taskBranch(taskId)} is unchanged and the working copy is kept (change a decision, or ask again with "Commit…").`);
      return;
    }
    const now = loadReview(services, taskId);
    if (!now || now.committed) return;
    if (decisionsDigest(now) !== digest) {
      note('The hunk decisions changed after the approval: asking again for the new set.', 'warn');
      continue;
    }
    const edited = approval.decisionDetails?.message;
    const message = typeof edited === 'string' && edited.trim() ? edited.trim() : proposed;
    const sha = await writeCommitObjects(repo.mirrorPath, { parent: plan.parent, changes: plan.changes, message, author: PUSHPALS_AUTHOR, timestamp: Math.floor(services.clock.now() / 1000) });
    if (recheck && !(await runChecks(deps, ctx, repo, sha, plan.base, r.diff.evidence?.before))) {
      wb.audit.append({ taskId, actor: ACTOR, action: 'commit_blocked', approvalId: approval.id, data: { reason: 'checks_failed', sha, diffSeq: r.diffSeq } });
      ctx.emit('error', { taskId, error: { code: 'command_failed', message: `Not committed: a check that passes on the base fails on the tree of the accepted hunks (see the check results). ${taskBranch(taskId)} is unchanged; change your decisions and approve again.` } });
      return;
    }
    await advanceTaskBranch(repo.mirrorPath, taskId, plan.parent, sha);
    wb.audit.append({ taskId, actor: approval.decidedBy ?? ACTOR, action: 'commit', approvalId: approval.id, command: `commit ${sha} on ${taskBranch(taskId)}`, stdout: plan.diff, data: { sha, parent: plan.parent, base: plan.base, branch: taskBranch(taskId), message, hunks: plan.accepted, files: plan.files, diffSeq: r.diffSeq } });
    ctx.emit('committed', { taskId, sha, branch: taskBranch(taskId), message, baseCommit: plan.base, hunks: plan.accepted, files: plan.files });
    return;
  }
  note('The hunk decisions kept changing: stopped asking for the commit approval (send commit_request to ask again).', 'warn');
}

/** "2 hunk(s)", "2 hunk(s) and 1 whole-file change(s)". */
const acceptedWords = (plan: CommitPlan): string => `${plan.counts.hunks} hunk(s)${plan.counts.wholeFiles ? ` and ${plan.counts.wholeFiles} whole-file change(s)` : ''}`;

/** "What exactly will happen", for the approval. */
function whatHappens(plan: CommitPlan, taskId: string, recheck: boolean): string {
  const c = plan.counts;
  const whole = c.wholeFilesTotal ? ` and ${c.wholeFiles} of ${c.wholeFilesTotal} whole-file change(s) (binary, rename, mode, empty file)` : '';
  return [
    `A commit of exactly the ${c.hunks} accepted hunk(s) of ${c.hunksTotal}${whole} (${plan.rejected} rejected) in ${plan.files.join(', ')}, on branch ${taskBranch(taskId)} of the orchestrator's own clone. Nothing is pushed; no default branch moves; no git hook runs.`,
    recheck ? 'Because hunks were rejected, the repository\'s checks run on that exact tree first; if they fail, nothing is committed.' : 'Every hunk was accepted: the tree is the one the agent produced.',
  ].join(' ').slice(0, MAX_MESSAGE_LENGTH);
}

/**
 * Runs the repository's checks on the commit's tree (phase `commit`); true unless one of them is a
 * regression against the base: a check that already failed there (a repository whose lint fails
 * today) does not block a commit that does not make it worse. The base's results come from the diff's
 * evidence, else they are run now (phase `base`).
 */
async function runChecks(deps: ReviewDeps, ctx: TaskContext, repo: Repo, sha: string, base: string, before: readonly Outcome[] | undefined): Promise<boolean> {
  ctx.progress('Running the checks on the accepted hunks before committing', { step: 'checks' });
  const now = (await deps.checks.run(ctx, repo, { commit: sha, phase: 'commit' })).results;
  if (now.every((c) => c.status === 'passed')) return true;
  const onBase = before ?? (await deps.checks.run(ctx, repo, { commit: base, phase: 'base' })).results;
  const worse = regressions(now, onBase);
  const same = now.filter((c) => c.status !== 'passed' && !worse.includes(c)).map((c) => c.name);
  if (same.length) ctx.emit('log', { level: 'warn', taskId: ctx.task.id, message: `${same.join(', ')} fail(s) on the accepted hunks' tree as on the base (${base.slice(0, 12)}): not made worse, so not blocking the commit` });
  return worse.length === 0;
}
