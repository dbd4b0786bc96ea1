/**
 * The evidence of a proposed result: the repository's checks on exactly its tree (phase `combined`:
 * the one result a person reviews) and the same checks on the base it applies to (phase `base`), run
 * side by side, so the review can say "3 failing before, 0 after".
 */
import type { EventPayload } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { Repo } from '../git';
import type { TreeChecks } from './run';
import { summarise } from './types';

export type Evidence = NonNullable<EventPayload<'diff_ready'>['evidence']>;

export async function collectEvidence(checks: Pick<TreeChecks, 'run'>, ctx: TaskContext, repo: Repo, o: { base: string; head: string; rounds?: number }): Promise<Evidence> {
  const [after, before] = await Promise.all([checks.run(ctx, repo, { commit: o.head, phase: 'combined' }), checks.run(ctx, repo, { commit: o.base, phase: 'base' })]);
  return { treeId: after.treeId, checks: after.results.map(summarise), before: before.results.map(summarise), rounds: o.rounds ?? 1 };
}

/** "Checks on the result: test passed (12 passed) · lint failed (exit 1). On the base: test failed (9 passed, 3 failed)." */
export function describeEvidence(e: Evidence): string {
  if (!e.checks.length) return 'No checks found in the repository to run on the result.';
  const list = (cs: Evidence['checks']) => cs.map((c) => `${c.name} ${c.status}${c.counts ? ` (${c.counts.passed} passed${c.counts.failed ? `, ${c.counts.failed} failed` : ''})` : c.status !== 'passed' && c.exitCode !== undefined ? ` (exit ${c.exitCode})` : ''}`).join(' · ');
  return `Checks on the result: ${list(e.checks)}.${e.before?.length ? ` On the base: ${list(e.before)}.` : ''}`;
}
