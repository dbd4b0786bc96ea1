import assert from 'node:assert/strict';
import { CloseCode, makeCommand } from '@pushpals/protocol';
import type { App } from '../../src/app';
import { CommandError, WsTestClient } from '../helpers/ws-client';
import { startApp, storeSnapshot } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';

describe('server: every inbound message is validated', () => {
  let app: App;
  let c: WsTestClient;
  before(async () => {
    app = await startApp({ maxMessageBytes: 64 * 1024 });
    c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.send('hello', { clientName: 't', clientVersion: '0' });
  });
  after(async () => {
    c.close();
    await app.close();
    removeTempDirs();
  });

  const cases: Array<[string, string, string, string?]> = [
    ['malformed JSON', '{"type": "chat_send", ', 'invalid_json'],
    ['a JSON array', '[1,2,3]', 'invalid_message'],
    ['an unknown type', JSON.stringify({ ...makeCommand('ping', {}, { sessionId: 's', id: 'req-1' }), type: 'launch_missiles' }), 'unknown_type', 'req-1'],
    ['a schema violation (empty text)', JSON.stringify(makeCommand('chat_send', { text: '' }, { sessionId: 's', id: 'req-2' })), 'invalid_message', 'req-2'],
    ['an unknown property', JSON.stringify({ ...makeCommand('chat_send', { text: 'hi' }, { sessionId: 's', id: 'req-3' }), extra: 1 }), 'invalid_message', 'req-3'],
    ['a wrong payload type', JSON.stringify(makeCommand('task_new', { request: 42 } as never, { sessionId: 's', id: 'req-4' })), 'invalid_message', 'req-4'],
    ['a bad id', JSON.stringify({ ...makeCommand('ping', {}, { sessionId: 's' }), id: 'has spaces' }), 'invalid_message'],
  ];
  for (const [what, raw, code, corr] of cases) {
    it(`${what} → command_error ${code}${corr ? ' with the request id' : ''}, store unchanged`, async () => {
      const before = storeSnapshot(app.services.db);
      const r = await c.sendRaw(raw);
      assert.equal(r.type, 'command_error');
      assert.equal((r.payload as { code: string }).code, code);
      assert.equal(r.correlationId, corr);
      assert.deepEqual(storeSnapshot(app.services.db), before);
    });
  }

  it(`an incompatible protocol major → command_error unsupported_version with the request id, then close ${CloseCode.unsupportedVersion}, store unchanged`, async () => {
    const v2 = await WsTestClient.connect(app.wsUrl, app.token);
    const before = storeSnapshot(app.services.db);
    const r = await v2.sendRaw(JSON.stringify({ ...makeCommand('ping', {}, { sessionId: 's', id: 'req-5' }), protocolVersion: '2.0' }));
    assert.equal(r.type, 'command_error');
    assert.equal((r.payload as { code: string }).code, 'unsupported_version');
    assert.equal(r.correlationId, 'req-5');
    await v2.waitUntil(() => v2.closedWith !== undefined, 15_000, 'close');
    assert.equal(v2.closedWith, CloseCode.unsupportedVersion);
    assert.equal(v2.closedWith, 4426, 'the code protocol/README documents');
    assert.deepEqual(storeSnapshot(app.services.db), before);
    assert.ok((await c.send('ping', {})).ts, 'other connections are unaffected');
  });

  it('the connection stays usable after invalid input', async () => {
    const r = await c.send('ping', {});
    assert.ok(r.ts);
  });

  it('a handler error is typed too (unknown task → not_found), store unchanged', async () => {
    const before = storeSnapshot(app.services.db);
    await assert.rejects(c.send('task_cancel', { taskId: 't_missing' }), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found');
    assert.deepEqual(storeSnapshot(app.services.db), before);
  });

  it('a frame larger than maxMessageBytes closes the socket with 1009, the server is unharmed', async () => {
    const big = await WsTestClient.connect(app.wsUrl, app.token);
    big.ws.send(JSON.stringify(makeCommand('chat_send', { text: 'x'.repeat(65536) }, { sessionId: 's' })));
    await big.waitUntil(() => big.closedWith !== undefined, 15_000, 'close');
    assert.equal(big.closedWith, 1009);
    assert.ok((await c.send('ping', {})).ts);
  });

  it('HTTP POST /api/commands: malformed JSON → 400 invalid_json; a valid command → ack', async () => {
    const post = (body: string) =>
      fetch(`${app.url}/api/commands`, { method: 'POST', headers: { Authorization: `Bearer ${app.token}`, 'Content-Type': 'application/json' }, body });
    const before = storeSnapshot(app.services.db);
    const bad = await post('{nope');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { payload: { code: string } }).payload.code, 'invalid_json');
    const unknown = await post(JSON.stringify({ ...makeCommand('ping', {}, { sessionId: 's' }), type: 'nope' }));
    assert.equal(unknown.status, 400);
    assert.deepEqual(storeSnapshot(app.services.db), before);
    const tooBig = await post('x'.repeat(70 * 1024));
    assert.equal(tooBig.status, 413);
    const ok = await post(JSON.stringify(makeCommand('status_get', {}, { sessionId: 's' })));
    assert.equal(ok.status, 200);
    const ack = (await ok.json()) as { type: string; payload: { command: string } };
    assert.equal(ack.type, 'ack');
    assert.equal(ack.payload.command, 'status_get');
  });

  it('subscribe over HTTP is refused with a typed error', async () => {
    const r = await fetch(`${app.url}/api/commands`, { method: 'POST', headers: { Authorization: `Bearer ${app.token}` }, body: JSON.stringify(makeCommand('subscribe', { afterSeq: 0 }, { sessionId: 's' })) });
    assert.equal(r.status, 400);
  });
});
