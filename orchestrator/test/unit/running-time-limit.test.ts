/**
 * agent.maxTimeMs counts running time only (tasks/running-time-limit.ts, used by the built-in agent
 * and the OpenHands worker): a hand-moved clock and timer, and the real pause registry (TaskPauses)
 * whose state a plain variable stands in for the task store's row.
 */
import assert from 'node:assert/strict';
import { RunningTimeLimit, type LimitTimer } from '../../src/tasks/running-time-limit';
import { TaskPauses } from '../../src/tasks/task-pauses';
import { ManualClock } from '../../src/util/clock';

/** One pending timer at a time, fired by `advance` when the clock passes its due time. */
class ManualTimer implements LimitTimer {
  private pending: { fn: () => void; due: number; id: number } | undefined;
  private next = 0;
  constructor(private readonly clock: ManualClock) {}
  set(fn: () => void, ms: number): unknown {
    this.pending = { fn, due: this.clock.now() + ms, id: ++this.next };
    return this.pending.id;
  }
  clear(handle: unknown): void {
    if (this.pending?.id === handle) this.pending = undefined;
  }
  get armed(): boolean {
    return this.pending !== undefined;
  }
  advance(ms: number): void {
    this.clock.advance(ms);
    const p = this.pending;
    if (p && p.due <= this.clock.now()) {
      this.pending = undefined;
      p.fn();
    }
  }
}

function setup(startPaused = false) {
  const clock = new ManualClock();
  const timer = new ManualTimer(clock);
  let paused = startPaused;
  const pauses = new TaskPauses(() => paused);
  const setPaused = (p: boolean) => {
    paused = p; // the store first, then the agents are told (as task_pause does)
    pauses.notify('t1', p);
  };
  return { clock, timer, gate: pauses.gate('t1'), setPaused };
}

describe('RunningTimeLimit: agent.maxTimeMs excludes paused time', () => {
  it('without a pause it aborts after the limit, with "time limit" as the reason', () => {
    const { clock, timer, gate } = setup();
    const limit = new RunningTimeLimit(10_000, gate, clock, timer);
    timer.advance(9_999);
    assert.equal(limit.signal.aborted, false);
    timer.advance(1);
    assert.equal(limit.signal.aborted, true);
    assert.equal(limit.signal.reason, 'time limit');
  });

  it('a paused stretch does not count: paused at 4 s for an hour, it aborts after 6 s more of running', () => {
    const { clock, timer, gate, setPaused } = setup();
    const limit = new RunningTimeLimit(10_000, gate, clock, timer);
    timer.advance(4_000);
    setPaused(true);
    assert.equal(timer.armed, false, 'no timer runs while paused');
    timer.advance(3_600_000);
    assert.equal(limit.signal.aborted, false);
    assert.equal(limit.runningMs, 4_000);
    setPaused(false);
    timer.advance(5_999);
    assert.equal(limit.signal.aborted, false);
    assert.equal(limit.runningMs, 9_999);
    timer.advance(1);
    assert.equal(limit.signal.aborted, true);
  });

  it('several pauses add up; a repeated pause or resume changes nothing', () => {
    const { clock, timer, gate, setPaused } = setup();
    const limit = new RunningTimeLimit(10_000, gate, clock, timer);
    for (let i = 0; i < 3; i++) {
      timer.advance(3_000);
      setPaused(true);
      setPaused(true);
      timer.advance(60_000);
      setPaused(false);
      setPaused(false);
    }
    assert.equal(limit.runningMs, 9_000);
    assert.equal(limit.signal.aborted, false);
    timer.advance(1_000);
    assert.equal(limit.signal.aborted, true);
  });

  it('a task that starts paused (resumed after a restart while paused) counts nothing until resumed', () => {
    const { timer, gate, setPaused } = setup(true);
    const limit = new RunningTimeLimit(1_000, gate, undefined, timer);
    assert.equal(timer.armed, false);
    assert.equal(limit.runningMs, 0);
    setPaused(false);
    assert.equal(timer.armed, true);
  });

  it('dispose stops the timer and the pause listener; without a pause gate it is a plain limit', () => {
    const { timer, gate, setPaused, clock } = setup();
    const limit = new RunningTimeLimit(1_000, gate, clock, timer);
    limit.dispose();
    assert.equal(timer.armed, false);
    setPaused(true);
    setPaused(false);
    assert.equal(timer.armed, false, 'a resume after dispose starts nothing');
    const plain = new RunningTimeLimit(500, undefined, clock, timer);
    timer.advance(500);
    assert.equal(plain.signal.aborted, true);
  });
});
