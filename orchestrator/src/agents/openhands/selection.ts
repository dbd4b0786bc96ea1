/**
 * Which worker a task goes to: the task's own choice (`task_new.agent`), else its repository's
 * (config `agents.repos`, by repo id or name), else `agents.default`.
 */
import type { Config, WorkerAgent } from '../../config';
import type { RepoRegistry } from '../../git';
import type { TaskRecord } from '../../tasks/task-store';

export function selectedAgent(task: TaskRecord, config: Pick<Config, 'agents'>, repos: Pick<RepoRegistry, 'get'>): WorkerAgent {
  if (task.context?.agent) return task.context.agent;
  if (task.repoId) {
    const byId = config.agents.repos[task.repoId];
    if (byId) return byId;
    const name = repos.get(task.repoId)?.name;
    const byName = name ? config.agents.repos[name] : undefined;
    if (byName) return byName;
  }
  return config.agents.default;
}
