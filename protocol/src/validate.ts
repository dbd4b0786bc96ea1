/**
 * Validation of wire messages with the precompiled (standalone) Ajv validators.
 * Every failure becomes an ErrorInfo with a code and a readable JSON-pointer path.
 */
import type { ErrorInfo } from './common';
import { COMMAND_TYPES, type CommandType } from './commands';
import { EVENT_TYPES, type EventType } from './events';
import type { CommandMessage, ServerMessage } from './messages';
import { PROTOCOL_VERSION, isCompatibleVersion } from './version';

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}
interface CompiledValidator {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}

// Generated at build time by scripts/gen-validators.mjs (see the package README).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validators = require('./generated/validators.js') as Record<string, CompiledValidator>;

const eventTypes = new Set<string>(EVENT_TYPES);
const commandTypes = new Set<string>(COMMAND_TYPES);

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo; requestId?: string };

export const isEventType = (t: string): t is EventType => eventTypes.has(t);
export const isCommandType = (t: string): t is CommandType => commandTypes.has(t);

function describe(e: AjvError): string {
  const where = e.instancePath || '/';
  if (e.params && 'additionalProperty' in e.params) return `${where}: unknown property "${String(e.params.additionalProperty)}"`;
  if (e.params && 'allowedValues' in e.params) return `${where}: must be one of ${JSON.stringify(e.params.allowedValues)}`;
  if (e.params && 'allowedValue' in e.params) return `${where}: must be ${JSON.stringify(e.params.allowedValue)}`;
  return `${where}: ${e.message ?? 'is invalid'}`;
}

function fail(code: ErrorInfo['code'], message: string, path?: string, requestId?: string): { ok: false; error: ErrorInfo; requestId?: string } {
  const error: ErrorInfo = path === undefined ? { code, message } : { code, message, path };
  return requestId === undefined ? { ok: false, error } : { ok: false, error, requestId };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one message of the given kind against its schema (after the envelope's sanity checks). */
function check<T>(value: unknown, allowed: (t: string) => boolean, kind: string): ValidationResult<T> {
  if (!isRecord(value)) return fail('invalid_message', 'a message must be a JSON object', '');
  const requestId = typeof value.id === 'string' ? value.id : undefined;
  const type = value.type;
  if (typeof type !== 'string') return fail('invalid_message', '/type: must be a string naming the message type', '/type', requestId);
  if (!allowed(type)) return fail('unknown_type', `unknown ${kind} type "${type.slice(0, 64)}"`, '/type', requestId);
  const version = value.protocolVersion;
  if (typeof version === 'string' && !isCompatibleVersion(version)) {
    return {
      ok: false,
      requestId,
      error: {
        code: 'unsupported_version',
        message: `protocol version ${version.slice(0, 16)} is not supported: this peer speaks ${PROTOCOL_VERSION} (major versions must match); update the older side`,
        path: '/protocolVersion',
        details: { supported: PROTOCOL_VERSION },
      },
    };
  }
  const validate = validators[type];
  if (!validate) return fail('internal', `no validator generated for "${type}"`, '/type', requestId);
  if (validate(value)) return { ok: true, value: value as T };
  const first = validate.errors?.[0];
  return fail('invalid_message', first ? describe(first) : 'invalid message', first?.instancePath ?? '', requestId);
}

/** Validates an inbound client → server command. */
export function validateCommand(value: unknown): ValidationResult<CommandMessage> {
  return check<CommandMessage>(value, isCommandType, 'command');
}

/** Validates a server → client message (event, ack or command_error). */
export function validateServerMessage(value: unknown): ValidationResult<ServerMessage> {
  return check<ServerMessage>(value, (t) => isEventType(t) || t === 'ack' || t === 'command_error', 'server message');
}

/** Validates any message type (events, commands, responses): fixtures, tests, tools. */
export function validateAny(value: unknown): ValidationResult<unknown> {
  return check<unknown>(value, (t) => t in validators, 'message');
}

/** Parses a raw frame (text) then validates it with `validate`. Malformed JSON gets `invalid_json`. */
export function parseFrame<T>(raw: string, validate: (v: unknown) => ValidationResult<T>): ValidationResult<T> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return fail('invalid_json', `malformed JSON: ${(e as Error).message}`);
  }
  return validate(value);
}
