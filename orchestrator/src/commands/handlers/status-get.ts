import type { CommandHandler } from '../registry';

export const statusGet: CommandHandler<'status_get'> = (cmd, { services }) => {
  if (cmd.payload.taskId !== undefined) services.tasks.require(cmd.payload.taskId);
  return { tasks: services.tasks.summaries(cmd.payload.taskId), queueDepth: services.queue.depth() };
};
