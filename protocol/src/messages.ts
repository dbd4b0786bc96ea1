/**
 * Full wire messages: the envelope around each payload. This file is the single source from which
 * TS types (Static<>) and the precompiled Ajv validators (scripts/gen-validators.mjs) are derived.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { AgentName, ErrorInfo, Id, IsoTime } from './common';
import { CommandPayloads, CommandResults, type CommandType } from './commands';
import { EventPayloads, type EventType } from './events';
import { TransientPayloads, type TransientType } from './transient';

const VersionString = Type.String({ pattern: '^\\d+\\.\\d+$', maxLength: 16 });

/** Envelope fields shared by every message on the wire. */
function envelope<T extends string, P extends TSchema, X extends Record<string, TSchema>>(type: T, payload: P, extra: X) {
  return Type.Object(
    {
      protocolVersion: VersionString,
      id: Id,
      ts: IsoTime,
      sessionId: Id,
      type: Type.Literal(type),
      from: AgentName,
      to: Type.Optional(AgentName),
      correlationId: Type.Optional(Id),
      parentId: Type.Optional(Id),
      turnId: Type.Optional(Id),
      ...extra,
      payload,
    },
    { additionalProperties: false, $id: type },
  );
}

type EventSchemaMap = { [K in EventType]: ReturnType<typeof envelope<K, (typeof EventPayloads)[K], { seq: ReturnType<typeof Type.Integer> }>> };
type TransientSchemaMap = { [K in TransientType]: ReturnType<typeof envelope<K, (typeof TransientPayloads)[K], Record<never, TSchema>>> };
type CommandSchemaMap = { [K in CommandType]: ReturnType<typeof envelope<K, (typeof CommandPayloads)[K], Record<never, TSchema>>> };

/** Events carry `seq`, their position in the persisted event log. */
export const EventSchemas = Object.fromEntries(
  Object.entries(EventPayloads).map(([t, p]) => [t, envelope(t, p, { seq: Type.Integer({ minimum: 1 }) })]),
) as unknown as EventSchemaMap;

/** Transient messages carry no `seq`: they are never stored (transient.ts). */
export const TransientSchemas = Object.fromEntries(
  Object.entries(TransientPayloads).map(([t, p]) => [t, envelope(t, p, {})]),
) as unknown as TransientSchemaMap;

export const CommandSchemas = Object.fromEntries(
  Object.entries(CommandPayloads).map(([t, p]) => [t, envelope(t, p, {})]),
) as unknown as CommandSchemaMap;

/**
 * The payload of an `ack`: `{ command, result }`, one branch per command. A `oneOf` with an Ajv
 * `discriminator` on `command`: the validator jumps straight to the right branch (fast), and an error
 * points into THAT branch (`/payload/result/taskId`) instead of listing why all 12 branches failed.
 */
const AckPayload = Type.Unsafe<{ command: CommandType; result: unknown }>({
  type: 'object',
  discriminator: { propertyName: 'command' },
  required: ['command'],
  properties: { command: { type: 'string' } },
  oneOf: Object.entries(CommandResults).map(([t, r]) =>
    Type.Object({ command: Type.Literal(t), result: r }, { additionalProperties: false }),
  ),
});

/** `ack`: the success answer to a command. `payload.command` names the command; `result` is typed by it. */
export const AckSchema = envelope('ack', AckPayload, {});

/** `command_error`: the failure answer to a command (or to a frame that could not be parsed). */
export const CommandErrorSchema = envelope('command_error', ErrorInfo, {});

export type EventMessage<K extends EventType = EventType> = { [T in K]: Static<EventSchemaMap[T]> }[K];
export type TransientMessage<K extends TransientType = TransientType> = { [T in K]: Static<TransientSchemaMap[T]> }[K];
export type CommandMessage<K extends CommandType = CommandType> = { [T in K]: Static<CommandSchemaMap[T]> }[K];
export type EventPayload<K extends EventType> = Static<(typeof EventPayloads)[K]>;
export type CommandPayload<K extends CommandType> = Static<(typeof CommandPayloads)[K]>;
export type CommandResult<K extends CommandType> = Static<(typeof CommandResults)[K]>;
export type AckMessage<K extends CommandType = CommandType> = Omit<Static<typeof AckSchema>, 'payload'> & {
  payload: { [T in K]: { command: T; result: CommandResult<T> } }[K];
};
export type CommandErrorMessage = Static<typeof CommandErrorSchema>;
/** Anything the server sends. */
export type ServerMessage = EventMessage | TransientMessage | AckMessage | CommandErrorMessage;

export const RESPONSE_TYPES = ['ack', 'command_error'] as const;
export type ResponseType = (typeof RESPONSE_TYPES)[number];

/** Every schema by message type, for the validator generator and the docs. */
export const ALL_SCHEMAS: Record<string, TObject> = {
  ...(EventSchemas as unknown as Record<string, TObject>),
  ...(TransientSchemas as unknown as Record<string, TObject>),
  ...(CommandSchemas as unknown as Record<string, TObject>),
  ack: AckSchema as unknown as TObject,
  command_error: CommandErrorSchema as unknown as TObject,
};
