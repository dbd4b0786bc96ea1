import type { CommandHandler } from '../registry';

export const taskPause: CommandHandler<'task_pause'> = (cmd, { services }) => {
  const task = services.setTaskPaused(cmd.payload.taskId, true, cmd.from);
  return { taskId: task.id, state: task.state, paused: task.pausedAt !== null };
};

export const taskResume: CommandHandler<'task_resume'> = (cmd, { services }) => {
  const task = services.setTaskPaused(cmd.payload.taskId, false, cmd.from);
  return { taskId: task.id, state: task.state, paused: task.pausedAt !== null };
};
