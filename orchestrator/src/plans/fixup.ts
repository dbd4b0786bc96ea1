/**
 * Fix-up tickets: after a plan's tickets finished, a ticket whose result did not apply onto the
 * combined result (a conflict), or that broke a check once combined (a regression), goes back to a
 * coding agent of the same kind as a new ticket of the plan. It starts from the combined result so
 * far, and its brief holds the ticket's goal and diff and what went wrong: the conflicting hunks, or
 * the failing check's command and output. The plan's job parks while it runs (no worker slot held).
 */
import type { TaskContext } from '../agents/types';
import type { CheckResult } from '../checks/types';
import { combinedDiff } from './combined-diff';
import { describeHunks, type ConflictHunk } from './conflicts';
import type { FixUpSpec, PlanRecord, TicketRecord } from './plan-store';
import type { Team } from './team';

const bare = (title: string) => title.replace(/^\S+: /, '');
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max)}\n[... ${s.length - max} characters cut ...]` : s);

/** The ticket's own change (its start → its result), as a unified diff. */
async function ticketDiff(mirror: string, t: TicketRecord, max = 8000): Promise<string> {
  if (!t.baseCommit || !t.resultCommit) return '(no change recorded)';
  const d = await combinedDiff(mirror, t.taskId, t.baseCommit, t.resultCommit);
  return d ? clip(d.diff, max) : '(no change)';
}

const goal = (t: TicketRecord) => `Ticket ${t.key}: ${bare(t.title)}\n${t.description}`;

export async function conflictBrief(mirror: string, t: TicketRecord, hunks: readonly ConflictHunk[]): Promise<Pick<FixUpSpec, 'title' | 'description'>> {
  return {
    title: `Re-apply ${t.key} on the combined result`,
    description: [
      `Ticket ${t.key}'s result does not apply onto the combined result of the plan's other tickets: both changed the same lines.`,
      'Your working copy holds that combined result. Make the change the ticket made, adapted to what is there now, so that both changes hold. Do not undo the other tickets\' changes.',
      '',
      `The original ticket:\n${goal(t)}`,
      '',
      `Its change (against the commit it started from):\n${await ticketDiff(mirror, t)}`,
      '',
      `The conflicting hunks:\n${describeHunks(t.key, hunks)}`,
    ].join('\n'),
  };
}

/** The check's excerpt (a few lines around the first failure) or the tail of its output. */
export const failureLog = (c: CheckResult, max = 4000): string => (c.excerpt?.trim() ? c.excerpt : c.output.slice(-max)).trim();

export async function regressionBrief(mirror: string, t: TicketRecord, failing: readonly CheckResult[], passedBefore: string): Promise<Pick<FixUpSpec, 'title' | 'description'>> {
  return {
    title: `Fix ${failing.map((c) => c.name).join(', ')} after combining ${t.key}`,
    description: [
      `Combined with the plan's other tickets, ticket ${t.key}'s change breaks ${failing.length === 1 ? 'a check' : 'checks'}: ${passedBefore}`,
      'Your working copy holds the combined result of every ticket. Fix it so the check passes, keeping the goal of the ticket and the other tickets\' changes.',
      '',
      ...failing.map((c) => `Failing check "${c.name}": \`${c.command}\` (exit code ${c.exitCode ?? 'none'})\n${failureLog(c)}\n`),
      `The original ticket:\n${goal(t)}`,
      '',
      `Its change (against the commit it started from):\n${await ticketDiff(mirror, t)}`,
    ].join('\n'),
  };
}

/** Starts (or, after a crash, finds) a fix-up ticket and waits, parked, until the plan's tickets are final. */
export async function runFixUp(team: Team, ctx: TaskContext, plan: PlanRecord, spec: FixUpSpec): Promise<TicketRecord> {
  const fix = team.plans.addFixUp(plan.taskId, spec);
  ctx.progress(`Fix-up ${fix.key}: ${bare(fix.title)} (round ${fix.fixRound ?? spec.round} of ${team.services.config.planner.maxFixRounds}, from ${spec.base.slice(0, 12)})`, { step: 'fixup' });
  await ctx.park(team.scheduler.run(plan.taskId, ctx.signal));
  return team.plans.ticket(fix.taskId) ?? fix;
}
