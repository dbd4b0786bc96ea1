import assert from 'node:assert/strict';
import { describeAjvError, isCommandType, isEventType, parseFrame, validateAny, validateCommand, validateServerMessage } from '../src';
import { clone, validFixtures } from './helpers';

const fixtures = validFixtures();
const get = (name: string) => clone(fixtures.get(name) as Record<string, unknown> & { payload: Record<string, unknown> });

describe('validation', () => {
  describe('parseFrame', () => {
    it('rejects malformed JSON with invalid_json and the parser message', () => {
      for (const raw of ['', '{', '{"type":"ping",}', "{'a':1}", 'undefined', '{"a":1}garbage']) {
        const r = parseFrame(raw, validateCommand);
        assert.equal(r.ok, false, raw);
        if (r.ok) continue;
        assert.equal(r.error.code, 'invalid_json');
        assert.match(r.error.message, /^malformed JSON: ./);
        assert.equal(r.requestId, undefined);
      }
    });

    it('rejects well-formed JSON that is not an object', () => {
      for (const raw of ['null', '42', '"ping"', '[]', 'true']) {
        const r = parseFrame(raw, validateCommand);
        assert.equal(r.ok ? 'ok' : r.error.code, 'invalid_message', raw);
      }
    });

    it('accepts a valid frame and returns the parsed message', () => {
      const msg = get('chat_send');
      const r = parseFrame(JSON.stringify(msg), validateCommand);
      assert.ok(r.ok);
      if (r.ok) assert.deepEqual(r.value, msg);
    });
  });

  describe('direction', () => {
    it('validateCommand refuses server messages, validateServerMessage refuses commands', () => {
      const ev = validateCommand(get('tool_result'));
      assert.equal(ev.ok ? 'ok' : ev.error.code, 'unknown_type');
      const cmd = validateServerMessage(get('task_new'));
      assert.equal(cmd.ok ? 'ok' : cmd.error.code, 'unknown_type');
      assert.ok(validateServerMessage(get('ack.task_new')).ok);
      assert.ok(validateServerMessage(get('command_error')).ok);
    });

    it('type guards', () => {
      assert.ok(isEventType('tool_result') && !isEventType('task_new') && !isEventType('constructor'));
      assert.ok(isCommandType('task_new') && !isCommandType('tool_result') && !isCommandType('toString'));
    });

    it('an unknown type name is cut short in the message (no echo of huge input)', () => {
      const m = get('ping');
      m.type = 'x'.repeat(10000);
      const r = validateAny(m);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.error.message.length < 200);
    });
  });

  describe('error paths', () => {
    it('a missing nested property is pointed at by its own path', () => {
      const m = get('diff_ready');
      delete (m.payload.hunks as Record<string, unknown>[])[0]!.newLines;
      const r = validateAny(m);
      assert.equal(r.ok ? 'ok' : r.error.path, '/payload/hunks/0/newLines');
    });

    it('JSON-pointer segments are escaped (RFC 6901)', () => {
      const d = describeAjvError({ instancePath: '/payload', params: { additionalProperty: 'a/b~c' } });
      assert.equal(d.path, '/payload/a~1b~0c');
      assert.match(d.message, /unknown property "a\/b~c"/);
    });

    it('an ack whose result belongs to another command is caught inside the right branch', () => {
      const m = get('ack.subscribe');
      m.payload.result = { ts: '2026-11-24T09:32:00.000Z' }; // a ping result
      const r = validateAny(m);
      assert.equal(r.ok ? 'ok' : r.error.path, '/payload/result/afterSeq');
    });

    it('free-form records accept any JSON values (tool_call args)', () => {
      const m = get('tool_call');
      m.payload.args = { nested: { deep: [1, 'two', null] }, flag: true };
      assert.ok(validateAny(m).ok);
    });

    it('a string at exactly its limit passes; one more character fails', () => {
      const m = get('task_created');
      m.payload.title = 'é'.repeat(500);
      assert.ok(validateAny(m).ok);
      m.payload.title = 'é'.repeat(501);
      assert.equal(validateAny(m).ok, false);
    });
  });
});
