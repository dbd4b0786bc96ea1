import { PROTOCOL_VERSION } from '@pushpals/protocol';
import { SERVER_VERSION } from '../../version';
import type { CommandHandler } from '../registry';

/** Version negotiation happened in validation (an incompatible major is refused there). */
export const hello: CommandHandler<'hello'> = (cmd, { services }) => {
  services.sessions.touch(cmd.sessionId, cmd.payload.clientName);
  return { serverVersion: SERVER_VERSION, protocolVersion: PROTOCOL_VERSION, sessionId: cmd.sessionId, headSeq: services.events.head() };
};
