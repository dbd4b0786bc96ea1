import assert from 'node:assert/strict';
import { validateAny, validateCommand, validateServerMessage } from '../src';
import { invalidFixtures, isRecord, validFixtures } from './helpers';

describe('fixtures', () => {
  describe('valid fixtures validate', () => {
    for (const [name, message] of validFixtures()) {
      it(name, () => {
        const r = validateAny(message);
        assert.ok(r.ok, r.ok ? '' : `${r.error.code} ${r.error.path}: ${r.error.message}`);
        assert.ok(isRecord(message));
        // The file name tells the type: `<type>.json` or `ack.<command>.json`.
        const [type, command] = name.split('.');
        assert.equal(message.type, type);
        if (command !== undefined) assert.equal((message.payload as { command?: string }).command, command);
      });
    }
  });

  describe('valid fixtures are accepted by the direction-specific validator', () => {
    for (const [name, message] of validFixtures()) {
      const t = (message as { type: string }).type;
      it(name, () => {
        const isCommand = validateCommand(message).ok;
        const isServer = validateServerMessage(message).ok;
        assert.notEqual(isCommand, isServer, `${t} must be exactly one of command / server message`);
      });
    }
  });

  describe('invalid fixtures are rejected with the expected code, path and a readable message', () => {
    const all = invalidFixtures();
    it('there are at least 15 of them, each described', () => {
      assert.ok(all.length >= 15, `only ${all.length}`);
      for (const f of all) assert.ok(f.description.length > 10, `${f.name} has no description`);
    });
    for (const f of all) {
      it(`${f.name}: ${f.description}`, () => {
        const r = validateAny(f.message);
        assert.equal(r.ok, false, 'was accepted');
        if (r.ok) return;
        assert.equal(r.error.code, f.expect.code);
        assert.equal(r.error.path, f.expect.path);
        assert.ok(r.error.message.includes(f.expect.contains), `"${r.error.message}" lacks "${f.expect.contains}"`);
        // Readable: plain words, bounded, and naming where the problem is.
        assert.ok(r.error.message.length < 400, 'message too long');
        if (f.expect.path !== '' && f.expect.code === 'invalid_message') assert.ok(r.error.message.startsWith(f.expect.path), r.error.message);
        // The id of the offending message is returned, so the server can tie its error to the request.
        const id = isRecord(f.message) ? f.message.id : undefined;
        assert.equal(r.requestId, typeof id === 'string' ? id : undefined);
      });
    }
  });
});
