import type { TaskRecord } from '../tasks/task-store';
import type { TaskAgent } from './types';

/**
 * Registered agents in priority order. The first whose canHandle accepts a task runs it; when none
 * does, the fallback runs (by default one that fails the task honestly: no agent is configured).
 */
export class AgentRegistry {
  private readonly agents: TaskAgent[] = [];

  constructor(private fallback: TaskAgent) {}

  /** Adds an agent; `first: true` puts it before the others. Replaces an agent with the same id. */
  register(agent: TaskAgent, opts: { first?: boolean } = {}): void {
    const i = this.agents.findIndex((a) => a.id === agent.id);
    if (i >= 0) this.agents.splice(i, 1);
    if (opts.first) this.agents.unshift(agent);
    else this.agents.push(agent);
  }

  setFallback(agent: TaskAgent): void {
    this.fallback = agent;
  }

  list(): readonly TaskAgent[] {
    return this.agents;
  }

  async pick(task: TaskRecord): Promise<TaskAgent> {
    for (const a of this.agents) if (await a.canHandle(task)) return a;
    return this.fallback;
  }
}
