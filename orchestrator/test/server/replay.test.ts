import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import { EventLog, type EventInput } from '../../src/events/event-log';
import { openDatabase } from '../../src/store/db';
import { systemClock } from '../../src/util/clock';
import { WsTestClient } from '../helpers/ws-client';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { sleep } from '../helpers/wait';

const log = (i: number, sessionId = 's-test'): EventInput => ({ type: 'log', sessionId, payload: { level: 'info', message: `m${i}` } });

/** Asserts strictly consecutive seqs from `from` (no gap, no duplicate). */
function assertContiguous(seqs: number[], from: number, count: number): void {
  assert.equal(seqs.length, count, `expected ${count} events, got ${seqs.length}`);
  for (let i = 0; i < seqs.length; i++) assert.equal(seqs[i], from + i, `gap or duplicate at index ${i}`);
}

describe('server: event log replay', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(async () => {
    await app.close();
    removeTempDirs();
  });

  it('a client that reconnects with its cursor gets exactly the 1,000 missed events in order, then live ones', async () => {
    const a = await WsTestClient.connect(app.wsUrl, app.token);
    await a.send('subscribe', { afterSeq: 0 });
    app.services.events.appendMany([log(0), log(1), log(2)]);
    await a.waitUntil(() => a.events.length === 3);
    const cursor = a.events[2]!.seq;
    a.close();
    await sleep(20);

    for (let i = 0; i < 1000; i++) app.services.events.append(log(100 + i));
    const b = await WsTestClient.connect(app.wsUrl, app.token);
    const res = await b.send('subscribe', { afterSeq: cursor });
    assert.equal(res.headSeq, cursor + 1000);
    await b.waitUntil(() => b.events.length === 1000, 10000, '1000 replayed events');
    assertContiguous(b.seqs(), cursor + 1, 1000);
    assert.equal((b.events[0]!.payload as { message: string }).message, 'm100');

    app.services.events.append(log(9999));
    await b.waitUntil(() => b.events.length === 1001);
    assert.equal(b.events[1000]!.seq, cursor + 1001);
    await sleep(50);
    assert.equal(b.events.length, 1001, 'no duplicates afterwards');
    b.close();
  });

  it('no gap and no duplicate while events are appended during the replay', async () => {
    for (let i = 0; i < 5000; i++) app.services.events.append(log(i));
    const c = await WsTestClient.connect(app.wsUrl, app.token);
    const sub = c.send('subscribe', { afterSeq: 0 });
    // Keep appending (single events and bursts) while the replay pages are being sent.
    let n = 0;
    const writer = setInterval(() => {
      if (n++ % 2) app.services.events.append(log(10000 + n));
      else app.services.events.appendMany([log(20000 + n), log(30000 + n), log(40000 + n)]);
    }, 1);
    await sub;
    await sleep(150);
    clearInterval(writer);
    const head = app.services.events.head();
    await c.waitUntil(() => c.events.length >= head, 10000, 'all events');
    await sleep(30);
    assertContiguous(c.seqs(), 1, head);
    c.close();
  });

  it('events appended inside a transaction are broadcast after the commit, rolled-back ones never', async () => {
    const c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.send('subscribe', { afterSeq: 0 });
    app.services.tx(() => {
      app.services.events.append(log(1));
      app.services.events.append(log(2));
    });
    assert.throws(() =>
      app.services.tx(() => {
        app.services.events.append(log(3));
        throw new Error('rollback');
      }),
    );
    app.services.events.append(log(4));
    await c.waitUntil(() => c.events.length === 3);
    assert.deepEqual(c.events.map((e) => (e.payload as { message: string }).message), ['m1', 'm2', 'm4']);
    assertContiguous(c.seqs(), 1, 3);
    c.close();
  });

  it('group commit: appends of one event-loop turn share a transaction, are committed in its check phase, and a rolled-back savepoint inside is never broadcast', async () => {
    const c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.send('subscribe', { afterSeq: 0 });
    const reader = openDatabase(app.services.config.dbFile);
    const count = () => reader.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
    app.services.events.append(log(1));
    assert.throws(() =>
      app.services.db.transaction(() => {
        app.services.events.append(log(2));
        throw new Error('rollback');
      })(),
    );
    app.services.events.append(log(3));
    assert.equal(count(), 0, 'not visible to other connections before the commit');
    await new Promise((r) => process.nextTick(r));
    assert.equal(count(), 0, 'still open after this tick: the batch spans the whole turn');
    await new Promise((r) => setImmediate(r));
    assert.equal(count(), 2);
    await c.waitUntil(() => c.events.length === 2);
    assert.deepEqual(c.events.map((e) => (e.payload as { message: string }).message), ['m1', 'm3']);
    assertContiguous(c.seqs(), 1, 2);
    reader.close();
    c.close();
  });

  it('filters by session and by task, in replay and live', async () => {
    app.services.events.append(log(1, 's-a'));
    app.services.events.append(log(2, 's-b'));
    app.services.events.append({ type: 'task_progress', sessionId: 's-a', payload: { taskId: 't1', message: 'p1' } });
    const a = await WsTestClient.connect(app.wsUrl, app.token);
    await a.send('subscribe', { afterSeq: 0, sessionId: 's-a' });
    const t = await WsTestClient.connect(app.wsUrl, app.token);
    await t.send('subscribe', { afterSeq: 0, taskId: 't1' });
    app.services.events.append(log(3, 's-b'));
    app.services.events.append({ type: 'task_progress', sessionId: 's-a', payload: { taskId: 't1', message: 'p2' } });
    await a.waitUntil(() => a.events.length === 3);
    await t.waitUntil(() => t.events.length === 2);
    await sleep(30);
    assert.ok(a.events.every((e) => e.sessionId === 's-a'));
    assert.equal(a.events.length, 3);
    assert.deepEqual(t.events.map((e) => (e.payload as { message: string }).message), ['p1', 'p2']);
    a.close();
    t.close();
  });

  it('events written by another connection to the same DB file (another process) reach live clients in order', async () => {
    const c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.send('subscribe', { afterSeq: 0 });
    // A second EventLog on a second connection = what another process would do.
    const db2 = openDatabase(app.services.config.dbFile);
    const other = new EventLog(db2, systemClock);
    other.append(log(1));
    other.append(log(2));
    other.flush(); // another process would commit at the end of its own tick
    app.services.events.append(log(3)); // seq 3: the gap 1..2 is filled from the DB first
    await c.waitUntil(() => c.events.length === 3);
    assertContiguous(c.seqs(), 1, 3);
    other.append(log(4)); // picked up by the tail poll
    await c.waitUntil(() => c.events.length === 4, 15_000);
    assertContiguous(c.seqs(), 1, 4);
    db2.close();
    c.close();
  });
});

