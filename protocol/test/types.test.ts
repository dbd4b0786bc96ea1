/**
 * The TS types derived from the schemas. Most checks here are compile-time: if a type were `any`,
 * `unknown` or missing, `tsc -b` (part of the test command) fails. The runtime asserts show the
 * typed values carry what their types say.
 */
import assert from 'node:assert/strict';
import { COMMAND_TYPES, EVENT_TYPES, validateCommand, validateServerMessage, type AckMessage, type CommandMessage, type CommandPayload, type CommandResult, type CommandType, type EventMessage, type EventPayload, type EventType, type ServerMessage } from '../src';
import { commandErrorFixture, commandFixtures, eventFixtures } from './typed-fixtures';

type IsAny<T> = 0 extends 1 & T ? true : false;
/** True when T is a real type: not any, not unknown, not never. */
type IsConcrete<T> = IsAny<T> extends true ? false : unknown extends T ? false : [T] extends [never] ? false : true;
type AllTrue<M extends Record<string, boolean>> = false extends M[keyof M] ? false : true;
type Assert<T extends true> = T;

export type EventPayloadsAreConcrete = Assert<AllTrue<{ [K in EventType]: IsConcrete<EventPayload<K>> }>>;
export type CommandPayloadsAreConcrete = Assert<AllTrue<{ [K in CommandType]: IsConcrete<CommandPayload<K>> }>>;
export type CommandResultsAreConcrete = Assert<AllTrue<{ [K in CommandType]: IsConcrete<CommandResult<K>> }>>;
/** Each event's envelope carries its own literal type, seq and payload type. */
export type EventEnvelopesAreTyped = Assert<AllTrue<{
  [K in EventType]: EventMessage<K> extends { type: infer T; seq: infer S; payload: infer P }
    ? [T, S, P] extends [K, number, EventPayload<K>] ? true : false
    : false;
}>>;

/** The same for commands (no seq), and for acks: `payload.result` is the command's own result type. */
export type CommandEnvelopesAreTyped = Assert<AllTrue<{
  [K in CommandType]: CommandMessage<K> extends { type: infer T; id: infer I; ts: infer S; payload: infer P }
    ? [T, I, S, P] extends [K, string, string, CommandPayload<K>] ? ('seq' extends keyof CommandMessage<K> ? false : true) : false
    : false;
}>>;
export type AckResultsAreTyped = Assert<AllTrue<{
  [K in CommandType]: [AckMessage<K>['payload']] extends [{ command: K; result: CommandResult<K> }] ? true : false;
}>>;

/** A consumer narrows by `type`: this function only compiles if the union is discriminated. */
function describeMessage(m: ServerMessage): string {
  switch (m.type) {
    case 'tool_result':
      return `${m.payload.tool} ${m.payload.ok ? 'ok' : 'failed'} in ${m.payload.durationMs} ms`;
    case 'approval_required':
      return `${m.payload.kind} (${m.payload.risk}): ${m.payload.title}`;
    case 'command_error':
      return `${m.payload.code}: ${m.payload.message}`;
    case 'ack':
      return `ack of ${m.payload.command}`;
    default:
      return m.type;
  }
}

describe('derived TS types', () => {
  it('typed fixture maps hold one correctly typed value per event type', () => {
    assert.deepEqual(Object.keys(eventFixtures).sort(), [...EVENT_TYPES].sort());
    for (const [k, v] of Object.entries(eventFixtures)) {
      const r = validateServerMessage(v);
      assert.ok(r.ok, `${k}: ${r.ok ? '' : r.error.message}`);
      assert.equal(r.value.type, k, `fixtures/valid/${k}.json holds a ${r.value.type}`);
    }
  });

  it('typed fixture maps hold a command and its ack per command type, tied by correlationId', () => {
    assert.deepEqual(Object.keys(commandFixtures).sort(), [...COMMAND_TYPES].sort());
    for (const [k, { command, ack }] of Object.entries(commandFixtures)) {
      const c = validateCommand(command);
      assert.ok(c.ok, `${k}: ${c.ok ? '' : c.error.message}`);
      assert.equal(c.value.type, k);
      const a = validateServerMessage(ack);
      assert.ok(a.ok, `ack.${k}: ${a.ok ? '' : a.error.message}`);
      assert.equal(a.value.type, 'ack');
      assert.equal(ack.payload.command, k);
      assert.equal(ack.correlationId, command.id);
    }
    const e = validateServerMessage(commandErrorFixture);
    assert.ok(e.ok && e.value.type === 'command_error');
  });

  it('payload fields have their schema types at run time', () => {
    const r = eventFixtures.tool_result.payload;
    assert.equal(typeof r.durationMs, 'number');
    assert.equal(typeof r.ok, 'boolean');
    const hunks: number = eventFixtures.diff_ready.payload.hunks.reduce((n, h) => n + h.newLines, 0);
    assert.ok(hunks > 0);
    const status: AckMessage<'status_get'> = commandFixtures.status_get.ack;
    assert.equal(typeof status.payload.result.queueDepth, 'number');
  });

  it('a ServerMessage narrows by type', () => {
    assert.match(describeMessage(eventFixtures.tool_result), /^run_command failed in \d+ ms$/);
    assert.match(describeMessage(eventFixtures.approval_required), /^command \(medium\)/);
    assert.match(describeMessage(commandErrorFixture), /^not_found: /);
    assert.equal(describeMessage(commandFixtures.ping.ack), 'ack of ping');
    assert.equal(describeMessage(eventFixtures.log), 'log');
  });
});
