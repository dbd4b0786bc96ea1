/**
 * Streamed chat replies end to end: the scripted model streams SSE over real HTTP, the orchestrator sends
 * `assistant_delta` pieces to WebSocket clients of protocol 1.1 (coalesced, never stored), and stores
 * only the final `assistant_message`, whose id the pieces announced. A client that connects mid-reply
 * gets the text so far at offset 0; a 1.0 client gets no pieces; a reply that breaks off ends its draft.
 */
import assert from 'node:assert/strict';
import { applyEvent, applyTransient, createClientState, type ClientState, type TransientMessage } from '@pushpals/protocol';
import type { App } from '../../src/app';
import { WsTestClient } from '../helpers/ws-client';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { ScriptedModelServer } from '../helpers/scripted-model';

type Delta = TransientMessage<'assistant_delta'>;
const REPLY = 'Sure. PushPals runs coding agents in sandboxes; each risky command waits for your approval, and every change comes back as a diff you review hunk by hunk before anything is committed. Send `/task <what to do>` to start one.';

/** The client state a surface would build from everything the client received, in order. */
function fold(c: WsTestClient): ClientState {
  const s = createClientState();
  for (const f of c.frames) {
    if (f.type === 'assistant_delta') applyTransient(s, f as unknown as Delta);
    else if (typeof f.seq === 'number') applyEvent(s, f as never);
  }
  return s;
}

describe('chat assistant: streamed replies (assistant_delta)', function () {
  this.timeout(30_000);
  let model: ScriptedModelServer;
  let app: App;
  const clients: WsTestClient[] = [];
  const connect = async (sessionId: string, protocolVersion?: string): Promise<WsTestClient> => {
    const c = await WsTestClient.connect(app.wsUrl, app.token, sessionId);
    clients.push(c);
    await c.send('hello', { clientName: 'tests', clientVersion: '0' }, protocolVersion ? { protocolVersion } : {});
    await c.send('subscribe', { afterSeq: 0, sessionId }, protocolVersion ? { protocolVersion } : {});
    return c;
  };
  before(async () => {
    model = await ScriptedModelServer.start({ models: ['chatty'] });
    app = await startApp({ models: { roles: { chat: { baseUrl: model.url, model: 'chatty' } }, maxRetries: 0, timeoutMs: 1500 } });
  });
  after(async () => {
    for (const c of clients) c.close();
    await app?.close();
    await model?.close();
    removeTempDirs();
  });

  it('streams coalesced pieces with contiguous offsets, then stores ONE assistant_message with the announced id', async () => {
    const c = await connect('s-stream');
    model.script('Explain PushPals', [{ text: REPLY, chunkDelayMs: 4 }]);
    await c.send('chat_send', { text: 'Explain PushPals briefly' });
    const final = await c.waitFor('assistant_message', (p) => p.text.startsWith('Sure.'));
    await c.waitFor('done');
    const deltas = c.transients.filter((t): t is Delta => t.type === 'assistant_delta');
    const chunks = Math.ceil(REPLY.length / 8); // the scripted server streams 8 characters per SSE chunk
    assert.ok(deltas.length >= 2, `expected the reply in several pieces, got ${deltas.length}`);
    assert.ok(deltas.length < chunks, `pieces are coalesced: ${deltas.length} frames for ${chunks} chunks`);
    let text = '';
    for (const d of deltas) {
      assert.equal(d.payload.messageId, final.id, 'every piece names the stored message');
      assert.equal(d.payload.offset, text.length, 'offsets are contiguous');
      assert.equal(d.turnId, final.turnId);
      text += d.payload.text;
    }
    assert.ok(REPLY.startsWith(text) && text.length > 0, 'the pieces are the reply as it was written');
    const finalIndex = c.frames.indexOf(c.frames.find((f) => f.type === 'assistant_message' && f.seq === final.seq)!);
    assert.ok(c.frames.findIndex((f) => f.type === 'assistant_delta') < finalIndex, 'pieces come before the stored reply');
    assert.ok(!c.frames.slice(finalIndex).some((f) => f.type === 'assistant_delta'), 'no piece after the stored reply');
    assert.equal(c.invalidFrames.length, 0, c.invalidFrames.join('\n'));

    // Only the final reply is stored: a replay from 0 holds no piece and one assistant_message for the turn.
    const stored = app.services.db.prepare(`SELECT type FROM events WHERE session_id = ?`).pluck().all('s-stream') as string[];
    assert.deepEqual(stored.filter((t) => t === 'assistant_message'), ['assistant_message']);
    assert.ok(!stored.includes('assistant_delta'));
    const s = fold(c);
    assert.equal(s.drafts.size, 0, 'the stored reply replaced the draft');
    assert.equal(s.timeline.filter((i) => i.kind === 'assistant').length, 1);
  });

  it('a client that connects mid-reply gets the text so far at offset 0, then the rest; a 1.0 client gets the stored reply only', async () => {
    const a = await connect('s-join');
    const old = await connect('s-join', '1.0');
    model.script('Tell me slowly', [{ text: REPLY, chunkDelayMs: 25 }]);
    await a.send('chat_send', { text: 'Tell me slowly about it' });
    await a.waitUntil(() => a.transients.filter((t) => t.type === 'assistant_delta').reduce((n, t) => n + (t as Delta).payload.text.length, 0) >= 40, 10_000, 'some of the reply');
    const late = await connect('s-join');
    const final = await late.waitFor('assistant_message', (p) => p.text.startsWith('Sure.'));
    await late.waitFor('done');
    const pieces = late.transients as Delta[];
    assert.ok(pieces.length >= 2, `the late client saw ${pieces.length} piece(s)`);
    assert.equal(pieces[0]?.payload.offset, 0, 'the first piece a late client gets is the snapshot');
    assert.ok(pieces[0]!.payload.text.length >= 40, 'the snapshot holds what was written before it joined');
    let text = '';
    for (const p of pieces) {
      assert.equal(p.payload.offset, text.length);
      text += p.payload.text;
    }
    assert.ok(REPLY.startsWith(text));
    const s = fold(late);
    assert.equal(s.drafts.size, 0);
    assert.deepEqual(s.timeline.filter((i) => i.kind === 'assistant').map((i) => (i.kind === 'task' ? '' : i.id)), [final.id]);

    await old.waitFor('assistant_message', (p) => p.text.startsWith('Sure.'));
    await old.waitFor('done');
    assert.deepEqual(old.transients, [], 'a client of protocol 1.0 never gets a message type it does not know');
    assert.equal(old.invalidFrames.length, 0);
  });

  it('a reply that breaks off mid-stream: the typed error and the turn\'s done end the draft; nothing is stored of it', async () => {
    const c = await connect('s-broken');
    model.script('Break off', [{ text: REPLY, stall: true }]);
    await c.send('chat_send', { text: 'Break off in the middle' });
    const err = await c.waitFor('error', (p) => p.error.code === 'timeout');
    assert.match(err.payload.error.message, /stream went silent/);
    await c.waitFor('done');
    assert.ok(c.transients.length >= 1, 'the pieces written before the silence were sent');
    const s = fold(c);
    assert.equal(s.drafts.size, 0, 'the turn ended the draft');
    assert.equal(s.timeline.filter((i) => i.kind === 'assistant').length, 0);
    assert.equal(app.services.chat.drafts.openCount, 0, 'the orchestrator holds no open draft');
  });
});
