/**
 * The one entry point for inbound commands, shared by WebSocket and HTTP: parse, validate with the
 * protocol's precompiled validators, run the handler, and answer with exactly one `ack` or one
 * `command_error` carrying the command's id. Invalid input is rejected before any handler runs,
 * so it changes nothing.
 */
import {
  PROTOCOL_VERSION,
  downgradeMessage,
  isCompatibleVersion,
  isId,
  newId,
  parseFrame,
  validateCommand,
  type AckMessage,
  type CommandErrorMessage,
  type CommandMessage,
  type ErrorInfo,
} from '@pushpals/protocol';
import { PushPalsError, toErrorInfo } from '../errors';
import { SYSTEM_SESSION } from '../events/event-log';
import type { CommandContext, CommandRegistry, CommandServices } from './registry';

export type CommandResponse = AckMessage | CommandErrorMessage;

export function errorResponse(error: ErrorInfo, requestId?: string, sessionId?: string): CommandErrorMessage {
  return {
    protocolVersion: PROTOCOL_VERSION,
    id: newId('r'),
    ts: new Date().toISOString(),
    sessionId: sessionId && isId(sessionId) ? sessionId : SYSTEM_SESSION,
    type: 'command_error',
    from: 'orchestrator',
    ...(requestId && isId(requestId) ? { correlationId: requestId } : {}),
    payload: error,
  };
}

function ack(cmd: CommandMessage, result: unknown): AckMessage {
  return {
    protocolVersion: PROTOCOL_VERSION,
    id: newId('r'),
    ts: new Date().toISOString(),
    sessionId: cmd.sessionId,
    type: 'ack',
    from: 'orchestrator',
    correlationId: cmd.id,
    payload: { command: cmd.type, result },
  } as AckMessage;
}

/**
 * The response as the command's sender knows it: an ack's result without fields newer than the
 * version the command carried, an error code it does not know replaced (protocol README: Versioning).
 */
function forSender<R extends CommandResponse>(response: R, version: string | undefined): R {
  return version === undefined ? response : (downgradeMessage(response, version) ?? response);
}

/** What dispatching uses: what handlers get, plus the handler table. */
export interface DispatchServices extends CommandServices {
  readonly commands: Pick<CommandRegistry, 'get'>;
}

type BaseContext = Omit<CommandContext, 'afterResponse' | 'services'> & { services: DispatchServices };

export interface Dispatched {
  response: CommandResponse;
  /** Call after the response was sent: runs the handler's follow-ups (replay, chat reply, ...). */
  after(): void;
}

/**
 * Answers a frame with `error` without running it (e.g. rate limited): correlated with the frame's
 * id and session when they can be read, so the client can match the refusal to its request.
 */
export function refuseFrame(raw: string, error: PushPalsError): CommandErrorMessage {
  const { id, sessionId, version } = idsOf(raw);
  return forSender(errorResponse(error.toInfo(), id, sessionId), version);
}

/** Handles one raw frame (text). Never throws: every failure is a typed command_error. */
export async function dispatchFrame(raw: string, base: BaseContext): Promise<Dispatched> {
  const parsed = parseFrame(raw, validateCommand);
  if (!parsed.ok) {
    const { sessionId, version } = idsOf(raw);
    return { response: forSender(errorResponse(parsed.error, parsed.requestId, sessionId), version), after: () => undefined };
  }
  return dispatchCommand(parsed.value, base);
}

/** Handles one already-validated command. */
export async function dispatchCommand(cmd: CommandMessage, base: BaseContext): Promise<Dispatched> {
  const followUps: Array<() => void> = [];
  const ctx: CommandContext = { ...base, afterResponse: (fn) => void followUps.push(fn) };
  const after = () => {
    for (const fn of followUps) {
      try {
        fn();
      } catch (e) {
        base.services.logger.error('command follow-up failed', { command: cmd.type, error: e });
      }
    }
  };
  const handler = base.services.commands.get(cmd.type);
  try {
    if (!handler) throw new PushPalsError('not_found', `the "${cmd.type}" command is not available on this orchestrator (no handler is configured)`);
    const result = await (handler as (c: CommandMessage, x: CommandContext) => unknown)(cmd, ctx);
    await base.services.events.committed(); // committed before acknowledged (group commit)
    return { response: forSender(ack(cmd, result), cmd.protocolVersion), after };
  } catch (e) {
    if (!(e instanceof PushPalsError)) base.services.logger.error('command failed', { command: cmd.type, error: e });
    return { response: forSender(errorResponse(toErrorInfo(e), cmd.id, cmd.sessionId), cmd.protocolVersion), after: () => undefined };
  }
}

/** Best effort: the id, sessionId and protocol version of a frame that will not run, so its error lands in the right place, in words the sender knows. */
function idsOf(raw: string): { id?: string; sessionId?: string; version?: string } {
  try {
    const v = JSON.parse(raw) as { id?: unknown; sessionId?: unknown; protocolVersion?: unknown };
    if (typeof v !== 'object' || v === null) return {};
    return {
      ...(typeof v.id === 'string' ? { id: v.id } : {}),
      ...(typeof v.sessionId === 'string' ? { sessionId: v.sessionId } : {}),
      ...(typeof v.protocolVersion === 'string' && isCompatibleVersion(v.protocolVersion) ? { version: v.protocolVersion } : {}),
    };
  } catch {
    return {};
  }
}
