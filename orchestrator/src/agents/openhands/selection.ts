/**
 * Which worker a task goes to: the task's own choice (`task_new.agent`), else its repository's
 * (config `agents.repos`, by repo id or name), else `agents.default`. A plan's tickets go through
 * the same choice for the plan's task, unless the planner named a worker (plans/ticket-agent.ts).
 */
import type { Config, WorkerAgent } from '../../config';
import type { RepoRegistry } from '../../git';
import type { TaskRecord } from '../../tasks/task-store';

export type AgentSource = 'task' | 'repo' | 'default';

/** The worker and where the choice came from (shown to a person with a plan's tickets). */
export function agentChoice(task: Pick<TaskRecord, 'context' | 'repoId'>, config: Pick<Config, 'agents'>, repos: Pick<RepoRegistry, 'get'>): { agent: WorkerAgent; source: AgentSource } {
  if (task.context?.agent) return { agent: task.context.agent, source: 'task' };
  if (task.repoId) {
    const byId = config.agents.repos[task.repoId];
    if (byId) return { agent: byId, source: 'repo' };
    const name = repos.get(task.repoId)?.name;
    const byName = name ? config.agents.repos[name] : undefined;
    if (byName) return { agent: byName, source: 'repo' };
  }
  return { agent: config.agents.default, source: 'default' };
}

export function selectedAgent(task: TaskRecord, config: Pick<Config, 'agents'>, repos: Pick<RepoRegistry, 'get'>): WorkerAgent {
  return agentChoice(task, config, repos).agent;
}
