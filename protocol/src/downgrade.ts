/**
 * Graceful versioning: a server message rewritten for a peer of an older MINOR, from the additions
 * table (`additions.ts`). Event and transient types newer than the peer's minor are withheld, and so
 * is an event carrying a newer value of an enum (the caller sends nothing: the peer's cursor jumps
 * over that seq with the next event it gets); fields
 * newer than it are removed; error codes newer than it become their declared fallback. A message of
 * the current minor is never touched. Loads no schema module: usable from the light client entry.
 */
import { ERROR_CODE_FIELDS, PROTOCOL_ADDITIONS, minorOf, type Addition } from './additions';
import { PROTOCOL_VERSION } from './version';

export const CURRENT_MINOR = minorOf(PROTOCOL_VERSION);

/**
 * The key the table's lines are grouped by: `event:<type>` (events and transient messages),
 * `ack:<command>` (an ack's result), `command_error`, `command:<type>` (documentation only: a server
 * never downgrades what it receives).
 */
export type MessageKey = `event:${string}` | `ack:${string}` | `command:${string}` | 'command_error';

interface FieldRule {
  path: string[];
  since: number;
}
/** An event carrying `value` at `path` is withheld from older peers (a new value of a required enum). */
interface ValueRule {
  path: string[];
  since: number;
  value: string;
}
interface CodeRule {
  path: string[];
  since: number;
  code: string;
  fallback: string;
}

/** The table, indexed once: what touches each message key, and the newest minor that touches it. */
const withheldSince = new Map<string, number>();
const fieldRules = new Map<string, FieldRule[]>();
const codeRules = new Map<string, CodeRule[]>();
const valueRules = new Map<string, ValueRule[]>();
const newestTouch = new Map<string, number>();
/** The same, by event type alone (the broadcast path asks per event and client: no key string built). */
const newestEventTouch = new Map<string, number>();

const touch = (key: string, since: number): void => {
  newestTouch.set(key, Math.max(newestTouch.get(key) ?? 0, since));
  if (key.startsWith('event:')) newestEventTouch.set(key.slice(6), newestTouch.get(key)!);
};
const pushTo = <T>(m: Map<string, T[]>, key: string, v: T): void => {
  const list = m.get(key);
  if (list) list.push(v);
  else m.set(key, [v]);
};

function index(a: Addition): void {
  const since = minorOf(a.since);
  if ('event' in a || 'transient' in a) {
    const key = `event:${'event' in a ? a.event : a.transient}`;
    if ('event' in a && a.field !== undefined && a.value !== undefined) pushTo(valueRules, key, { path: a.field.split('.'), since, value: a.value });
    else if ('event' in a && a.field !== undefined) pushTo(fieldRules, key, { path: a.field.split('.'), since });
    else withheldSince.set(key, since);
    touch(key, since);
  } else if ('result' in a) {
    const key = `ack:${a.result}`;
    pushTo(fieldRules, key, { path: a.field.split('.'), since });
    touch(key, since);
  } else if ('errorCode' in a) {
    for (const [key, paths] of Object.entries(ERROR_CODE_FIELDS)) {
      for (const p of paths) pushTo(codeRules, key, { path: p.split('.'), since, code: a.errorCode, fallback: a.fallback });
      touch(key, since);
    }
  }
}
for (const a of PROTOCOL_ADDITIONS) index(a);

/** The key of a server message (see MessageKey). */
export function messageKey(msg: { type: string; payload?: unknown }): string {
  if (msg.type === 'ack') return `ack:${String((msg.payload as { command?: unknown } | undefined)?.command)}`;
  if (msg.type === 'command_error') return 'command_error';
  return `event:${msg.type}`;
}

/** The part of a message the table's paths start from: an ack's result, else the payload. */
const root = (msg: { type: string; payload?: unknown }): unknown =>
  msg.type === 'ack' ? (msg.payload as { result?: unknown } | undefined)?.result : msg.payload;

/**
 * True when a message with this key may differ for a peer of `minor` (cheap: one map lookup). The
 * hot path checks this first and sends the shared frame untouched when it is false.
 */
export function needsDowngrade(key: string, minor: number): boolean {
  return minor < CURRENT_MINOR && (newestTouch.get(key) ?? 0) > minor;
}

/** `needsDowngrade` for an event or transient message of `type`. */
export function eventNeedsDowngrade(type: string, minor: number): boolean {
  return minor < CURRENT_MINOR && (newestEventTouch.get(type) ?? 0) > minor;
}

/** Whether a peer of `minor` knows this event or transient type (false: withhold it). */
export function knowsMessage(type: string, minor: number): boolean {
  return (withheldSince.get(`event:${type}`) ?? 0) <= minor;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Applies `leaf` to every object holding the last segment of `path` (`a[]` walks an array). */
function visit(node: unknown, path: readonly string[], leaf: (holder: Record<string, unknown>, name: string) => void): void {
  if (!isObject(node)) return;
  const [seg, ...rest] = path;
  if (seg === undefined) return;
  const many = seg.endsWith('[]');
  const name = many ? seg.slice(0, -2) : seg;
  if (rest.length === 0) {
    leaf(node as Record<string, unknown>, name);
    return;
  }
  const child = (node as Record<string, unknown>)[name];
  if (many) {
    if (Array.isArray(child)) for (const el of child) visit(el, rest, leaf);
  } else {
    visit(child, rest, leaf);
  }
}

export type DowngradeOutcome = 'unchanged' | 'changed' | 'withheld';

/**
 * Rewrites `msg` IN PLACE for a peer of `minor` (pass a copy you own, e.g. freshly parsed JSON).
 * 'withheld': the peer does not know this message type, send nothing.
 */
export function downgradeInPlace(msg: { type: string; payload?: unknown }, minor: number): DowngradeOutcome {
  const key = messageKey(msg);
  if (!needsDowngrade(key, minor)) return 'unchanged';
  if ((withheldSince.get(key) ?? 0) > minor) return 'withheld';
  let changed = false;
  const body = root(msg);
  for (const r of valueRules.get(key) ?? []) {
    if (r.since <= minor) continue;
    let carries = false;
    visit(body, r.path, (holder, name) => (carries ||= holder[name] === r.value));
    if (carries) return 'withheld';
  }
  for (const r of fieldRules.get(key) ?? []) {
    if (r.since <= minor) continue;
    visit(body, r.path, (holder, name) => {
      if (name in holder) {
        delete holder[name];
        changed = true;
      }
    });
  }
  for (const r of codeRules.get(key) ?? []) {
    if (r.since <= minor) continue;
    visit(body, r.path, (holder, name) => {
      if (holder[name] === r.code) {
        holder[name] = r.fallback;
        changed = true;
      }
    });
  }
  return changed ? 'changed' : 'unchanged';
}

/**
 * `msg` as a peer speaking `version` can validate it: the same object when nothing changes, a
 * changed copy otherwise, undefined when the peer does not know its type (send nothing). A peer of
 * the current or a newer minor gets `msg` itself.
 */
export function downgradeMessage<T extends { type: string; payload?: unknown }>(msg: T, version: string): T | undefined {
  const minor = minorOf(version);
  if (!(minor < CURRENT_MINOR) || !needsDowngrade(messageKey(msg), minor)) return msg;
  const copy = structuredClone(msg);
  const outcome = downgradeInPlace(copy, minor);
  return outcome === 'withheld' ? undefined : outcome === 'changed' ? copy : msg;
}
