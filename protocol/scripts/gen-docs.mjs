#!/usr/bin/env node
// Generates the reference part of protocol/README.md (between the BEGIN/END markers) from the
// schemas (dist/src, tsc output), EventDocs/CommandDocs and the valid fixtures.
//   node scripts/gen-docs.mjs           # rewrite the reference in README.md
//   node scripts/gen-docs.mjs --check   # exit 1 if README.md is stale (tests and the build run this)
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const require = createRequire(import.meta.url);
const P = require(join(root, 'dist/src/index.js'));

export const BEGIN = '<!-- BEGIN GENERATED REFERENCE (scripts/gen-docs.mjs; do not edit by hand) -->';
export const END = '<!-- END GENERATED REFERENCE -->';
const ENVELOPE_KEYS = ['protocolVersion', 'id', 'ts', 'sessionId', 'type', 'from', 'to', 'correlationId', 'parentId', 'turnId', 'seq'];

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s) => '`' + s + '`';

/** A short human type for one schema node. */
function typeOf(s) {
  if (s.const !== undefined) return code(JSON.stringify(s.const));
  if (s.enum) return s.enum.map((v) => code(JSON.stringify(v))).join(' | ');
  if (s.type === 'array') return `array of ${typeOf(s.items)}`;
  if (s.type === 'object' && s.patternProperties) return 'object (free-form)';
  if (s.type === 'object' && s.oneOf) return 'object (one variant per command)';
  if (s.type === undefined && Object.keys(s).length === 0) return 'any';
  return s.type ?? 'any';
}

/** The constraints of one schema node, readable. */
function constraintsOf(s) {
  const c = [];
  if (s.minLength !== undefined) c.push(`minLength ${s.minLength}`);
  if (s.maxLength !== undefined) c.push(`maxLength ${s.maxLength}`);
  if (s.pattern !== undefined) c.push(`pattern ${code(s.pattern)}`);
  if (s.format !== undefined) c.push(`format ${s.format}`);
  if (s.minimum !== undefined) c.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) c.push(`≤ ${s.maximum}`);
  if (s.maxItems !== undefined) c.push(`maxItems ${s.maxItems}`);
  if (s.description !== undefined) c.push(s.description);
  return c.join(', ');
}

/** Rows for every field of an object schema, nested objects and arrays of objects flattened. */
function rows(schema, prefix = '') {
  const out = [];
  const required = new Set(schema.required ?? []);
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    const path = prefix + name;
    out.push([code(path), typeOf(s), required.has(name) ? 'yes' : 'no', constraintsOf(s)]);
    if (s.type === 'object' && s.properties && !s.oneOf) out.push(...rows(s, `${path}.`));
    if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) out.push(...rows(s.items, `${path}[].`));
  }
  return out;
}

function table(schema, prefix = '', extra = []) {
  const r = [...rows(schema, prefix), ...extra];
  if (r.length === 0) return '_No fields: the payload is `{}`._\n';
  return ['| Field | Type | Required | Constraints |', '|---|---|---|---|', ...r.map((x) => `| ${x.map(cell).join(' | ')} |`)].join('\n') + '\n';
}

const fixturePath = (name) => join(root, 'fixtures/valid', `${name}.json`);
function example(name) {
  const p = fixturePath(name);
  if (!existsSync(p)) throw new Error(`missing fixture fixtures/valid/${name}.json`);
  return '```json\n' + readFileSync(p, 'utf8').trimEnd() + '\n```\n';
}

function envelopeSection() {
  const any = P.EventSchemas.log;
  const props = Object.fromEntries(ENVELOPE_KEYS.map((k) => [k, k === 'type' ? { type: 'string', description: 'the message type' } : any.properties[k]]));
  props.seq = { ...props.seq, description: 'events only, and required there' };
  const required = any.required.filter((k) => k !== 'payload' && k !== 'seq');
  return [
    '### Envelope',
    '',
    'Every message on the wire is one JSON object (one WebSocket text frame) with these fields around its `payload`.',
    'No other field is allowed (the envelope and every payload are closed: unknown properties are rejected).',
    '`seq` is present on events only (their position in the persisted event log, from 1; transient messages have none); responses carry',
    '`correlationId` = the `id` of the command they answer.',
    '',
    table({ properties: props, required }, '', [[code('payload'), 'object', 'yes', 'per message type, below']]),
    '',
  ].join('\n');
}

function handshakeSection() {
  const [major] = P.PROTOCOL_VERSION.split('.');
  const refused = P.validateCommand({ ...JSON.parse(readFileSync(fixturePath('hello'), 'utf8')), protocolVersion: `${Number(major) + 1}.0` });
  return [
    '### Version handshake',
    '',
    `This package speaks protocol ${code(P.PROTOCOL_VERSION)}. Every message carries ${code('protocolVersion')}`,
    '(`MAJOR.MINOR`). The first command on a connection is `hello`; the server answers with an `ack` naming its',
    'own version and the head of the event log. A message whose MAJOR differs from ours is refused, never',
    'half-understood: `validateCommand`/`validateServerMessage` return this error (the server sends it as the',
    '`payload` of a `command_error` with `correlationId` = the offending id, then closes the connection with',
    `close code ${P.CloseCode.unsupportedVersion}):`,
    '',
    '```json',
    JSON.stringify(refused.ok ? {} : refused.error, null, 2),
    '```',
    '',
    'A malformed version (not `MAJOR.MINOR`) is an `invalid_message` at `/protocolVersion`.',
    '',
  ].join('\n');
}

function connectionSection() {
  const rows = Object.entries(P.CloseCode).map(([name, n]) => `| ${n} | \`${name}\` | ${P.CloseCodeDocs[name]} |`);
  return [
    '### Close codes',
    '',
    'Why the server closes a WebSocket (`CloseCode` in `src/close-codes.ts`):',
    '',
    '| Code | `CloseCode.` | Meaning, and what a client does |',
    '|---|---|---|',
    ...rows,
    '',
    'Rate limits: a server may limit how many commands a client sends. A command over the limit is not run;',
    'it is answered with a `command_error` whose `code` is `rate_limited` and whose `details.retryAfterMs` says',
    'when the next command will be accepted (over HTTP: status 429 and a `Retry-After` header). The connection',
    'stays open: wait, then send again.',
    '',
  ].join('\n');
}

function historySection() {
  const minors = [...new Set(P.PROTOCOL_ADDITIONS.map((a) => a.since))];
  const out = [
    '### What each minor added',
    '',
    'Generated from `PROTOCOL_ADDITIONS` (`src/additions.ts`), the one table of what each minor added (1.0 is the',
    'baseline). The server downgrades everything it sends to the minor the client announced by this table: an',
    'event or transient type newer than that minor is not sent (no client treats a seq it never saw as a gap: the',
    'cursor moves on with the next event), a newer field is removed, a newer error code becomes the fallback named',
    'here. A client of that minor therefore only ever receives messages it can validate.',
    '',
  ];
  const list = (label, items) => (items.length ? [`- ${label}: ${items.join(', ')}`] : []);
  for (const v of minors) {
    const of = P.PROTOCOL_ADDITIONS.filter((a) => a.since === v);
    const pick = (f) => of.filter(f);
    out.push(`#### ${v}`, '', P.MINOR_SUMMARIES[v] ?? '', '');
    out.push(
      ...list('Events', pick((a) => a.event && !a.field).map((a) => code(a.event))),
      ...list('Event fields', pick((a) => a.event && a.field && !a.value).map((a) => code(`${a.event}.${a.field}`))),
      ...list('Enum values', pick((a) => a.value).map((a) => `${code(`${a.event}.${a.field}`)} ${code(JSON.stringify(a.value))} (an older peer does not get such an event)`)),
      ...list('Transient messages', pick((a) => a.transient).map((a) => code(a.transient))),
      ...list('Commands', pick((a) => a.command && !a.field).map((a) => code(a.command))),
      ...list('Command fields', pick((a) => a.command && a.field).map((a) => code(`${a.command}.${a.field}`))),
      ...list('Ack result fields', pick((a) => a.result).map((a) => code(`${a.result}.${a.field}`))),
      ...list('Error codes', pick((a) => a.errorCode).map((a) => `${code(a.errorCode)} (an older peer gets ${code(a.fallback)})`)),
      ...list('Close codes', pick((a) => a.closeCode).map((a) => code(a.closeCode))),
      '',
    );
  }
  return out.join('\n');
}

function eventsSection() {
  const out = ['### Events (server → client)', '', `${P.EVENT_TYPES.length} event types. Each carries \`seq\`.`, ''];
  out.push(P.EVENT_TYPES.map((t) => `[\`${t}\`](#event-${t.replace(/_/g, '-')})`).join(' · '), '');
  for (const t of P.EVENT_TYPES) {
    out.push(`<a id="event-${t.replace(/_/g, '-')}"></a>`, '', `#### \`${t}\``, '', P.EventDocs[t], '', 'Payload:', '');
    out.push(table(P.EventSchemas[t].properties.payload, 'payload.'), 'Example:', '', example(t));
  }
  return out.join('\n');
}

function transientSection() {
  const out = [
    '### Transient messages (server → client, live only)',
    '',
    `${P.TRANSIENT_TYPES.length} type(s), new in protocol ${code(P.TRANSIENT_SINCE)}. A transient message previews what a stored event will`,
    'say; it is sent only to live subscribers of its session, is never stored, carries no `seq` (a client does',
    'not deduplicate it by seq, nor move its cursor) and is never replayed. The stored event is the truth and replaces',
    `the preview. A server sends them only to a subscription whose \`subscribe\` command carried \`protocolVersion\` ${code(P.TRANSIENT_SINCE)} or later.`,
    '',
    'Streaming a chat reply: the orchestrator picks the id of the reply\'s `assistant_message` before the model starts,',
    'and sends `assistant_delta` pieces (at most one per ~30 ms, or sooner once 64 characters wait) whose `offset`',
    'is the length of the draft before the piece. The stored `assistant_message` with envelope `id` = `messageId`',
    'replaces the draft; the turn\'s `done` (same `turnId`) ends any draft left without one (the model failed: an',
    '`error` event says why).',
    '',
    'A client that (re)connects in the middle of a reply replays the stored events (the reply is not among them yet),',
    'and when its subscription reaches the head of the log and goes live, the server sends each draft of the',
    'session still being written as ONE `assistant_delta` with `offset` 0 and the whole text so far; later pieces',
    'follow. So a client: on `offset` 0, sets the draft to `text`; on `offset` = its draft\'s length, appends; on a',
    'larger `offset` (it missed a piece), keeps what it has and waits for the final message; drops every draft when',
    'its connection closes (the next subscription brings them back).',
    '',
  ];
  for (const t of P.TRANSIENT_TYPES) {
    out.push(`<a id="transient-${t.replace(/_/g, '-')}"></a>`, '', `#### \`${t}\``, '', P.TransientDocs[t], '', 'Payload:', '');
    out.push(table(P.TransientSchemas[t].properties.payload, 'payload.'), 'Example:', '', example(t));
  }
  return out.join('\n');
}

function commandsSection() {
  const out = ['### Commands (client → server)', '', `${P.COMMAND_TYPES.length} command types. Each is answered by exactly one \`ack\` (with the typed result below) or one \`command_error\`, both with \`correlationId\` = the command's \`id\`.`, ''];
  out.push(P.COMMAND_TYPES.map((t) => `[\`${t}\`](#command-${t.replace(/_/g, '-')})`).join(' · '), '');
  for (const t of P.COMMAND_TYPES) {
    out.push(`<a id="command-${t.replace(/_/g, '-')}"></a>`, '', `#### \`${t}\``, '', P.CommandDocs[t], '', 'Payload:', '');
    out.push(table(P.CommandSchemas[t].properties.payload, 'payload.'), 'Result (`ack` payload `{ command: "' + t + '", result }`):', '');
    out.push(table(P.CommandResults[t], 'result.'), 'Example:', '', example(t), 'Answer:', '', example(`ack.${t}`));
  }
  return out.join('\n');
}

function responsesSection() {
  const codes = P.ErrorCode.enum.map(code).join(', ');
  return [
    '### Responses',
    '',
    '#### `ack`',
    '',
    'The success answer to a command. `payload.command` names the command answered; `payload.result` has the',
    "shape of that command's result (see each command above). Example: the answer to `task_new`.",
    '',
    table({ properties: { command: { enum: P.COMMAND_TYPES, type: 'string' }, result: { type: 'object' } }, required: ['command', 'result'] }, 'payload.'),
    example('ack.task_new'),
    '#### `command_error`',
    '',
    'The failure answer to a command, or to a frame that could not be parsed or validated (then `correlationId`',
    'is the id found in the frame, if any). Nothing changed on the server.',
    '',
    table(P.CommandErrorSchema.properties.payload, 'payload.'),
    `Error codes: ${codes}.`,
    '',
    example('command_error'),
  ].join('\n');
}

export function generate() {
  return [
    BEGIN,
    '',
    '## Reference',
    '',
    `Protocol version ${code(P.PROTOCOL_VERSION)}: ${P.EVENT_TYPES.length} events, ${P.TRANSIENT_TYPES.length} transient message type(s), ${P.COMMAND_TYPES.length} commands, ${P.RESPONSE_TYPES.length} responses.`,
    '',
    envelopeSection(),
    handshakeSection(),
    connectionSection(),
    historySection(),
    eventsSection(),
    transientSection(),
    commandsSection(),
    responsesSection(),
    END,
  ].join('\n');
}

function main() {
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) {
    console.error(`[protocol] ${readme}: the markers ${BEGIN} ... ${END} are missing`);
    process.exit(2);
  }
  const next = text.slice(0, a) + generate() + text.slice(b + END.length);
  if (process.argv.includes('--check')) {
    if (next !== text) {
      console.error('[protocol] README.md reference is stale: run `npm run docs -w protocol` (after the build) and commit it');
      process.exit(1);
    }
    console.log('[protocol] README.md reference is up to date');
    return;
  }
  if (next !== text) writeFileSync(readme, next);
  console.log(`[protocol] README.md reference ${next !== text ? 'regenerated' : 'unchanged'}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
