/** The chat assistant with a chat model (the scripted server over real HTTP) behind a real WebSocket. */
import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { WsTestClient } from '../helpers/ws-client';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { ScriptedModelServer } from '../helpers/scripted-model';

describe('chat assistant with a chat model', function () {
  this.timeout(20_000);
  let model: ScriptedModelServer;
  let app: App;
  let c: WsTestClient;
  before(async () => {
    model = await ScriptedModelServer.start({ models: ['chatty'] });
    app = await startApp({ models: { roles: { chat: { baseUrl: model.url, model: 'chatty' } }, maxRetries: 1 } });
    c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.start();
  });
  after(async () => {
    c?.close();
    await app?.close();
    await model?.close();
    removeTempDirs();
  });

  it('answers with the model, the conversation so far and the task list in the prompt', async () => {
    model.script('What can you do', [
      { text: 'I can **change code** in sandboxes: send `/task <request>`.' },
      { expect: (r) => (r.body?.messages.filter((m) => m.role === 'user').length === 2 && r.body.messages.some((m) => m.role === 'assistant') ? undefined : 'the history is missing'), text: 'Yes: the earlier answer still holds.' },
    ]);
    await c.send('chat_send', { text: 'What can you do?' });
    const first = await c.waitFor('assistant_message', (p) => /change code/.test(p.text));
    assert.equal(first.payload.format, 'markdown');
    await c.waitFor('done', () => true);
    await c.send('chat_send', { text: 'Sure?' });
    await c.waitFor('assistant_message', (p) => /still holds/.test(p.text));
    const req = model.chatRequests('What can you do')[0];
    assert.match(String(req?.body?.messages[0]?.content), /No tasks yet/);
    assert.equal(req?.body?.model, 'chatty');
    assert.deepEqual(model.unscripted, []);
  });

  it('"status" is still answered at once without the model', async () => {
    const before = model.requests.length;
    await c.send('chat_send', { text: 'status' });
    await c.waitFor('assistant_message', (p) => /^No tasks yet\. Queue depth/.test(p.text));
    assert.equal(model.requests.length, before);
  });

  it('a failing model becomes a typed error event for the turn, and the turn ends', async () => {
    model.script('Broken model', [{ status: 500, retryAfterMs: 5 }, { status: 500, retryAfterMs: 5 }]);
    const dones = () => c.events.filter((e) => e.type === 'done').length;
    const donesBefore = dones();
    const m = await c.send('chat_send', { text: 'Broken model, answer please' });
    const err = await c.waitFor('error', (p) => p.error.code === 'model_error');
    assert.match(err.payload.error.message, /HTTP 500 \(after 2 attempts\)/);
    assert.ok(err.seq > m.messageSeq);
    await c.waitUntil(() => dones() > donesBefore, 15_000, 'the turn to end');
  });
});
