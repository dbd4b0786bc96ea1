/**
 * What a plan's end says: the summary line per ticket and fix-up, the checks before and after, what
 * was not combined (with its conflicting hunks) and what still fails; and the evidence a `diff_ready`
 * carries (the protocol's Evidence: the proposed tree, its checks, the base's, the rounds).
 */
import type { EventPayload } from '@pushpals/protocol';
import { summarise, type CheckResult } from '../checks/types';
import { describeHunks } from './conflicts';
import { ticketBranch, type PlanRecord } from './plan-store';
import type { UnresolvedConflict, Verified } from './verify';

export type Evidence = NonNullable<EventPayload<'diff_ready'>['evidence']>;

export function evidenceOf(v: Verified): Evidence {
  return {
    treeId: v.combined.treeId,
    checks: v.combined.results.map(summarise),
    ...(v.base ? { before: v.base.results.map(summarise) } : {}),
    rounds: v.rounds,
  };
}

const outcome = (c: Pick<CheckResult, 'name' | 'status' | 'counts'>): string =>
  `${c.name} ${c.status}${c.counts ? ` (${c.counts.passed} passed, ${c.counts.failed} failed${c.counts.skipped ? `, ${c.counts.skipped} skipped` : ''})` : ''}`;

/** "Checks on the combined result ...: test passed; on the base: test failed." */
export function checksLine(v: Verified): string {
  const now = v.combined.results.length ? v.combined.results.map(outcome).join(', ') : 'the repository has no checks';
  const before = v.base ? (v.base.results.length ? v.base.results.map(outcome).join(', ') : 'none') : 'could not be run';
  return `Checks on the combined result (tree ${v.combined.treeId.slice(0, 12)}, round ${v.rounds}): ${now}; on the base: ${before}.`;
}

/** One conflict, for the summary and the log: the ticket, its kept branch, why, and the hunks. */
export function conflictText(plan: Pick<PlanRecord, 'taskId'>, u: UnresolvedConflict, maxHunks = 6000): string {
  return `Not combined: ${u.ticket.key} (its result conflicts in ${u.files.join(', ') || 'files the merge could not name'}; ${u.why}). Its change is kept on branch ${ticketBranch(plan.taskId, u.ticket.taskId)}.\n${describeHunks(u.ticket.key, u.hunks, maxHunks)}`;
}

export function failingText(v: Verified): string {
  return `Still failing on the proposed tree: ${v.failing.map((c) => `${c.name} (\`${c.command}\`, exit code ${c.exitCode ?? 'none'})`).join(', ')}${v.blame ? `, attributed to ${v.blame.ticket.key}: ${v.blame.how}` : ''} — after ${v.fixRoundsUsed} fix-up round(s).`;
}
