/**
 * Graceful versioning over the real server (real SQLite file, real WebSockets): a 1.1 client and a
 * client of the current version watch the same task, which emits 1.2-only events (task_paused/resumed) and fields
 * (check_result counts/phase/tree, diff_ready.evidence). The 1.1 client validates every frame
 * against the 1.1 schemas derived from the additions table (`validatorAtVersion('1.1')`): it gets the
 * diff without evidence, never a 1.2-only event, its cursor ends where the current client's does, and a
 * reconnect with replay (from 0, or from a cursor resting below the head) gives the same frames.
 */
import assert from 'node:assert/strict';
import { CURRENT_MINOR, downgradeMessage, type EventMessage, type EventPayload } from '@pushpals/protocol';
import { validatorAtVersion } from '@pushpals/protocol/testing';
import type { App } from '../../src/app';
import type { TaskAgent } from '../../src/agents/types';
import type { StoredEvent } from '../../src/events/event-log';
import { draftForMinor, eventForMinor } from '../../src/ws/downgrade';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { sleep, until } from '../helpers/wait';
import { WsTestClient, type SpeaksOptions } from '../helpers/ws-client';

const SHA = (c: string) => c.repeat(40);
const v11: SpeaksOptions = { protocolVersion: '1.1', validate: validatorAtVersion('1.1') };
const v12: SpeaksOptions = { protocolVersion: '1.2', validate: validatorAtVersion('1.2') };

const check = (phase: 'base' | 'combined', failed: number): Omit<EventPayload<'check_result'>, 'taskId'> => ({
  name: 'test', command: 'npm test', status: failed ? 'failed' : 'passed', exitCode: failed ? 1 : 0, durationMs: 1200,
  output: failed ? '1 failing' : '12 passing', counts: { passed: 12 - failed, failed, skipped: 0 }, phase,
  commit: SHA('a'), treeId: SHA(phase === 'base' ? 'b' : 'c'), outputHash: `sha256:${'d'.repeat(64)}`,
  ...(failed ? { excerpt: 'AssertionError: expected 3' } : {}),
});

/** Emits evidence, then waits for the test (so it can be paused there), then proposes a diff with evidence. */
function evidenceAgent() {
  const gates = new Map<string, () => void>();
  const agent: TaskAgent = {
    id: 'worker:test',
    canHandle: (t) => t.request.startsWith('compat:'),
    async run(ctx) {
      ctx.emit('check_result', { taskId: ctx.task.id, ...check('base', 1) });
      await new Promise<void>((r) => gates.set(ctx.task.id, r));
      await ctx.pause?.wait(ctx.signal);
      const after = check('combined', 0);
      ctx.emit('check_result', { taskId: ctx.task.id, ...after });
      const diff = 'diff --git a/src/math.ts b/src/math.ts\n--- a/src/math.ts\n+++ b/src/math.ts\n@@ -1 +1 @@\n-export const add = (a, b) => a - b;\n+export const add = (a, b) => a + b;\n';
      ctx.emit('diff_ready', {
        taskId: ctx.task.id, diff, files: ['src/math.ts'], baseCommit: SHA('a'),
        hunks: [{ hunkId: 'h1', file: 'src/math.ts', oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, header: '@@ -1 +1 @@' }],
        evidence: { treeId: SHA('c'), checks: [{ name: 'test', command: 'npm test', status: 'passed', durationMs: 1200, counts: { passed: 12, failed: 0, skipped: 0 } }], before: [], rounds: 1 },
      });
      return { status: 'completed', summary: 'fixed add()' };
    },
  };
  /** Lets the task's run go on past its first check (it has emitted it by then). */
  const release = async (taskId: string) => {
    await until(() => gates.has(taskId));
    gates.get(taskId)!();
  };
  return { agent, release };
}

const last = (c: WsTestClient): number => c.seqs().at(-1) ?? 0;
const OLDER_ONLY = new Set(['task_paused', 'task_resumed', 'grant_added', 'grant_revoked']);

describe('protocol downgrade: a 1.1 client of a newer server', () => {
  let app: App;
  let cNow: WsTestClient;
  let c11: WsTestClient;
  let c12: WsTestClient;
  let t: ReturnType<typeof evidenceAgent>;
  let taskId: string;
  const extra: WsTestClient[] = [];

  before(async () => {
    t = evidenceAgent();
    app = await startApp({}, { setup: (s) => s.registerAgent(t.agent) });
    cNow = await WsTestClient.connect(app.wsUrl, app.token);
    c11 = await WsTestClient.connect(app.wsUrl, app.token, 's-old', 10000, v11);
    c12 = await WsTestClient.connect(app.wsUrl, app.token, 's-1.2', 10000, v12);
    for (const c of [cNow, c11, c12]) await c.start();
  });
  after(async () => {
    for (const c of [cNow, c11, c12, ...extra]) c.close();
    await app.close();
    removeTempDirs();
  });

  it('live: the 1.1 client gets every event it knows, as 1.1 (no evidence, no counts), none it does not, and its cursor ends at the same seq', async () => {
    ({ taskId } = await cNow.send('task_new', { request: 'compat: fix add()' }));
    await cNow.waitFor('check_result', (p) => p.taskId === taskId);
    await cNow.send('task_pause', { taskId });
    await cNow.waitFor('task_paused', (p) => p.taskId === taskId);
    await t.release(taskId);
    // An ack that changed shape in 1.2 (TaskSummary.paused) reaches the 1.1 client as 1.1 too.
    const s11 = await c11.send('status_get', { taskId });
    assert.equal('paused' in s11.tasks[0]!, false);
    assert.equal((await cNow.send('status_get', { taskId })).tasks[0]!.paused, true);
    await cNow.send('task_resume', { taskId });
    await cNow.waitFor('task_completed', (p) => p.taskId === taskId);
    const head = app.services.events.head();
    await until(() => last(cNow) === head && last(c11) === head && last(c12) === head, 10000);
    // A 1.2 client gets every event (evidence and pause included) as 1.2 knows it.
    assert.deepEqual(c12.invalidFrames, []);
    assert.deepEqual(c12.events, cNow.events.map((e) => downgradeMessage(e, '1.2')));
    assert.ok((c12.events.find((e) => e.type === 'diff_ready')!.payload as EventPayload<'diff_ready'>).evidence);

    assert.deepEqual(c11.invalidFrames, [], 'every frame is a valid 1.1 message');
    assert.equal(last(c11), last(cNow));
    // Exactly the current client's events the 1.1 client knows, each as the table downgrades it.
    const expected = cNow.events.filter((e) => !OLDER_ONLY.has(e.type)).map((e) => downgradeMessage(e, '1.1'));
    assert.deepEqual(c11.events, expected);
    assert.ok(cNow.events.some((e) => e.type === 'task_paused') && cNow.events.some((e) => e.type === 'task_resumed'));
    assert.equal(c11.events.some((e) => OLDER_ONLY.has(e.type)), false);
    const diff11 = c11.events.find((e) => e.type === 'diff_ready')!.payload as EventPayload<'diff_ready'>;
    const diffNow = cNow.events.find((e) => e.type === 'diff_ready')!.payload as EventPayload<'diff_ready'>;
    assert.ok(diffNow.evidence, 'the current client gets the evidence');
    assert.equal(diff11.evidence, undefined);
    assert.equal(diff11.baseCommit, SHA('a'), '1.1 fields stay');
    assert.deepEqual(diff11.hunks, diffNow.hunks);
    for (const e of c11.events.filter((x) => x.type === 'check_result')) {
      const p = e.payload as EventPayload<'check_result'>;
      assert.equal(p.counts ?? p.phase ?? p.treeId ?? p.outputHash ?? p.excerpt, undefined);
    }
    const seqs = c11.seqs();
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'strictly increasing, no duplicate');
  });

  it('a reconnect with replay from 0 gives the 1.1 client the same frames, ending at the same seq', async () => {
    const again = await WsTestClient.connect(app.wsUrl, app.token, 's-old', 10000, v11);
    extra.push(again);
    await again.start(0);
    await until(() => last(again) === last(cNow), 10000);
    assert.deepEqual(again.invalidFrames, []);
    assert.deepEqual(again.events, c11.events);
  });

  it('GET /api/events?protocolVersion=1.1 gives the same events as the 1.1 subscription; lastSeq moves past withheld rows', async () => {
    const get = async (query: string) => {
      const r = await fetch(`${app.url}/api/events?${query}`, { headers: { Authorization: `Bearer ${app.token}` } });
      return { status: r.status, body: (await r.json()) as { events: EventMessage[]; lastSeq: number; error?: { code: string } } };
    };
    const all = await get('after=0&limit=10000&protocolVersion=1.1');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.events, c11.events);
    assert.equal(all.body.lastSeq, last(cNow));
    for (const e of all.body.events) assert.ok(v11.validate(e).ok);
    // A page holding only the withheld task_paused: no event, and the cursor still moves on.
    const paused = cNow.events.find((e) => e.type === 'task_paused')!;
    const page = await get(`after=${paused.seq - 1}&limit=1&protocolVersion=1.1`);
    assert.deepEqual(page.body, { events: [], lastSeq: paused.seq });
    assert.deepEqual((await get(`after=${paused.seq - 1}&limit=1`)).body.events.map((e) => e.type), ['task_paused'], 'without protocolVersion: as stored');
    const bad = await get('after=0&protocolVersion=2.0');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error?.code, 'invalid_message');
  });

  it('a cursor resting on a withheld event: the next subscribe replays nothing new, and the cursor jumps with the next event it knows', async () => {
    const { taskId: held } = await cNow.send('task_new', { request: 'compat: held' });
    await cNow.waitFor('check_result', (p) => p.taskId === held);
    await cNow.send('task_pause', { taskId: held });
    await cNow.waitFor('task_paused', (p) => p.taskId === held);
    await sleep(200); // the pause's follow-ups (if any) are stored
    const head = app.services.events.head();
    await until(() => last(cNow) === head, 10000);
    const cursor = last(c11);
    const paused = cNow.events.find((e) => e.type === 'task_paused' && (e.payload as { taskId: string }).taskId === held)!;
    assert.ok(cursor < paused.seq, 'the 1.1 cursor rests below the withheld task_paused');

    // The extension reconnects with afterSeq = its cursor: the rows above it are read and skipped again, nothing is sent.
    const re = await WsTestClient.connect(app.wsUrl, app.token, 's-old', 10000, v11);
    extra.push(re);
    await re.start(cursor);
    await sleep(300);
    const newer = cNow.events.filter((e) => e.seq > cursor && !OLDER_ONLY.has(e.type)).map((e) => downgradeMessage(e, '1.1'));
    assert.deepEqual(re.events, newer, 'only what 1.1 knows above the cursor (no repeat, no endless replay)');

    await cNow.send('task_resume', { taskId: held });
    await t.release(held);
    await cNow.waitFor('task_completed', (p) => p.taskId === held);
    const end = app.services.events.head();
    await until(() => last(cNow) === end && last(c11) === end && last(re) === end, 10000);
    assert.deepEqual(re.invalidFrames, []);
    assert.deepEqual(c11.invalidFrames, []);
  });

  it('a downgraded event is built once per minor and shared by every client of it; the current minor gets the stored frame', () => {
    const stored: StoredEvent = { seq: 7, type: 'task_paused', sessionId: 's', taskId: 't', frame: JSON.stringify({ seq: 7, type: 'task_paused' }) };
    assert.equal(eventForMinor(stored, 1), undefined);
    const diff = cNow.events.find((e) => e.type === 'diff_ready') as EventMessage;
    const e: StoredEvent = { seq: diff.seq, type: diff.type, sessionId: diff.sessionId, taskId, frame: JSON.stringify(diff) };
    const a = eventForMinor(e, 1)!;
    assert.notEqual(a, e);
    assert.equal(eventForMinor(e, 1), a, 'the same object for the next client of 1.1');
    assert.equal(eventForMinor(e, CURRENT_MINOR), e);
    assert.equal('evidence' in (JSON.parse(a.frame) as { payload: object }).payload, false);
    const log: StoredEvent = { seq: 8, type: 'log', sessionId: 's', taskId: null, frame: '{}' };
    assert.equal(eventForMinor(log, 1), log, 'a type the table never touched is not even parsed');
    // Pieces of replies being written go through the same: 1.1 knows them, 1.0 does not.
    const draft = { sessionId: 's', messageId: 'm1', frame: JSON.stringify({ type: 'assistant_delta', payload: { messageId: 'm1', offset: 0, text: 'Hi' } }) };
    assert.equal(draftForMinor(draft, 1), draft);
    assert.equal(draftForMinor(draft, 0), undefined);
  });
});
