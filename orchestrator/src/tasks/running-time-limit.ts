/**
 * A task's time limit (`agent.maxTimeMs`) that counts RUNNING time only: while the task is paused
 * (task_pause) its clock stands still, and on resume it goes on with what was left — a task paused
 * over lunch does not come back timed out. Shared by the built-in agent and the OpenHands worker.
 * The clock and the timer are injectable, so tests move time by hand.
 */
import { systemClock, type Clock } from '../util/clock';
import type { PauseGate } from './task-pauses';

/** The one timer the limit needs (setTimeout/clearTimeout by default). */
export interface LimitTimer {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimer: LimitTimer = {
  // unref: a limit whose run ended without dispose() never holds the process open.
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Runs `fn` under a new limit and disposes it however `fn` ends — also when it throws before its
 * own try (e.g. the working copy cannot be prepared): the pause listener never outlives the run.
 */
export async function withRunningTimeLimit<T>(limitMs: number, pause: PauseGate | undefined, fn: (limit: RunningTimeLimit) => Promise<T>): Promise<T> {
  const limit = new RunningTimeLimit(limitMs, pause);
  try {
    return await fn(limit);
  } finally {
    limit.dispose();
  }
}

export class RunningTimeLimit {
  private readonly controller = new AbortController();
  /** Running time before the current stretch. */
  private usedMs = 0;
  /** When the current running stretch began; undefined while paused (or disposed). */
  private since: number | undefined;
  private handle: unknown;
  private readonly unlisten: () => void;

  constructor(
    readonly limitMs: number,
    pause: PauseGate | undefined,
    private readonly clock: Clock = systemClock,
    private readonly timer: LimitTimer = systemTimer,
  ) {
    this.unlisten = pause?.onChange((paused) => (paused ? this.stop() : this.run())) ?? (() => undefined);
    if (pause?.paused !== true) this.run();
  }

  /** Aborts (reason 'time limit') once the task has RUN for `limitMs`. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Running time so far, paused stretches excluded. */
  get runningMs(): number {
    return this.usedMs + (this.since === undefined ? 0 : this.clock.now() - this.since);
  }

  /** Stops counting for good (the run ended). Idempotent. */
  dispose(): void {
    this.unlisten();
    this.stop();
  }

  private run(): void {
    if (this.since !== undefined || this.controller.signal.aborted) return;
    this.since = this.clock.now();
    this.handle = this.timer.set(() => this.expire(), Math.max(0, this.limitMs - this.usedMs));
  }

  private stop(): void {
    if (this.since === undefined) return;
    this.usedMs += this.clock.now() - this.since;
    this.since = undefined;
    this.timer.clear(this.handle);
  }

  private expire(): void {
    this.stop();
    this.controller.abort('time limit');
  }
}
