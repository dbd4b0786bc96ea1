import { PushPalsError } from '../../errors';
import type { CommandHandler } from '../registry';

/**
 * Creates the task and its `task.run` job in one transaction; the scheduler takes it from there.
 * The repository (`repo`: id or name; `repoId`: id) is resolved by the task admission before.
 */
export const taskNew: CommandHandler<'task_new'> = (cmd, { services }) => {
  services.sessions.touch(cmd.sessionId);
  const { request, repo, repoId, includeUncommitted, agent } = cmd.payload;
  if (repo !== undefined && repoId !== undefined && repo !== repoId) {
    throw new PushPalsError('invalid_message', `repo "${repo}" and repoId "${repoId}" disagree: send one of them`, undefined, '/payload/repoId');
  }
  const ref = repo ?? repoId;
  // The chosen worker travels with the task's context (the scheduler reads it there).
  const context = agent ? { ...cmd.payload.context, agent } : cmd.payload.context;
  const task = services.createTask({
    request,
    sessionId: cmd.sessionId,
    from: cmd.from,
    correlationId: cmd.id,
    ...(ref !== undefined ? { repo: ref } : {}),
    ...(includeUncommitted !== undefined ? { includeUncommitted } : {}),
    ...(context !== undefined ? { context } : {}),
  });
  return { taskId: task.id, state: task.state };
};
