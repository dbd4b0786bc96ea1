import type { CommandHandler } from '../registry';

export const taskCancel: CommandHandler<'task_cancel'> = (cmd, { services }) => {
  const task = services.cancelTask(cmd.payload.taskId, cmd.from, cmd.payload.reason);
  return { taskId: task.id, state: task.state };
};
