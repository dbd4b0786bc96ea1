/**
 * A plan's ticket worked by OpenHands, exactly as the built-in agent works one: the working copy
 * starts at the ticket's base commit (the plan's base plus its dependencies' results) on branch
 * `pushpals/plan/<plan>/t-<ticket>`, the agent is told the ticket (scope, criteria, checks, its
 * place in the plan), and at the end its change becomes the commit on that branch that the plan's
 * integration stacks. The change is rebuilt from the diff git took inside the container, applied
 * to the base's files read from the orchestrator's own clone — no host file is read from a copy
 * the agent wrote (a symlink there could point anywhere).
 */
import type { EventPayload } from '@pushpals/protocol';
import type { Repo } from '../../git';
import type { FileChanges } from '../../git/commits';
import { ticketBranch } from '../../plans/plan-store';
import type { Team } from '../../plans/team';
import { ticketRequest } from '../../plans/ticket-prompt';
import { diffResult } from '../../review/diff-result';
import type { TaskContext } from '../types';
import type { WorkspaceStart } from '../workbench-port';

/** What the OpenHands worker does differently for a ticket; undefined for a task that is no ticket. */
export interface OpenHandsTicket {
  start: WorkspaceStart;
  /** The ticket as the agent is told it (no ask_planner: OpenHands has no such tool). */
  request(): string;
  /** `diff_ready` for the ticket, its change committed on the ticket's branch; returns the summary's tail. */
  finish(ctx: Pick<TaskContext, 'task' | 'emit'>, repo: Repo, diff: EventPayload<'diff_ready'> | undefined): Promise<string>;
}

/** The files of `diff` as they are after applying all of it to `base` (read from the clone): text, and binary/renamed/mode-changed files byte-exactly. */
export async function changesFromDiff(mirror: string, base: string, diff: EventPayload<'diff_ready'>): Promise<FileChanges> {
  const { changes } = await diffResult(mirror, base, diff, () => true);
  return new Map([...changes].map(([path, w]) => [path, w ?? undefined]));
}

export function openHandsTicket(team: Team | undefined, taskId: string): OpenHandsTicket | undefined {
  const first = team?.brief(taskId);
  if (!team || !first) return undefined;
  const planId = first.plan.taskId;
  const branch = ticketBranch(planId, taskId);
  return {
    start: { branch, base: (repo) => team.branches.ticketBase(repo, first.plan, first.ticket) },
    request: () => ticketRequest(first, team.plans.tickets(planId), { askPlanner: false }),
    finish: async (ctx, repo, diff) => {
      const brief = team.brief(taskId) ?? first; // read again: its base commit is known now
      const base = brief.ticket.baseCommit ?? brief.plan.baseCommit;
      const changes = diff ? await changesFromDiff(repo.mirrorPath, base, diff) : new Map<string, undefined>();
      // A ticket's change is committed on its own branch; the plan's combined result is what a person reviews.
      if (diff) ctx.emit('diff_ready', { ...diff, baseCommit: base });
      const oid = await team.branches.commitTicket(repo, brief.plan, brief.ticket, changes);
      return changes.size ? ` Committed on branch ${branch} (${oid?.slice(0, 12) ?? 'no commit'}): ${[...changes.keys()].join(', ')}.` : ` Nothing changed; branch ${branch} is where the ticket started.`;
    },
  };
}
