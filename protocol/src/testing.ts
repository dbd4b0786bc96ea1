/**
 * `@pushpals/protocol/testing`: the protocol as a peer of an OLDER minor knows it, for tests and
 * tools only (never bundled into a client): `schemasAtVersion` derives every server message's JSON
 * Schema at that minor from today's schemas and the additions table (newer types gone, newer fields
 * gone — the schemas are closed, so such a field is rejected —, newer error codes gone), and
 * `validatorAtVersion` compiles them with a stock run-time Ajv, so a test can check that what a
 * server sends to a 1.1 client is exactly a 1.1 message.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { ERROR_CODE_FIELDS, PROTOCOL_ADDITIONS, minorOf } from './additions';
import { protocolFormats } from './formats';
import { ALL_SCHEMAS, RESPONSE_TYPES } from './messages';
import { EVENT_TYPES } from './events';
import { TRANSIENT_TYPES } from './transient';
import { describeAjvError } from './validate';

type Json = Record<string, unknown>;
const SERVER_TYPES: readonly string[] = [...EVENT_TYPES, ...TRANSIENT_TYPES, ...RESPONSE_TYPES];

/** The schema node at a table path (`evidence`, `tasks[].paused`) below an object schema; undefined if absent. */
function nodeAt(schema: Json, path: readonly string[]): { holder: Json; name: string } | undefined {
  let node: Json | undefined = schema;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const many = seg.endsWith('[]');
    const name = many ? seg.slice(0, -2) : seg;
    if (!node) return undefined;
    if (i === path.length - 1) return { holder: node, name };
    let child = (node.properties as Json | undefined)?.[name] as Json | undefined;
    if (many) child = child?.items as Json | undefined;
    node = child;
  }
  return undefined;
}

function removeField(objectSchema: Json, path: readonly string[]): void {
  const at = nodeAt(objectSchema, path);
  if (!at) throw new Error(`additions table: no field ${path.join('.')}`);
  delete (at.holder.properties as Json)[at.name];
  if (Array.isArray(at.holder.required)) at.holder.required = (at.holder.required as string[]).filter((r) => r !== at.name);
}

function removeValue(objectSchema: Json, path: readonly string[], value: string): void {
  const at = nodeAt(objectSchema, path);
  const leaf = at && ((at.holder.properties as Json)[at.name] as Json | undefined);
  if (!leaf || !Array.isArray(leaf.enum) || !leaf.enum.includes(value)) throw new Error(`additions table: ${path.join('.')} has no enum value "${value}"`);
  leaf.enum = (leaf.enum as string[]).filter((c) => c !== value);
}

const ackBranches = (schemas: Record<string, Json>): Json[] => ((schemas.ack!.properties as Json).payload as Json).oneOf as Json[];
const ackResult = (schemas: Record<string, Json>, command: string): Json => {
  const branch = ackBranches(schemas).find((b) => ((b.properties as Json).command as Json).const === command);
  if (!branch) throw new Error(`additions table: no ack branch for ${command}`);
  return (branch.properties as Json).result as Json;
};
const payloadOf = (s: Json): Json => (s.properties as Json).payload as Json;

/** Every server message's JSON Schema (events, transient messages, ack, command_error) as a peer of `version` knows it. */
export function schemasAtVersion(version: string): Record<string, Json> {
  const minor = minorOf(version);
  const schemas = Object.fromEntries(SERVER_TYPES.map((t) => [t, JSON.parse(JSON.stringify(ALL_SCHEMAS[t])) as Json]));
  // Newest first: a field added below an older addition (`evidence.checks[].reusedFrom` of 1.2's `evidence`) goes before its parent.
  for (const a of [...PROTOCOL_ADDITIONS].reverse()) {
    if (minorOf(a.since) <= minor) continue;
    if ('transient' in a) delete schemas[a.transient];
    else if ('event' in a && a.field === undefined) delete schemas[a.event];
    else if ('event' in a && a.field !== undefined && a.value !== undefined) {
      if (schemas[a.event]) removeValue(payloadOf(schemas[a.event]!), a.field.split('.'), a.value);
    } else if ('event' in a && a.field !== undefined) {
      if (schemas[a.event]) removeField(payloadOf(schemas[a.event]!), a.field.split('.'));
    } else if ('command' in a && a.field === undefined) {
      const p = (schemas.ack!.properties as Json).payload as Json;
      p.oneOf = ackBranches(schemas).filter((b) => ((b.properties as Json).command as Json).const !== a.command);
    } else if ('result' in a) {
      // A command newer than `minor` has no ack branch left: nothing of its result to remove.
      const gone = PROTOCOL_ADDITIONS.some((c) => 'command' in c && c.command === a.result && c.field === undefined && minorOf(c.since) > minor);
      if (!gone) removeField(ackResult(schemas, a.result), a.field.split('.'));
    } else if ('errorCode' in a) {
      for (const [key, paths] of Object.entries(ERROR_CODE_FIELDS)) {
        const type = key.startsWith('event:') ? key.slice(6) : key;
        const s = schemas[type];
        if (!s) continue;
        for (const p of paths) {
          removeValue(payloadOf(s), p.split('.'), a.errorCode);
        }
      }
    }
  }
  return schemas;
}

/**
 * Every message type and field of these server schemas, one string each: `event:<type>` (events and
 * transient messages), `ack:<command>`, `command_error`, then `/<field path>` for each field of the
 * payload (an ack: of its result), nested as the table writes them (`hunks[].hunkId`). A test compares
 * today's with the 1.0 baseline (`test/baseline-1.0.json`) and the table: a new field needs its line.
 */
export function messagePaths(schemas: Record<string, Json>): string[] {
  const out: string[] = [];
  const walk = (key: string, node: Json | undefined, prefix: string): void => {
    for (const [name, child] of Object.entries((node?.properties as Record<string, Json> | undefined) ?? {})) {
      const p = `${prefix}${name}`;
      out.push(`${key}/${p}`);
      if (child.type === 'object') walk(key, child, `${p}.`);
      if (child.type === 'array' && (child.items as Json | undefined)?.type === 'object') walk(key, child.items as Json, `${p}[].`);
    }
  };
  for (const [type, schema] of Object.entries(schemas)) {
    if (type === 'ack') {
      for (const b of ackBranches(schemas)) {
        const command = String(((b.properties as Json).command as Json).const);
        out.push(`ack:${command}`);
        walk(`ack:${command}`, (b.properties as Json).result as Json, '');
      }
      continue;
    }
    const key = type === 'command_error' ? type : `event:${type}`;
    out.push(key);
    walk(key, payloadOf(schema), '');
  }
  return out.sort();
}

export type VersionedCheck = (msg: unknown) => { ok: true } | { ok: false; type: string; message: string };

/** A validator of server messages as a peer of `version` validates them (run-time Ajv: tests and tools only). */
export function validatorAtVersion(version: string): VersionedCheck {
  const ajv = new Ajv({ strict: false, allErrors: false, allowUnionTypes: true, discriminator: true });
  for (const [name, format] of Object.entries(protocolFormats)) ajv.addFormat(name, format);
  const compiled = new Map<string, ValidateFunction>();
  for (const [type, schema] of Object.entries(schemasAtVersion(version))) {
    const { $id: _id, ...rest } = schema;
    compiled.set(type, ajv.compile(rest));
  }
  return (msg) => {
    const type = typeof msg === 'object' && msg !== null ? String((msg as Json).type) : '';
    const v = compiled.get(type);
    if (!v) return { ok: false, type, message: `protocol ${version} has no server message type "${type}"` };
    if (v(msg)) return { ok: true };
    return { ok: false, type, message: describeAjvError(v.errors![0]!).message };
  };
}
