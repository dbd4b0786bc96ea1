/**
 * Replay under backpressure: histories far larger than `maxBufferedBytes` stream to a reading client
 * at its pace (no 4008), with a bounded send buffer per client; a client that stops reading is
 * still dropped (4008), during the replay and live. Real server on port 0, real sockets.
 */
import assert from 'node:assert/strict';
import { CloseCode } from '@pushpals/protocol';
import type { App } from '../../src/app';
import type { EventInput } from '../../src/events/event-log';
import { silentLogger, type Logger } from '../../src/log';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { until } from '../helpers/wait';
import { WsTestClient } from '../helpers/ws-client';

const MB = 1024 * 1024;
const BIG = 'x'.repeat(1_000_000); // a test run's output, like the tool_result of "Run the tests"

const bigResult = (i: number): EventInput => ({
  type: 'tool_result',
  sessionId: 's-big',
  payload: { taskId: 't_big', toolCallId: `tc${i}`, tool: 'run_command', ok: true, exitCode: 0, stdout: `${i}:${BIG}`, truncated: false, durationMs: 1 },
});
const small = (i: number): EventInput => ({ type: 'log', sessionId: 's-big', payload: { level: 'info', message: `m${i}` } });

/** `n` big events, each followed by two small ones: 3n events, ~n MB. */
function fillHistory(app: App, n: number): number {
  for (let i = 0; i < n; i++) app.services.events.appendMany([bigResult(i), small(2 * i), small(2 * i + 1)]);
  app.services.events.flush();
  return app.services.events.head();
}

/** Samples the largest unsent amount of any connection while `fn` runs. */
async function peakBuffered<T>(app: App, fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0;
  const t = setInterval(() => {
    for (const c of app.ws.connections()) peak = Math.max(peak, c.bufferedAmount);
  }, 1);
  try {
    return { result: await fn(), peak };
  } finally {
    clearInterval(t);
  }
}

function assertContiguous(seqs: number[], from: number, count: number): void {
  assert.equal(seqs.length, count, `expected ${count} events, got ${seqs.length}`);
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== from + i) assert.fail(`gap or duplicate at index ${i}: seq ${seqs[i]} instead of ${from + i}`);
}

/** A logger that calls `onDrop` when the server drops a client for not reading. */
function dropWatcher(onDrop: () => void): Logger {
  const l: Logger = {
    ...silentLogger,
    warn: (msg) => {
      if (msg.startsWith('dropping a client')) onDrop();
    },
    child: () => l,
  };
  return l;
}

describe('server: replay under backpressure', function () {
  this.timeout(20_000);
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
    removeTempDirs();
  });

  it('3 clients replay 24 MB (> maxBufferedBytes 16 MiB) from seq 0 at once: every event in order, no 4008, then live without gap or duplicate; send buffers stay ~1 MiB', async () => {
    app = await startApp();
    const a = app;
    const head = fillHistory(a, 24);
    assert.ok(a.services.db.prepare('SELECT SUM(LENGTH(json)) FROM events').pluck().get()! as number > 24 * 1_000_000);
    const clients = await Promise.all([0, 1, 2].map(() => WsTestClient.connect(a.wsUrl, a.token)));
    const { peak } = await peakBuffered(a, async () => {
      await Promise.all(clients.map((c) => c.send('subscribe', { afterSeq: 0 })));
      // Live appends while the replays run: the switch to live must lose or repeat nothing.
      let k = 0;
      const writer = setInterval(() => a.services.events.append(small(10_000 + k++)), 2);
      await until(() => clients.every((c) => c.events.length >= head), 15_000, 'the replays');
      clearInterval(writer);
      const last = a.services.events.head();
      await until(() => clients.every((c) => c.events.length >= last), 15_000, 'the live tail');
      for (const c of clients) {
        assert.equal(c.closedWith, undefined, 'not dropped');
        assertContiguous(c.seqs(), 1, last);
      }
    });
    const tool = clients[0]!.events.find((e) => e.type === 'tool_result')!;
    assert.equal((tool.payload as { stdout: string }).stdout.length, BIG.length + 2, 'payloads arrive whole');
    // highWater (1 MiB) + one ~1 MB frame, far below the 16 MiB cap the old replay blew through.
    assert.ok(peak <= 1 * MB + 1_100_000, `peak unsent bytes per client: ${peak}`);
    for (const c of clients) c.close();
  });

  it('a filtered replay (one session) over a large history sends only that session, in order', async () => {
    app = await startApp();
    fillHistory(app, 20);
    app.services.events.append({ type: 'log', sessionId: 's-other', payload: { level: 'info', message: 'only me' } });
    const c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.send('subscribe', { afterSeq: 0, sessionId: 's-other' });
    await c.waitUntil(() => c.events.length === 1, 10_000);
    app.services.events.append({ type: 'log', sessionId: 's-other', payload: { level: 'info', message: 'live' } });
    await c.waitUntil(() => c.events.length === 2, 15_000);
    assert.deepEqual(c.events.map((e) => (e.payload as { message: string }).message), ['only me', 'live']);
    c.close();
  });

  it('a client that stops reading during the replay is dropped (4008) after sendStallTimeoutMs, holding at most ~1 MiB unsent', async () => {
    app = await startApp({ sendStallTimeoutMs: 500 }, { logger: dropWatcher(() => resume()) });
    const a = app;
    fillHistory(a, 24);
    const stalled = await WsTestClient.connect(a.wsUrl, a.token);
    const raw = (stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    const resume = () => raw.resume(); // read again once dropped: the close frame (4008) comes after the unread data
    void stalled.send('subscribe', { afterSeq: 0 });
    raw.pause(); // from now on nothing is read: the ack and the replay fill the kernel buffers, then the server's
    const { peak } = await peakBuffered(a, () => until(() => a.services.clientCount() === 0, 10_000, 'the drop'));
    await stalled.waitUntil(() => stalled.closedWith !== undefined, 15_000, 'close');
    assert.equal(stalled.closedWith, CloseCode.tooSlow);
    assert.ok(stalled.events.length < 24 * 3, `replay was cut short (${stalled.events.length} events)`);
    assert.ok(peak <= 1 * MB + 1_100_000, `peak unsent bytes: ${peak}`);
    // It reconnects and resumes from its cursor.
    const again = await WsTestClient.connect(a.wsUrl, a.token);
    const cursor = stalled.events.at(-1)?.seq ?? 0;
    await again.send('subscribe', { afterSeq: cursor });
    const head = a.services.events.head();
    await again.waitUntil(() => again.events.length === head - cursor, 10_000, 'the rest');
    assertContiguous(again.seqs(), cursor + 1, head - cursor);
    again.close();
  });

  it('a live client that stops reading is dropped (4008) with a bounded send buffer; the others keep receiving', async () => {
    app = await startApp({ sendStallTimeoutMs: 500 }, { logger: dropWatcher(() => resume()) });
    const a = app;
    const slow = await WsTestClient.connect(a.wsUrl, a.token);
    const fast = await WsTestClient.connect(a.wsUrl, a.token);
    await slow.send('subscribe', { afterSeq: 0 });
    await fast.send('subscribe', { afterSeq: 0 });
    const raw = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    const resume = () => raw.resume();
    raw.pause();
    const { peak } = await peakBuffered(a, async () => {
      for (let i = 0; i < 30; i++) {
        a.services.events.append(bigResult(i));
        await new Promise((r) => setImmediate(r));
      }
      await until(() => a.services.clientCount() === 1, 10_000, 'the drop');
    });
    await slow.waitUntil(() => slow.closedWith !== undefined, 15_000, 'close');
    assert.equal(slow.closedWith, CloseCode.tooSlow);
    assert.ok(peak <= 1 * MB + 1_100_000, `peak unsent bytes: ${peak}`);
    await fast.waitUntil(() => fast.events.length === 30, 10_000);
    assertContiguous(fast.seqs(), 1, 30);
    fast.close();
  });
});
