import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, TRANSIENT_SINCE, isAtLeastVersion, isCompatibleVersion, parseProtocolVersion, validateCommand, validateServerMessage } from '../src';
import { clone, validFixtures } from './helpers';

const fixtures = validFixtures();
function withVersion(name: string, v: unknown): Record<string, unknown> {
  return { ...clone(fixtures.get(name) as Record<string, unknown>), protocolVersion: v };
}
const major = Number(PROTOCOL_VERSION.split('.')[0]);

describe('version handshake', () => {
  it('PROTOCOL_VERSION is MAJOR.MINOR', () => {
    assert.match(PROTOCOL_VERSION, /^\d+\.\d+$/);
    assert.deepEqual(parseProtocolVersion('12.34'), { major: 12, minor: 34 });
  });

  it('parseProtocolVersion refuses anything but MAJOR.MINOR', () => {
    for (const v of ['', '1', '1.0.0', 'v1.0', '1.x', ' 1.0', '1.0 ', '-1.0']) assert.equal(parseProtocolVersion(v), undefined, v);
  });

  it('the same major interoperates, whatever the minor', () => {
    assert.ok(isCompatibleVersion(`${major}.0`));
    assert.ok(isCompatibleVersion(`${major}.99`));
    assert.ok(isCompatibleVersion('3.1', '3.7'));
  });

  it('another major, or a malformed version, does not', () => {
    assert.equal(isCompatibleVersion(`${major + 1}.0`), false);
    assert.equal(isCompatibleVersion(`${major - 1}.9`), false);
    assert.equal(isCompatibleVersion('2.0', '1.0'), false);
    assert.equal(isCompatibleVersion('garbage'), false);
    assert.equal(isCompatibleVersion('1.0', 'garbage'), false);
  });

  it('isAtLeastVersion: same major and a minor at least the feature\'s (what a server checks before sending a newer message type)', () => {
    assert.ok(isAtLeastVersion('1.1', '1.1'));
    assert.ok(isAtLeastVersion('1.12', '1.1'));
    assert.equal(isAtLeastVersion('1.0', '1.1'), false);
    assert.equal(isAtLeastVersion('2.1', '1.1'), false, 'another major knows nothing of ours');
    assert.equal(isAtLeastVersion('garbage', '1.1'), false);
    assert.ok(isAtLeastVersion(PROTOCOL_VERSION, TRANSIENT_SINCE), 'this package speaks the transient messages it defines');
  });

  it('a hello from a newer minor is accepted', () => {
    assert.ok(validateCommand(withVersion('hello', `${major}.7`)).ok);
  });

  it('a command from another major gets unsupported_version with details and the request id', () => {
    const msg = withVersion('hello', `${major + 1}.0`);
    const r = validateCommand(msg);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'unsupported_version');
    assert.equal(r.error.path, '/protocolVersion');
    assert.deepEqual(r.error.details, { supported: PROTOCOL_VERSION, received: `${major + 1}.0` });
    assert.match(r.error.message, new RegExp(`${major + 1}\\.0 is not supported.*speaks ${PROTOCOL_VERSION.replace('.', '\\.')}`));
    assert.equal(r.requestId, msg.id);
  });

  it('the check comes before the schema: a 2.x message is refused as such even if its payload changed shape', () => {
    const msg = withVersion('hello', `${major + 1}.3`);
    msg.payload = { client: { name: 'future' } };
    const r = validateCommand(msg);
    assert.equal(r.ok ? 'ok' : r.error.code, 'unsupported_version');
  });

  it('a server message from another major is refused too (the client side of the handshake)', () => {
    const r = validateServerMessage(withVersion('ack.hello', `${major + 1}.0`));
    assert.equal(r.ok ? 'ok' : r.error.code, 'unsupported_version');
  });

  it('a malformed or missing version is an invalid message at /protocolVersion', () => {
    for (const v of ['1', 'one.zero', 10]) {
      const r = validateCommand(withVersion('ping', v));
      assert.equal(r.ok ? 'ok' : `${r.error.code} ${r.error.path}`, 'invalid_message /protocolVersion', String(v));
    }
    const missing = clone(fixtures.get('ping') as Record<string, unknown>);
    delete missing.protocolVersion;
    const r = validateCommand(missing);
    assert.equal(r.ok ? 'ok' : `${r.error.code} ${r.error.path}`, 'invalid_message /protocolVersion');
  });
});
