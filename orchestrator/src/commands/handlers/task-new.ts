import type { CommandHandler } from '../registry';

/** Creates the task and its `task.run` job in one transaction; the scheduler takes it from there. */
export const taskNew: CommandHandler<'task_new'> = (cmd, { services }) => {
  services.sessions.touch(cmd.sessionId);
  const { request, repoId, agent } = cmd.payload;
  const context = agent ? { ...cmd.payload.context, agent } : cmd.payload.context;
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
