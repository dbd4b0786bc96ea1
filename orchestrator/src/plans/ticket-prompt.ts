/**
 * What a coding agent is told about its ticket: the ticket first (its first line, `Ticket <key>:
 * <title>`, names the conversation), then scope, acceptance criteria, checks, and where it sits in
 * the plan. Short on purpose: small local models pay for every prompt token.
 */
import type { TicketBrief } from './team';
import type { TicketRecord } from './plan-store';

const bare = (title: string) => title.replace(/^\S+: /, '');
const list = (items: readonly string[]) => items.map((i) => `- ${i}`).join('\n');

export function ticketRequest(brief: TicketBrief, tickets: readonly TicketRecord[]): string {
  const { ticket, planTask } = brief;
  // A fix-up's description is its whole brief (plans/fixup.ts): the goal, the diff, what went wrong.
  if (ticket.fixes) return [`Ticket ${ticket.key}: ${bare(ticket.title)}`, ticket.description, '', `Checks that prove it (run them before you finish):\n${list(ticket.checks)}`, '', `This fix-up is part of a plan for the request: "${planTask.request.slice(0, 1000)}".`].join('\n');
  const keyOf = new Map(tickets.map((t) => [t.taskId, t.key]));
  const others = tickets.filter((t) => t.taskId !== ticket.taskId);
  return [
    `Ticket ${ticket.key}: ${bare(ticket.title)}`,
    ticket.description,
    '',
    `Scope (change only these files or areas): ${ticket.scope.join(', ')}`,
    `Acceptance criteria:\n${list(ticket.acceptance)}`,
    `Checks that prove it (run them before you finish):\n${list(ticket.checks)}`,
    '',
    `This ticket is part of a plan for the request: "${planTask.request.slice(0, 1000)}".`,
    others.length ? `Other agents work on the other tickets in their own copies:\n${list(others.map((t) => `${t.key}: ${bare(t.title)} (${t.scope.join(', ')})`))}` : '',
    ticket.dependsOn.length ? `Your working copy already holds the results of ${ticket.dependsOn.map((d) => keyOf.get(d) ?? d).join(', ')}.` : '',
    'If the ticket is too big, or you need to know something about another ticket, call ask_planner.',
  ]
    .filter((l) => l !== '')
    .join('\n');
}
