/**
 * The evidence of a proposed result: the repository's checks on exactly its tree (phase `combined`:
 * the one result a person reviews) and the same checks on the base it applies to (phase `base`), run
 * side by side, so the review can say "3 failing before, 0 after".
 */
import type { EventPayload } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { AgentWorkbench } from '../agents/workbench-port';
import { PushPalsError } from '../errors';
import type { Repo } from '../git';
import { diffResult } from '../review/diff-result';
import { PUSHPALS_AUTHOR, writeCommitObjects } from '../review/task-branch';
import type { TreeChecks } from './run';
import { summarise } from './types';

export type Evidence = NonNullable<EventPayload<'diff_ready'>['evidence']>;

/**
 * The proposed result as a commit object (no ref moves): `base` with every hunk of `diff` applied, by
 * the same code the review commits accepted hunks and whole-file changes with — so the tree checked is the tree reviewed.
 */
async function proposedCommit(mirror: string, base: string, diff: Pick<EventPayload<'diff_ready'>, 'diff' | 'hunks' | 'taskId' | 'fileChanges'>): Promise<string> {
  let changes;
  try {
    changes = (await diffResult(mirror, base, diff, () => true)).changes;
  } catch (e) {
    throw new PushPalsError('conflict', `the proposed diff does not apply to its base ${base.slice(0, 12)}: ${(e as Error).message}`);
  }
  return writeCommitObjects(mirror, { parent: base, changes, message: `Proposed by task ${diff.taskId} (PushPals): the tree its checks ran on`, author: PUSHPALS_AUTHOR, timestamp: 0 });
}

/** The evidence of a diff against the base its review applies to. */
async function evidenceForDiff(checks: Pick<TreeChecks, 'run'>, ctx: TaskContext, repo: Repo, base: string, diff: Pick<EventPayload<'diff_ready'>, 'diff' | 'hunks' | 'taskId' | 'fileChanges'>): Promise<Evidence> {
  const head = await proposedCommit(repo.mirrorPath, base, diff);
  ctx.progress("Running the repository's checks on the result and on its base", { step: 'checks' });
  return collectEvidence(checks, ctx, repo, { base, head });
}

async function collectEvidence(checks: Pick<TreeChecks, 'run'>, ctx: TaskContext, repo: Repo, o: { base: string; head: string; rounds?: number }): Promise<Evidence> {
  const [after, before] = await Promise.all([checks.run(ctx, repo, { commit: o.head, phase: 'combined' }), checks.run(ctx, repo, { commit: o.base, phase: 'base' })]);
  return { treeId: after.treeId, checks: after.results.map(summarise), before: before.results.map(summarise), rounds: o.rounds ?? 1 };
}

/** "Checks on the result: test passed (12 passed) · lint failed (exit 1). On the base: test failed (9 passed, 3 failed)." */
export function describeEvidence(e: Evidence): string {
  if (!e.checks.length) return 'No checks found in the repository to run on the result.';
  const list = (cs: Evidence['checks']) => cs.map((c) => `${c.name} ${c.status}${c.counts ? ` (${c.counts.passed} passed${c.counts.failed ? `, ${c.counts.failed} failed` : ''})` : c.status !== 'passed' && c.exitCode !== undefined ? ` (exit ${c.exitCode})` : ''}${c.reusedFrom ? ` [reused from task ${c.reusedFrom.taskId}]` : ''}`).join(' · ');
  return `Checks on the result: ${list(e.checks)}.${e.before?.length ? ` On the base: ${list(e.before)}.` : ''}`;
}

/**
 * A finished task's evidence, if it is collected at all (`agent.evidence`, a checks runner): the
 * checks on base + diff and on the base. A failure to collect it is said as a warning and the diff is
 * proposed without it — it is never the task's failure.
 */
async function optionalEvidence(checks: Pick<TreeChecks, 'run'> | undefined, enabled: boolean, ctx: TaskContext, repo: Repo, base: string | undefined, diff: EventPayload<'diff_ready'>): Promise<Evidence | undefined> {
  if (!checks || !enabled || !base) return undefined;
  try {
    return await evidenceForDiff(checks, ctx, repo, base, diff);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    ctx.emit('log', { level: 'warn', taskId: ctx.task.id, message: `The checks could not run on the result (proposed without evidence): ${(e as Error).message}`.slice(0, 4096) });
    return undefined;
  }
}

/**
 * Proposes a finished task's diff for review, with its evidence: the base the review applies to (the
 * files as the agent found them committed first, when they are not the base's), the checks on that
 * base + the diff and on the base, then `diff_ready`. Returns the end of the task's summary: where it
 * changed what, and what the checks said. The built-in agent and OpenHands both finish through it.
 */
export async function proposeWithEvidence(
  wb: Pick<AgentWorkbench, 'reviewBase' | 'proposeDiff'>,
  checks: { runner: Pick<TreeChecks, 'run'> | undefined; enabled: boolean },
  ctx: TaskContext,
  repo: Repo,
  diff: EventPayload<'diff_ready'>,
  before?: ReadonlyMap<string, string | null>,
): Promise<string> {
  const base = await wb.reviewBase(ctx, diff, before);
  const evidence = await optionalEvidence(checks.runner, checks.enabled, ctx, repo, base, diff);
  await wb.proposeDiff(ctx, { ...diff, ...(base ? { baseCommit: base } : {}), ...(evidence ? { evidence } : {}) });
  return ` Changed on branch pushpals/${ctx.task.id}: ${diff.files.join(', ')}.${evidence ? ` ${describeEvidence(evidence)}` : ''}`;
}
