import type { Migration } from './types';

/**
 * 008 fix-ups: a plan's fix-up tickets, added after its tickets finished, when combining their
 * results met a conflict or the checks on the combined tree found a regression.
 *
 * - tickets.fixes: the task id of the ticket it stands for (its change is re-applied or repaired).
 * - tickets.fix_kind: `conflict` (its result takes that ticket's place in the stack) or
 *   `regression` (its result is stacked on top of the combined result).
 * - tickets.fix_round: the plan's fix-up number (1, 2, ...; at most planner.maxFixRounds): a re-run
 *   after a crash finds the fix-up it already started instead of starting another.
 */
export const migration008: Migration = {
  id: 8,
  name: 'fixups',
  sql: `
ALTER TABLE tickets ADD COLUMN fixes TEXT;
ALTER TABLE tickets ADD COLUMN fix_kind TEXT;
ALTER TABLE tickets ADD COLUMN fix_round INTEGER;
`,
};
