import type { CommandHandler } from '../registry';

/** Creates the task and its `task.run` job in one transaction; the scheduler takes it from there. */
export const taskNew: CommandHandler<'task_new'> = (cmd, { services }) => {
  services.sessions.touch(cmd.sessionId);
  const { request, repoId, context } = cmd.payload;
  const task = services.createTask({
    request,
    sessionId: cmd.sessionId,
    from: cmd.from,
    correlationId: cmd.id,
    ...(repoId !== undefined ? { repoId } : {}),
    ...(context !== undefined ? { context } : {}),
  });
  return { taskId: task.id, state: task.state };
};
