import { isId } from '@pushpals/protocol';
import type { CommandHandler } from '../registry';

/** Persists the message (echoed to every client as user_message), acks, then answers later. */
export const chatSend: CommandHandler<'chat_send'> = (cmd, { services, clientId, afterResponse }) => {
  services.sessions.touch(cmd.sessionId);
  const ev = services.events.append({
    type: 'user_message',
    sessionId: cmd.sessionId,
    from: cmd.from,
    correlationId: cmd.id,
    ...(cmd.turnId ? { turnId: cmd.turnId } : {}),
    payload: { text: cmd.payload.text, ...(isId(clientId) ? { clientId } : {}) },
  });
  afterResponse(() => services.chat.respondLater({ sessionId: cmd.sessionId, text: cmd.payload.text, turnId: cmd.turnId ?? ev.id }));
  return { messageSeq: ev.seq };
};
