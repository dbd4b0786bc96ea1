import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EventLog } from '../../src/events/event-log';
import { silentLogger } from '../../src/log';
import { JobQueue } from '../../src/queue/job-queue';
import { backoffMs } from '../../src/queue/types';
import { Worker } from '../../src/queue/worker';
import { openDatabase, type Db } from '../../src/store/db';
import { ManualClock } from '../../src/util/clock';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { sleep, until } from '../helpers/wait';

const cfg = { leaseMs: 30_000, backoffBaseMs: 1_000, backoffMaxMs: 60_000, maxAttempts: 3 };

describe('queue: operations (ManualClock)', () => {
  let db: Db;
  let clock: ManualClock;
  let events: EventLog;
  let q: JobQueue;
  const types = () => db.prepare(`SELECT type FROM events WHERE type LIKE 'job_%' ORDER BY seq`).pluck().all() as string[];

  beforeEach(() => {
    db = openDatabase(join(tempDir(), 'q.db'));
    clock = new ManualClock();
    events = new EventLog(db, clock);
    q = new JobQueue({ db, events, clock }, cfg);
  });
  afterEach(() => {
    db.close();
    removeTempDirs();
  });

  it('enqueue → claim → complete, with job_enqueued/claimed/completed events', () => {
    const { job } = q.enqueue({ queue: 'a', payload: { n: 1 } });
    assert.equal(job.state, 'queued');
    const c = q.claim('w1', ['a'])!;
    assert.equal(c.id, job.id);
    assert.equal(c.attempts, 1);
    assert.equal(c.leaseUntil, clock.now() + cfg.leaseMs);
    assert.deepEqual(c.payload, { n: 1 });
    assert.equal(q.claim('w2', ['a']), undefined, 'no double claim');
    assert.equal(q.complete(job.id, 'w1'), 'completed');
    assert.deepEqual(types(), ['job_enqueued', 'job_claimed', 'job_completed']);
  });

  it('completion is idempotent and only the lease holder completes', () => {
    const { job } = q.enqueue({ queue: 'a' });
    q.claim('w1', ['a']);
    assert.equal(q.complete(job.id, 'w2'), 'not_owner');
    assert.equal(q.complete(job.id, 'w1'), 'completed');
    assert.equal(q.complete(job.id, 'w1'), 'already_completed');
    assert.equal(q.fail(job.id, 'w1', 'late'), 'not_owner');
    assert.equal(types().filter((t) => t === 'job_completed').length, 1);
    assert.equal(q.get(job.id)?.state, 'completed');
  });

  it('grouped jobs take turns: the group served least recently goes first (round-robin by group, not FIFO)', () => {
    // Plan A queues 4 tickets, then plan B 4; one worker slot at a time.
    const a = [1, 2, 3, 4].map((i) => q.enqueue({ queue: 'a', key: `a${i}`, fairGroup: 'plan-a' }).job.id);
    clock.advance(1);
    const b = [1, 2, 3, 4].map((i) => q.enqueue({ queue: 'a', key: `b${i}`, fairGroup: 'plan-b' }).job.id);
    const order: string[] = [];
    for (;;) {
      const j = q.claim('w1', ['a']);
      if (!j) break;
      order.push(j.id);
      q.complete(j.id, 'w1');
    }
    assert.deepEqual(order, [a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]]);
    // Without groups the same jobs would run in FIFO order; a batch claim alternates too.
    const c = [1, 2].map((i) => q.enqueue({ queue: 'a', key: `c${i}`, fairGroup: 'plan-c' }).job.id);
    const d = [1, 2].map((i) => q.enqueue({ queue: 'a', key: `d${i}`, fairGroup: 'plan-d' }).job.id);
    assert.deepEqual(q.claimBatch('w1', ['a'], 4).map((j) => j.id), [c[0], d[0], c[1], d[1]]);
  });

  it('ungrouped jobs keep plain priority/FIFO order next to grouped ones', () => {
    const g = q.enqueue({ queue: 'a', key: 'g1', fairGroup: 'plan' }).job.id;
    q.claim('w1', ['a']); // the group has been served
    const g2 = q.enqueue({ queue: 'a', key: 'g2', fairGroup: 'plan' }).job.id;
    const plain = q.enqueue({ queue: 'a', key: 'p1' }).job.id;
    const urgent = q.enqueue({ queue: 'a', key: 'p2', priority: 5, fairGroup: 'plan' }).job.id;
    assert.deepEqual(q.claimBatch('w1', ['a'], 3).map((j) => j.id), [urgent, plain, g2]);
    assert.ok(g);
  });

  it('claims only due jobs of the requested queues, by priority then run_at', () => {
    q.enqueue({ queue: 'other' });
    const later = q.enqueue({ queue: 'a', runAt: clock.now() + 5000 }).job;
    const low = q.enqueue({ queue: 'a' }).job;
    clock.advance(1);
    const high = q.enqueue({ queue: 'a', priority: 10 }).job;
    assert.equal(q.claim('w', ['a'])?.id, high.id);
    assert.equal(q.claim('w', ['a'])?.id, low.id);
    assert.equal(q.claim('w', ['a']), undefined);
    clock.advance(5000);
    assert.equal(q.claim('w', ['a'])?.id, later.id);
  });

  it('failures retry with exponential backoff, then fail for good after maxAttempts', () => {
    const { job } = q.enqueue({ queue: 'a' });
    assert.deepEqual([1, 2, 3, 4, 10].map((n) => backoffMs(n, { baseMs: 1000, maxMs: 60_000 })), [1000, 2000, 4000, 8000, 60_000]);
    q.claim('w', ['a']);
    assert.equal(q.fail(job.id, 'w', 'boom 1'), 'retry');
    assert.equal(q.get(job.id)?.runAt, clock.now() + 1000);
    assert.equal(q.claim('w', ['a']), undefined, 'not before the backoff');
    clock.advance(1000);
    q.claim('w', ['a']);
    assert.equal(q.fail(job.id, 'w', 'boom 2'), 'retry');
    assert.equal(q.get(job.id)?.runAt, clock.now() + 2000);
    clock.advance(2000);
    assert.equal(q.claim('w', ['a'])?.attempts, 3);
    assert.equal(q.fail(job.id, 'w', 'boom 3'), 'failed');
    const j = q.get(job.id)!;
    assert.equal(j.state, 'failed');
    assert.equal(j.lastError, 'boom 3');
    assert.equal(q.fail(job.id, 'w', 'again'), 'not_owner', 'idempotent');
  });

  it('heartbeat extends the lease; an expired lease is recovered and the late worker can no longer complete', () => {
    const { job } = q.enqueue({ queue: 'a' });
    q.claim('w1', ['a']);
    clock.advance(20_000);
    assert.equal(q.heartbeat(job.id, 'w1'), true);
    clock.advance(20_000);
    assert.equal(q.recoverExpired(), 0, 'heartbeat kept it alive');
    clock.advance(30_001);
    assert.equal(q.recoverExpired(), 1);
    assert.equal(q.get(job.id)?.state, 'queued');
    assert.equal(q.heartbeat(job.id, 'w1'), false);
    const again = q.claim('w2', ['a'])!;
    assert.equal(again.attempts, 2);
    assert.equal(q.complete(job.id, 'w1'), 'not_owner');
    assert.equal(q.complete(job.id, 'w2'), 'completed');
  });

  it('a job whose lease keeps expiring fails after maxAttempts instead of looping', () => {
    const { job } = q.enqueue({ queue: 'a', maxAttempts: 2 });
    for (let i = 0; i < 2; i++) {
      q.claim('w', ['a']);
      clock.advance(cfg.leaseMs + 1);
      q.recoverExpired();
    }
    assert.equal(q.get(job.id)?.state, 'failed');
  });

  it('jobs of dead local worker processes are recovered at once', () => {
    const { job } = q.enqueue({ queue: 'a' });
    const dead = `${hostname()}:999999:wdead`;
    q.claim(dead, ['a']);
    const alive = q.enqueue({ queue: 'a' }).job;
    q.claim(`${hostname()}:1:walive`, ['a']);
    assert.equal(q.recoverDeadLocalWorkers((pid) => pid !== 999999), 1);
    assert.equal(q.get(job.id)?.state, 'queued');
    assert.equal(q.get(alive.id)?.state, 'running');
  });

  it('cancellation: queued and running jobs; completion after cancel is a no-op', () => {
    const a = q.enqueue({ queue: 'a', taskId: 't1' }).job;
    const b = q.enqueue({ queue: 'a', taskId: 't1' }).job;
    q.claim('w', ['a']);
    assert.deepEqual(q.cancelTask('t1').sort(), [a.id, b.id].sort());
    assert.equal(q.get(a.id)?.state, 'cancelled');
    assert.equal(q.complete(a.id, 'w'), 'not_owner');
    assert.equal(q.cancel(a.id), false, 'idempotent');
    assert.equal(q.claim('w', ['a']), undefined);
  });

  it('an idempotency key enqueues once', () => {
    const one = q.enqueue({ queue: 'a', key: 'k1' });
    const two = q.enqueue({ queue: 'a', key: 'k1' });
    assert.equal(one.created, true);
    assert.equal(two.created, false);
    assert.equal(two.job.id, one.job.id);
    assert.equal(q.depth(), 1);
  });

  it('release (shutdown) puts the job back without counting the attempt', () => {
    const { job } = q.enqueue({ queue: 'a' });
    q.claim('w', ['a']);
    assert.equal(q.release(job.id, 'w'), true);
    const j = q.get(job.id)!;
    assert.equal(j.state, 'queued');
    assert.equal(j.attempts, 0);
  });
});

describe('queue: worker loop', () => {
  let db: Db;
  let q: JobQueue;
  let w: Worker;
  beforeEach(() => {
    db = openDatabase(join(tempDir(), 'w.db'));
    const clock = { now: () => Date.now() };
    q = new JobQueue({ db, events: new EventLog(db, clock), clock }, { ...cfg, backoffBaseMs: 10 });
  });
  afterEach(async () => {
    await w?.stop(100);
    db.close();
    removeTempDirs();
  });

  it('runs handlers with bounded concurrency; a throwing handler is retried', async () => {
    w = new Worker(q, { concurrency: 3, pollMs: 50, leaseMs: 5000 }, silentLogger);
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    let flaky = 0;
    w.register('a', async (job) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
      if ((job.payload as { flaky?: boolean }).flaky && flaky++ === 0) throw new Error('transient');
      seen.push(job.id);
    });
    w.start();
    for (let i = 0; i < 10; i++) q.enqueue({ queue: 'a', payload: { i } });
    const f = q.enqueue({ queue: 'a', payload: { flaky: true } }).job;
    await until(() => seen.length === 11, 15_000, 'all jobs');
    assert.equal(peak, 3);
    assert.equal(q.get(f.id)?.attempts, 2);
    // The Worker records a tick's completions in one transaction after the handlers return: wait for it.
    await until(() => q.countByState().completed === 11, 15_000, 'completions recorded');
    assert.equal(q.countByState().completed, 11);
  });

  it('cancelling a running job aborts its handler; shutdown releases unfinished jobs', async () => {
    w = new Worker(q, { concurrency: 2, pollMs: 50, leaseMs: 5000 }, silentLogger);
    const aborted: string[] = [];
    w.register('a', (job, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (aborted.push(`${job.id}:${String(ctx.signal.reason)}`), resolve()))));
    w.start();
    const a = q.enqueue({ queue: 'a' }).job;
    const b = q.enqueue({ queue: 'a' }).job;
    await until(() => w.active === 2, 15_000, 'claims');
    q.cancel(a.id);
    w.abort(a.id, 'cancelled');
    await until(() => aborted.length === 1, 15_000, 'abort');
    assert.equal(q.get(a.id)?.state, 'cancelled');
    await w.stop(50);
    assert.equal(aborted[1], `${b.id}:shutdown`);
    assert.equal(q.get(b.id)?.state, 'queued');
    assert.equal(q.get(b.id)?.attempts, 0);
  });

  it('a job cancelled from elsewhere (another process) is noticed at the next heartbeat', async () => {
    w = new Worker(q, { concurrency: 1, pollMs: 50, leaseMs: 300 }, silentLogger);
    let reason: unknown;
    w.register('a', (_job, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => ((reason = ctx.signal.reason), resolve()))));
    w.start();
    const a = q.enqueue({ queue: 'a' }).job;
    await until(() => w.active === 1, 15_000, 'claim');
    db.prepare(`UPDATE jobs SET state = 'cancelled' WHERE id = ?`).run(a.id);
    await until(() => reason !== undefined, 15_000, 'abort');
    assert.equal(reason, 'cancelled');
  });
});
