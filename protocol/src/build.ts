/** Helpers to build well-formed envelopes (ids, timestamps, protocol version). */
import type { CommandType } from './commands';
import type { CommandMessage, CommandPayload } from './messages';
import { PROTOCOL_VERSION } from './version';

let counter = 0;
const prefix = Math.random().toString(36).slice(2, 8);

/** A short unique id: readable prefix, time, counter. Unique per process without a crypto dependency. */
export function newId(kind = 'm'): string {
  counter = (counter + 1) % 1e9;
  return `${kind}_${Date.now().toString(36)}${prefix}${counter.toString(36)}`;
}

export function makeCommand<K extends CommandType>(
  type: K,
  payload: CommandPayload<K>,
  opts: { sessionId: string; from?: string; id?: string; turnId?: string },
): CommandMessage<K> {
  const msg = {
    protocolVersion: PROTOCOL_VERSION,
    id: opts.id ?? newId('c'),
    ts: new Date().toISOString(),
    sessionId: opts.sessionId,
    type,
    from: opts.from ?? 'user',
    ...(opts.turnId ? { turnId: opts.turnId } : {}),
    payload,
  };
  return msg as unknown as CommandMessage<K>;
}
