/**
 * What counts as a regression: a check compared with the same check on the base the change applies to.
 * Used where a failing check could block something — a plan's combined tree (plans/verify.ts) and the
 * commit of accepted hunks (review/commit-job.ts) — so a check that already failed on the base does
 * not block a change that did not make it worse.
 */
import type { CheckResult } from './types';

export type Outcome = Pick<CheckResult, 'name' | 'status' | 'counts'>;

/**
 * A check's outcome is a regression when it does not pass now but passed on the base (or the base did
 * not have it, or the base could not be checked), or when both failed and it fails more tests now.
 */
export function isRegression(now: Outcome, before: Outcome | undefined): boolean {
  if (now.status === 'passed') return false;
  if (!before || before.status === 'passed') return true;
  return now.counts !== undefined && before.counts !== undefined && now.counts.failed > before.counts.failed;
}

/** The checks of `now` that are regressions against `before` (undefined: the base's checks are unknown). */
export function regressions<T extends Outcome>(now: readonly T[], before: readonly Outcome[] | undefined): T[] {
  const base = new Map((before ?? []).map((b) => [b.name, b]));
  return now.filter((c) => isRegression(c, before ? base.get(c.name) : undefined));
}
