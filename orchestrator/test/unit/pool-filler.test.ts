import assert from 'node:assert/strict';
import { PushPalsError } from '../../src/errors';
import { ManualClock } from '../../src/util/clock';
import { PoolFiller } from '../../src/util/pool-filler';

/** A factory whose calls the test settles by hand, one at a time. */
function handFactory() {
  const calls: Array<{ resolve: (v: string | undefined) => void; reject: (e: Error) => void }> = [];
  let n = 0;
  return {
    calls,
    make: () =>
      new Promise<string | undefined>((resolve, reject) => {
        calls.push({ resolve, reject });
      }),
    /** Settles the oldest open call with a new item. */
    next: (): string => {
      const item = `item-${++n}`;
      (calls.shift() as (typeof calls)[number]).resolve(item);
      return item;
    },
  };
}

/** Lets the filler's promise continuations run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function setUp(target: number) {
  const clock = new ManualClock();
  const f = handFactory();
  const failures: Array<{ message: string; retryInMs: number }> = [];
  const filler = new PoolFiller<string>({
    name: 'test pool',
    target,
    make: f.make,
    refillDelayMs: 2000,
    backoff: { baseMs: 500, maxMs: 30_000 },
    onFailure: (e, retryInMs) => failures.push({ message: (e as Error).message, retryInMs }),
    scheduler: clock,
  });
  return { clock, f, failures, filler };
}

describe('pool filler', () => {
  it('fills to the target one item at a time, then waitUntilFull resolves', async () => {
    const { f, filler } = setUp(2);
    const full = filler.waitUntilFull(1000);
    filler.refill();
    filler.refill();
    assert.equal(f.calls.length, 1, 'one make at a time');
    assert.deepEqual(filler.stats(), { target: 2, ready: 0, filling: true });
    f.next();
    await settle();
    assert.equal(f.calls.length, 1, 'the next one starts when the first is ready');
    f.next();
    await full;
    await settle();
    assert.deepEqual(filler.ready, ['item-1', 'item-2']);
    assert.deepEqual(filler.stats(), { target: 2, ready: 2, filling: false });
    filler.refill();
    assert.equal(f.calls.length, 0, 'a full pool makes nothing');
  });

  it('an item the factory declines (undefined) is not kept; filling goes on', async () => {
    const { f, filler } = setUp(1);
    filler.refill();
    f.calls.shift()?.resolve(undefined);
    await settle();
    assert.equal(filler.ready.length, 0);
    assert.equal(f.calls.length, 1, 'another make started');
  });

  it('refillLater starts the refill only after the delay', async () => {
    const { clock, f, filler } = setUp(1);
    filler.refill();
    f.next();
    await settle();
    filler.ready.shift(); // the owner takes the item
    filler.refillLater();
    filler.refill();
    assert.equal(f.calls.length, 0, 'a scheduled refill holds back an immediate one');
    clock.advance(1999);
    assert.equal(f.calls.length, 0);
    clock.advance(1);
    assert.equal(f.calls.length, 1, 'refilled at 2000 ms');
  });

  it('backs off exponentially after failures (capped), and a success resets it', async () => {
    const { clock, f, failures, filler } = setUp(1);
    filler.refill();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      f.calls.shift()?.reject(new Error(`boom ${i}`));
      await settle();
      const d = (failures.at(-1) as { retryInMs: number }).retryInMs;
      delays.push(d);
      clock.advance(d - 1);
      assert.equal(f.calls.length, 0, `no retry before ${d} ms`);
      clock.advance(1);
      assert.equal(f.calls.length, 1, `retry at ${d} ms`);
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    assert.equal(failures[0]?.message, 'boom 0');
    f.next();
    await settle();
    filler.ready.shift();
    filler.refill();
    f.calls.shift()?.reject(new Error('again'));
    await settle();
    assert.equal(failures.at(-1)?.retryInMs, 1000, 'the back-off starts over after a success');
  });

  it('waitUntilFull times out with a typed error naming the pool, its fill and its problem', async () => {
    const { clock, filler } = setUp(1);
    filler.off('no root');
    filler.refill();
    assert.deepEqual(filler.stats(), { target: 1, ready: 0, filling: false, problem: 'no root' }, 'off: nothing is made');
    const wait = filler.waitUntilFull(500);
    clock.advance(500);
    await assert.rejects(wait, (e: unknown) => e instanceof PushPalsError && e.code === 'timeout' && e.message === 'test pool not full after 500 ms (0/1: no root)');
  });

  it('close stops filling, waits for the make under way and hands back the ready items', async () => {
    const { clock, f, failures, filler } = setUp(3);
    filler.refill();
    f.next();
    await settle();
    const closing = filler.close();
    f.calls.shift()?.reject(new Error('closed'));
    const left = await closing;
    assert.deepEqual(left, ['item-1']);
    assert.equal(filler.ready.length, 0);
    assert.deepEqual(failures, [], 'a failure after close is not reported');
    assert.equal(clock.pending, 0, 'no timer left behind');
    filler.refill();
    filler.refillLater();
    assert.equal(f.calls.length, 0);
    assert.equal(clock.pending, 0);
  });
});
