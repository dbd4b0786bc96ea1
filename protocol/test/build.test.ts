import assert from 'node:assert/strict';
import { COMMAND_TYPES, PROTOCOL_VERSION, makeCommand, newId, validateCommand, type CommandPayload, type CommandType } from '../src';
import { commandFixtures } from './typed-fixtures';

/** Builds a command of the given type from its fixture's payload. */
function build(type: CommandType, opts: { sessionId: string; turnId?: string; from?: string }) {
  const payload: CommandPayload<CommandType> = commandFixtures[type].command.payload;
  return makeCommand(type, payload, opts);
}

describe('makeCommand', () => {
  for (const t of COMMAND_TYPES) {
    it(`builds a valid ${t}`, () => {
      const before = Date.now();
      const cmd = build(t, { sessionId: 'sess_1' });
      const r = validateCommand(cmd);
      assert.ok(r.ok, r.ok ? '' : r.error.message);
      assert.equal(cmd.type, t);
      assert.equal(cmd.protocolVersion, PROTOCOL_VERSION);
      assert.equal(cmd.from, 'user');
      assert.ok(Date.parse(cmd.ts) >= before - 1 && Date.parse(cmd.ts) <= Date.now());
      assert.equal('turnId' in cmd, false);
    });
  }

  it('passes from/turnId/id through', () => {
    const cmd = makeCommand('ping', {}, { sessionId: 's', from: 'extension', turnId: 'turn_1', id: 'c_fixed' });
    assert.equal(cmd.from, 'extension');
    assert.equal(cmd.turnId, 'turn_1');
    assert.equal(cmd.id, 'c_fixed');
    assert.ok(validateCommand(cmd).ok);
  });

  it('generates unique, valid ids', () => {
    const ids = new Set(Array.from({ length: 10000 }, () => newId('c')));
    assert.equal(ids.size, 10000);
    for (const id of [...ids].slice(0, 100)) assert.match(id, /^c_[A-Za-z0-9_.:-]+$/);
  });
});
