import { knowsMessage, minorOf } from '@pushpals/protocol';
import { PushPalsError } from '../../errors';
import type { EventFilter } from '../../events/event-log';
import type { CommandHandler } from '../registry';

export const subscribe: CommandHandler<'subscribe'> = (cmd, ctx) => {
  const conn = ctx.connection;
  if (!conn) throw new PushPalsError('invalid_message', 'subscribe needs a WebSocket connection (over HTTP, use GET /api/events?after=N)');
  const { afterSeq, sessionId, taskId } = cmd.payload;
  const filter: EventFilter = {};
  if (sessionId !== undefined) filter.sessionId = sessionId;
  if (taskId !== undefined) filter.taskId = taskId;
  const headSeq = ctx.services.events.head();
  // Everything is sent as the client's minor knows it: events downgraded (ws/downgrade.ts), transient
  // pieces of replies being written only if it knows them (protocol README: Versioning).
  const minor = minorOf(cmd.protocolVersion);
  const drafts = knowsMessage('assistant_delta', minor);
  // The replay starts after the ack is on the wire, so the client sees the ack first.
  ctx.afterResponse(() => conn.subscribe(afterSeq, filter, { drafts, minor }));
  return { afterSeq, headSeq };
};

export const unsubscribe: CommandHandler<'unsubscribe'> = (_cmd, ctx) => {
  ctx.connection?.unsubscribe();
  return {};
};
