/**
 * Validation of wire messages with the precompiled (standalone) Ajv validators.
 * Every failure becomes an ErrorInfo with a code and a readable JSON-pointer path.
 * Loads no schema module at run time (type imports only): the light client entry (`client.ts`)
 * exports this file without TypeBox.
 */
import type { ErrorInfo } from './common';
import type { CommandType } from './commands';
import type { EventType } from './events';
import type { TransientType } from './transient';
import type { CommandMessage, ServerMessage } from './messages';
import { PROTOCOL_VERSION, isCompatibleVersion, parseProtocolVersion } from './version';

interface AjvError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}
interface CompiledValidator {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}

// Generated at build time by scripts/gen-validators.mjs (see the package README): the event/command
// type names (EVENT_TYPES/COMMAND_TYPES of events.ts/commands.ts, copied so that this file needs no
// schema module at run time), and the validators. The validators (~1 MB of code with their schemas)
// are loaded on the first validation, not at import: importing the package (or a bundle of it, such
// as the VS Code extension at activation) does not pay for evaluating them until a message arrives.
/* eslint-disable @typescript-eslint/no-require-imports */
const messageTypes = require('./generated/message-types.js') as { EVENT_TYPES: readonly EventType[]; TRANSIENT_TYPES: readonly TransientType[]; COMMAND_TYPES: readonly CommandType[] };
let loaded: Record<string, CompiledValidator> | undefined;
const validators = (): Record<string, CompiledValidator> => (loaded ??= require('./generated/validators.js') as Record<string, CompiledValidator>);
/* eslint-enable @typescript-eslint/no-require-imports */

const eventTypes = new Set<string>(messageTypes.EVENT_TYPES);
const transientTypes = new Set<string>(messageTypes.TRANSIENT_TYPES);
const commandTypes = new Set<string>(messageTypes.COMMAND_TYPES);

export type ValidationFailure = { ok: false; error: ErrorInfo; requestId?: string };
export type ValidationResult<T> = { ok: true; value: T } | ValidationFailure;

export const isEventType = (t: string): t is EventType => eventTypes.has(t);
/** A transient message (live only, no `seq`, never stored): see transient.ts. */
export const isTransientType = (t: string): t is TransientType => transientTypes.has(t);
export const isCommandType = (t: string): t is CommandType => commandTypes.has(t);

/** Escapes one JSON-pointer segment (RFC 6901). */
const pointerSegment = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Turns Ajv's first error into a readable message and the JSON pointer of the offending value.
 * A missing or unknown property is pointed at by its own path (`/payload/text`), not its parent's.
 */
export function describeAjvError(e: AjvError): { path: string; message: string } {
  const params = e.params ?? {};
  const at = e.instancePath;
  if (typeof params.missingProperty === 'string') {
    const path = `${at}/${pointerSegment(params.missingProperty)}`;
    return { path, message: `${path}: required property is missing` };
  }
  if (typeof params.additionalProperty === 'string') {
    const path = `${at}/${pointerSegment(params.additionalProperty)}`;
    return { path, message: `${path}: unknown property "${params.additionalProperty.slice(0, 64)}" is not allowed` };
  }
  const where = at || '/';
  if ('allowedValues' in params) return { path: at, message: `${where}: must be one of ${JSON.stringify(params.allowedValues)}` };
  if ('allowedValue' in params) return { path: at, message: `${where}: must be ${JSON.stringify(params.allowedValue)}` };
  if (typeof params.tag === 'string') {
    // Ajv discriminator (the `ack` payload): the tag is missing, not a string, or names no branch.
    const path = `${at}/${pointerSegment(params.tag)}`;
    const value = typeof params.tagValue === 'string' ? ` "${params.tagValue.slice(0, 64)}"` : '';
    return { path, message: `${path}: value${value} does not name a known variant (${e.message ?? 'invalid tag'})` };
  }
  return { path: at, message: `${where}: ${e.message ?? 'is invalid'}` };
}

function fail(code: ErrorInfo['code'], message: string, path?: string, requestId?: string): { ok: false; error: ErrorInfo; requestId?: string } {
  const error: ErrorInfo = path === undefined ? { code, message } : { code, message, path };
  return requestId === undefined ? { ok: false, error } : { ok: false, error, requestId };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates one message of the given kind against its schema (after the envelope's sanity checks). */
function check<T>(value: unknown, allowed: (t: string) => boolean, kind: string): ValidationResult<T> {
  return checkDetailed<T>(value, allowed, kind).result;
}

/** `check`, plus the unknown property Ajv stopped at (its JSON pointer), if that is why it failed. */
function checkDetailed<T>(value: unknown, allowed: (t: string) => boolean, kind: string): { result: ValidationResult<T>; unknownProperty?: string } {
  if (!isRecord(value)) return { result: fail('invalid_message', 'a message must be a JSON object', '') };
  const requestId = typeof value.id === 'string' ? value.id : undefined;
  const type = value.type;
  if (typeof type !== 'string') return { result: fail('invalid_message', '/type: must be a string naming the message type', '/type', requestId) };
  if (!allowed(type)) return { result: fail('unknown_type', `unknown ${kind} type "${type.slice(0, 64)}"`, '/type', requestId) };
  const version = value.protocolVersion;
  // A well-formed MAJOR.MINOR with another major is refused as such; a malformed one is left to the
  // schema (invalid_message at /protocolVersion).
  if (typeof version === 'string' && version !== PROTOCOL_VERSION && parseProtocolVersion(version) !== undefined && !isCompatibleVersion(version)) {
    return {
      result: {
        ok: false,
        requestId,
        error: {
          code: 'unsupported_version',
          message: `protocol version ${version.slice(0, 16)} is not supported: this peer speaks ${PROTOCOL_VERSION} (major versions must match); update the older side`,
          path: '/protocolVersion',
          details: { supported: PROTOCOL_VERSION, received: version.slice(0, 16) },
        },
      },
    };
  }
  const validate = validators()[type];
  if (!validate) return { result: fail('internal', `no validator generated for "${type}"`, '/type', requestId) };
  if (validate(value)) return { result: { ok: true, value: value as T } };
  const first = validate.errors?.[0];
  if (!first) return { result: fail('invalid_message', 'invalid message', '', requestId) };
  const { path, message } = describeAjvError(first);
  const unknown = typeof first.params?.additionalProperty === 'string' ? { unknownProperty: path } : {};
  return { result: fail('invalid_message', message, path, requestId), ...unknown };
}

/** Removes the property a JSON pointer names from `root` (false when there is none). */
function deleteAt(root: Record<string, unknown>, pointer: string): boolean {
  const segs = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = segs.pop();
  let node: unknown = root;
  for (const s of segs) node = isRecord(node) || Array.isArray(node) ? (node as Record<string, unknown>)[s] : undefined;
  if (last === undefined || !isRecord(node) || !(last in node)) return false;
  delete node[last];
  return true;
}

/** At most this many unknown properties are ignored in one message (each costs one more validation). */
const MAX_IGNORED = 32;

/** Validates an inbound client → server command. */
export function validateCommand(value: unknown): ValidationResult<CommandMessage> {
  return check<CommandMessage>(value, isCommandType, 'command');
}

/** Validates a server → client message (event, transient message, ack or command_error). */
export function validateServerMessage(value: unknown): ValidationResult<ServerMessage> {
  return check<ServerMessage>(value, (t) => isEventType(t) || isTransientType(t) || t === 'ack' || t === 'command_error', 'server message');
}

/**
 * Must-ignore, for a client of a server that may be NEWER: like `validateServerMessage`, but a
 * property no schema of ours knows (a field a later minor added to a known message, which a server
 * should have removed for us) is deleted from `value` — which is mutated — and the rest validated
 * again; `ignored` lists the JSON pointers removed. Everything else stays strict: an unknown message
 * type, a missing or malformed known field, another major. Commands are never validated this way: a
 * client must not send what the server does not know.
 */
export function validateServerMessageTolerant(value: unknown): ValidationResult<ServerMessage> & { ignored?: string[] } {
  const allowed = (t: string) => isEventType(t) || isTransientType(t) || t === 'ack' || t === 'command_error';
  const ignored: string[] = [];
  for (;;) {
    const { result, unknownProperty } = checkDetailed<ServerMessage>(value, allowed, 'server message');
    if (result.ok || unknownProperty === undefined || ignored.length === MAX_IGNORED || !deleteAt(value as Record<string, unknown>, unknownProperty)) {
      return ignored.length > 0 ? { ...result, ignored } : result;
    }
    ignored.push(unknownProperty);
  }
}

/** Validates any message type (events, commands, responses): fixtures, tests, tools. */
export function validateAny(value: unknown): ValidationResult<unknown> {
  return check<unknown>(value, (t) => t in validators(), 'message');
}

/** Parses a raw frame (text) then validates it with `validate`. Malformed JSON gets `invalid_json`. */
export function parseFrame<R extends ValidationResult<unknown>>(raw: string, validate: (v: unknown) => R): R | ValidationFailure {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return fail('invalid_json', `malformed JSON: ${(e as Error).message}`);
  }
  return validate(value);
}
