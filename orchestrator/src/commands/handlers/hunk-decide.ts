import { PushPalsError } from '../../errors';
import type { CommandHandler } from '../registry';

/**
 * Records a hunk decision as a `hunk_decided` event (the event log is its store). Nothing reads it
 * yet: a commit builder (not built) is meant to take the latest decision per hunk from the log.
 */
export const hunkDecide: CommandHandler<'hunk_decide'> = (cmd, { services }) => {
  const { taskId, hunkId, decision } = cmd.payload;
  const task = services.tasks.require(taskId);
  if (task.state === 'cancelled' || task.state === 'failed') throw new PushPalsError('conflict', `task ${taskId} is ${task.state}`);
  services.events.append({ type: 'hunk_decided', sessionId: task.sessionId, correlationId: cmd.id, payload: { taskId, hunkId, decision, by: cmd.from } });
  return { taskId, hunkId };
};
