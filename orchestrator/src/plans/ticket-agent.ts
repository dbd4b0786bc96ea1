/**
 * Which coding agent works a ticket: the planner's choice (the ticket's `agent`) when that worker is
 * available, else the plan task's own choice (`task_new.agent`), else its repository's
 * (`agents.repos`), else `agents.default` — the single-task choice (agents/openhands/selection.ts)
 * applied to the plan's task. The result is stored with the ticket's task (context.agent), so a
 * re-run after a restart goes to the same worker.
 */
import type { Config, WorkerAgent } from '../config';
import type { RepoRegistry } from '../git';
import type { TaskRecord } from '../tasks/task-store';
import { agentChoice } from '../agents/openhands/selection';
import type { TicketSpec } from './plan-schema';

export interface TicketAgent {
  agent: WorkerAgent;
  /** Why this worker, for a person: "the planner's choice", "agents.default", ... */
  why: string;
}

const SOURCE: Record<ReturnType<typeof agentChoice>['source'], string> = { task: "the task's choice", repo: "the repository's (agents.repos)", default: 'agents.default' };

export function ticketAgent(spec: Pick<TicketSpec, 'agent'>, planTask: Pick<TaskRecord, 'context' | 'repoId'>, available: readonly WorkerAgent[], config: Pick<Config, 'agents'>, repos: Pick<RepoRegistry, 'get'>): TicketAgent {
  const fallback = agentChoice(planTask, config, repos);
  if (spec.agent && available.includes(spec.agent)) return { agent: spec.agent, why: "the planner's choice" };
  const why = SOURCE[fallback.source];
  return { agent: fallback.agent, why: spec.agent ? `${why}; the planner asked for ${spec.agent}, which is not available` : why };
}

/** The tickets with their worker decided (`agent` set on each), and why, by ticket id. */
export function routeTickets<T extends TicketSpec>(specs: readonly T[], planTask: Pick<TaskRecord, 'context' | 'repoId'>, available: readonly WorkerAgent[], config: Pick<Config, 'agents'>, repos: Pick<RepoRegistry, 'get'>): { tickets: T[]; why: Map<string, string> } {
  const why = new Map<string, string>();
  const tickets = specs.map((s) => {
    const r = ticketAgent(s, planTask, available, config, repos);
    why.set(s.id, r.why);
    return { ...s, agent: r.agent };
  });
  return { tickets, why };
}

/** How the planner model is told about the workers it may choose from (nothing when there is no choice). */
export function workersPrompt(available: readonly WorkerAgent[]): string {
  if (available.length < 2) return '';
  const about: Record<WorkerAgent, string> = {
    'worker:builtin': 'PushPals\' own coding agent: starts in under a second; best for focused edits to a few files; can ask the planner questions',
    openhands: 'the OpenHands agent in its own container: 5-15 s to start; best for tickets that need much shell work (running, debugging and fixing tests or builds, exploring an unfamiliar codebase)',
  };
  return `Coding agents you may give a ticket (its optional "agent" field; leave it out for the default):\n${available.map((a) => `- ${a}: ${about[a]}`).join('\n')}`;
}
