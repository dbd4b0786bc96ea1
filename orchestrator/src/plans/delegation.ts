/**
 * Delegation from a coding agent to the planner (the coder's `ask_planner` tool): a question about
 * the plan or another ticket gets an answer from the planner model; a split request gets new
 * tickets in the plan (checked like a plan; they start after the asking ticket, from its result).
 * A `delegate_request` / `delegate_response` pair shows it. Only the asking agent waits: the call is
 * asynchronous, so the chat and the other agents go on.
 */
import { MAX_TEXT_LENGTH } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import { PushPalsError } from '../errors';
import { answerQuestion, draftSplit } from './planner-model';
import type { Team } from './team';

export type DelegationKind = 'question' | 'split';

export async function askPlanner(team: Team, ctx: TaskContext, kind: DelegationKind, text: string, signal: AbortSignal): Promise<{ ok: boolean; result: string }> {
  const brief = team.brief(ctx.task.id);
  if (!brief) return { ok: false, result: 'this task is not a ticket of a plan: there is no planner to ask' };
  const { plan, ticket } = brief;
  const request = ctx.emit('delegate_request', { taskId: ticket.taskId, fromAgent: ctx.agentId, toAgent: 'planner', request: `${kind}: ${text}`.slice(0, MAX_TEXT_LENGTH) });
  let ok = true;
  let result: string;
  try {
    const call = team.plannerCall(plan.taskId, signal);
    const tickets = team.plans.tickets(plan.taskId);
    if (kind === 'split') {
      const room = team.services.config.planner.maxTickets - tickets.length;
      if (room <= 0) throw new PushPalsError('conflict', `the plan already has ${tickets.length} tickets (planner.maxTickets): finish this ticket as it is`);
      const workers = await team.availableWorkers();
      const split = await draftSplit(call, { plan, tickets, asking: ticket, request: text, room, workers });
      const routed = team.route(split.tickets, brief.planTask, workers);
      const created = team.plans.addTickets(plan.taskId, routed.tickets, [ticket.taskId]);
      team.announce(created, routed.why);
      result = `New tickets, started after this one from its result: ${created.map((t) => `${t.key} "${t.title.replace(/^\S+: /, '')}" (scope: ${t.scope.join(', ')})`).join('; ')}. Leave that work to them and finish this ticket without it.`;
    } else {
      const results = tickets
        .filter((t) => t.state === 'completed' && t.taskId !== ticket.taskId)
        .map((t) => `- ${t.key}: ${team.services.tasks.get(t.taskId)?.summary?.split('\n')[0]?.slice(0, 300) ?? ''}`)
        .join('\n');
      result = await answerQuestion(call, { plan, tickets, asking: ticket, question: text, results });
    }
  } catch (e) {
    if (signal.aborted) throw e;
    ok = false;
    result = `the planner could not answer: ${e instanceof Error ? e.message : String(e)}`;
  }
  team.services.events.append({
    type: 'delegate_response',
    sessionId: ctx.task.sessionId,
    taskId: ticket.taskId,
    from: 'planner',
    correlationId: request.id,
    payload: { taskId: ticket.taskId, fromAgent: 'planner', ok, result: result.slice(0, MAX_TEXT_LENGTH) },
  });
  return { ok, result };
}
