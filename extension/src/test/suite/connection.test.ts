/**
 * The connection against the REAL orchestrator (started by the test, restarted mid-test): handshake,
 * typed acks, reconnect with backoff, replay from the last seq with no lost and no doubled events,
 * auth failure and version mismatch as fatal, explained failures.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { WebSocketServer } from 'ws';
import { PROTOCOL_VERSION, type EventMessage } from '@pushpals/protocol/client';
import { Connection, type ConnStatus } from '../../connection';
import { debugInfo, liveOrchestrator, memoryLogger, pointExtensionAt, waitFor, type Orchestrator } from '../helpers';

function client(orch: Orchestrator, opts: { minDelayMs?: number; afterSeq?: number; token?: string } = {}): { conn: Connection; events: EventMessage[]; statuses: ConnStatus[] } {
  const events: EventMessage[] = [];
  const statuses: ConnStatus[] = [];
  const conn = new Connection({
    resolveEndpoint: async () => ({ url: orch.url, token: opts.token ?? orch.token, source: 'settings' }),
    clientName: 'host-test', clientVersion: '0', sessionId: 's_hosttest', logger: memoryLogger(),
    minDelayMs: opts.minDelayMs ?? 100, maxDelayMs: 2000, heartbeatMs: 2000, afterSeq: opts.afterSeq ?? 0,
  });
  conn.onEvent((e) => events.push(e));
  conn.onStatus((s) => statuses.push(s));
  return { conn, events, statuses };
}

const seqsOf = (events: EventMessage[]): number[] => events.map((e) => e.seq);
function assertStrictlyIncreasing(seqs: number[]): void {
  for (let i = 1; i < seqs.length; i++) assert.ok((seqs[i] ?? 0) > (seqs[i - 1] ?? 0), `seq ${seqs[i]} after ${seqs[i - 1]} at ${i}`);
}

describe('connection (real orchestrator)', function () {
  this.timeout(120000);
  const orch = liveOrchestrator({ point: false });
  const open: Connection[] = [];

  afterEach(() => {
    for (const c of open.splice(0)) c.dispose();
  });

  it('handshakes (hello + subscribe) and answers commands with typed acks', async () => {
    const { conn, events } = client(orch());
    open.push(conn);
    conn.start();
    await waitFor('connected', () => conn.status.state === 'connected');
    const pong = await conn.request('ping', {});
    assert.match(pong.ts, /^\d{4}-/);
    const ack = await conn.request('chat_send', { text: 'hello from the extension host' });
    assert.ok(ack.messageSeq >= 1);
    await waitFor('the user_message event', () => events.some((e) => e.type === 'user_message' && e.payload.text === 'hello from the extension host'));
  });

  it('reconnects after a restart and replays exactly what it missed (no loss, no duplicates)', async () => {
    // A: slow backoff, so B can append events while A is still disconnected.
    const a = client(orch(), { minDelayMs: 2500 });
    open.push(a.conn);
    a.conn.start();
    await waitFor('A connected', () => a.conn.status.state === 'connected');
    for (let i = 0; i < 5; i++) await a.conn.request('chat_send', { text: `before restart ${i}` });
    await waitFor('A sees its messages', () => a.events.filter((e) => e.type === 'user_message' && e.payload.text.startsWith('before restart')).length === 5);

    await orch().restart('SIGTERM');
    await waitFor('A notices the drop', () => a.statuses.some((s) => s.state === 'reconnecting'), 15000);
    const b = client(orch());
    open.push(b.conn);
    b.conn.start();
    await waitFor('B connected', () => b.conn.status.state === 'connected');
    assert.notEqual(a.conn.status.state, 'connected', 'A reconnected too early for the test to mean anything');
    for (let i = 0; i < 20; i++) await b.conn.request('chat_send', { text: `while A was away ${i}` });

    await waitFor('A reconnected', () => a.conn.status.state === 'connected', 30000);
    await waitFor('A replayed the missed messages', () => a.events.filter((e) => e.type === 'user_message' && e.payload.text.startsWith('while A was away')).length === 20, 15000);
    for (let i = 0; i < 3; i++) await a.conn.request('chat_send', { text: `after reconnect ${i}` });
    await waitFor('A sees live events', () => a.events.filter((e) => e.type === 'user_message' && e.payload.text.startsWith('after reconnect')).length === 3);

    // The reference: a fresh client replaying the whole log from 0.
    const ref = client(orch());
    open.push(ref.conn);
    ref.conn.start();
    const head = a.conn.lastSeq;
    await waitFor('the reference replay', () => ref.conn.lastSeq >= head, 15000);
    const mine = seqsOf(a.events).filter((s) => s <= head);
    assertStrictlyIncreasing(seqsOf(a.events));
    assert.deepEqual(mine, seqsOf(ref.events).filter((s) => s <= head), 'A saw exactly the log: every event once, none missing');
    assert.equal(new Set(a.events.map((e) => e.id)).size, a.events.length, 'no event id twice');
  });

  it('survives a crash (SIGKILL) of the orchestrator as well', async () => {
    const a = client(orch(), { minDelayMs: 200 });
    open.push(a.conn);
    a.conn.start();
    await waitFor('A connected', () => a.conn.status.state === 'connected');
    await a.conn.request('chat_send', { text: 'before crash' });
    await orch().restart('SIGKILL');
    await waitFor('A reconnected', () => a.conn.stats.connects >= 2, 30000);
    await a.conn.request('chat_send', { text: 'after crash' });
    await waitFor('live event after the crash', () => a.events.some((e) => e.type === 'user_message' && e.payload.text === 'after crash'));
    assertStrictlyIncreasing(seqsOf(a.events));
  });

  it("the extension's own connection reconnects after a restart and keeps every event once", async () => {
    await pointExtensionAt(orch().home);
    const before = await debugInfo(true);
    assert.equal(before.status.state, 'connected');
    await orch().restart('SIGTERM');
    await waitFor('the extension reconnected', async () => {
      const d = await debugInfo();
      return d.status.state === 'connected' && d.stats.connects > before.stats.connects;
    }, 30000);
    await vscode_chat('after the extension reconnected');
    const ref = client(orch());
    open.push(ref.conn);
    ref.conn.start();
    const after = await waitFor('the extension received the new message', async () => {
      const d = await debugInfo(true);
      return d.lastSeq > before.lastSeq ? d : undefined;
    });
    await waitFor('reference replay', () => ref.conn.lastSeq >= after.lastSeq, 15000);
    const seqs = after.seqs ?? [];
    assertStrictlyIncreasing(seqs);
    assert.deepEqual(seqs, seqsOf(ref.events).filter((s) => s <= after.lastSeq));
  });

  it('an auth failure is fatal (no retry storm) and says how to fix it', async () => {
    const bad = client(orch(), { token: 'not-the-token' });
    open.push(bad.conn);
    bad.conn.start();
    await waitFor('failed', () => bad.conn.status.state === 'failed', 15000);
    assert.equal(bad.conn.status.fatal, 'auth');
    assert.match(bad.conn.status.detail ?? '', /refused the token \(HTTP 401\)/);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(bad.statuses.filter((s) => s.state === 'connecting' || s.state === 'reconnecting').length, 1, 'one attempt only');
  });

  it('must-ignore: a field a newer minor added to a known event is removed, not a reason to drop the event', async () => {
    // The real orchestrator downgrades for us, so a tiny server plays a newer minor that adds fields we do not know.
    const [major, minor] = PROTOCOL_VERSION.split('.').map(Number);
    const newer = `${major}.${(minor ?? 0) + 1}`;
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    const env = (sessionId: string) => ({ protocolVersion: newer, ts: new Date().toISOString(), sessionId, from: 'orchestrator' });
    wss.on('connection', (ws) => ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { id: string; sessionId: string; type: string };
      const result = m.type === 'hello' ? { serverVersion: '9.0.0', protocolVersion: newer, sessionId: m.sessionId, headSeq: 1, newerField: true } : { afterSeq: 0, headSeq: 1 };
      ws.send(JSON.stringify({ ...env(m.sessionId), id: `r_${m.id}`, type: 'ack', correlationId: m.id, payload: { command: m.type, result } }));
      if (m.type !== 'subscribe') return;
      const hunk = { hunkId: 'h1', file: 'a.png', oldStart: 0, oldLines: 0, newStart: 0, newLines: 0, header: 'Binary files differ', binary: true };
      ws.send(JSON.stringify({ seq: 1, ...env(m.sessionId), id: 'e1', type: 'diff_ready', payload: { taskId: 't1', diff: '', files: ['a.png'], hunks: [hunk], binaryFiles: ['a.png'] } }));
    }));
    const events: EventMessage[] = [];
    const conn = new Connection({ resolveEndpoint: async () => ({ url: `http://127.0.0.1:${port}`, token: 't', source: 'settings' }), clientName: 't', clientVersion: '0', sessionId: 's_mi', logger: memoryLogger() });
    open.push(conn);
    conn.onEvent((e) => events.push(e));
    conn.start();
    try {
      await waitFor('the diff_ready', () => events.length === 1, 10000);
      assert.equal(conn.status.state, 'connected', 'the hello ack with an unknown result field was accepted too');
      const p = events[0]!.payload as { hunks: Array<Record<string, unknown>> } & Record<string, unknown>;
      assert.equal(events[0]!.type, 'diff_ready');
      assert.equal('binaryFiles' in p, false);
      assert.equal('binary' in p.hunks[0]!, false);
      assert.equal(p.taskId, 't1');
      assert.equal(conn.lastSeq, 1);
      assert.equal(conn.stats.invalidFrames, 0);
      assert.equal(conn.stats.unknownFieldsIgnored, 3);
    } finally {
      wss.close();
    }
  });

  it('a protocol major-version mismatch is fatal', async () => {
    // The real orchestrator speaks our version, so a tiny server plays one from the future.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    wss.on('connection', (ws) => ws.on('message', (raw) => {
      const m = JSON.parse(String(raw)) as { id: string; sessionId: string };
      ws.send(JSON.stringify({ protocolVersion: '2.0', id: 'r1', ts: new Date().toISOString(), sessionId: m.sessionId, type: 'ack', from: 'orchestrator', correlationId: m.id, payload: { command: 'hello', result: { serverVersion: '9.0.0', protocolVersion: '2.0', sessionId: m.sessionId, headSeq: 0 } } }));
    }));
    const conn = new Connection({ resolveEndpoint: async () => ({ url: `http://127.0.0.1:${port}`, token: 't', source: 'settings' }), clientName: 't', clientVersion: '0', sessionId: 's_v', logger: memoryLogger() });
    open.push(conn);
    conn.start();
    try {
      await waitFor('failed', () => conn.status.state === 'failed', 10000);
      assert.equal(conn.status.fatal, 'version');
      assert.match(conn.status.detail ?? '', /2\.0/);
    } finally {
      wss.close();
    }
  });
});

/** The same Session.chat() the chat box calls (internal command). */
async function vscode_chat(text: string): Promise<void> {
  await vscode.commands.executeCommand('pushpals._chat', text);
}
