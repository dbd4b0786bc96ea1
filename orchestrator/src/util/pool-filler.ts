/**
 * The filling half of a warm pool: keeps `target` items ready, made one at a time by a factory,
 * refilled some time after one was taken (`refillLater`) or at once (`refill`), with exponential
 * back-off after failures. The owner takes items from `ready` itself (its own rules: which item
 * fits, which is stale) and says when to refill. Used by the sandbox pool (sandbox/manager.ts) and
 * the OpenHands pool (agents/openhands/pool.ts).
 */
import { PushPalsError } from '../errors';
import { systemScheduler, type Scheduler, type Timer } from './clock';

export interface PoolFillerOptions<T> {
  /** How many ready items the pool aims for (0: off). */
  target: number;
  /** Makes one item; undefined when the item it made is not to be kept (e.g. the pool was retargeted meanwhile). */
  make: () => Promise<T | undefined>;
  /** After a take, the refill starts this much later (a start competes for the CPU with the task that took the item). */
  refillDelayMs: number;
  /** After the n-th failure in a row the next try waits min(maxMs, baseMs * 2^min(n, 6)). */
  backoff: { baseMs: number; maxMs: number };
  /** Told of each failed make and when the next try is (not after close). */
  onFailure: (e: unknown, retryInMs: number) => void;
  /** Names the pool in the timeout of waitUntilFull ("warm pool", "OpenHands pool"). */
  name: string;
  scheduler?: Scheduler;
}

export interface PoolFillerStats {
  target: number;
  ready: number;
  filling: boolean;
  /** Why the pool does not fill (set by off()). */
  problem?: string;
}

export class PoolFiller<T> {
  /** The ready items, oldest first: the owner takes from it (shift, splice); the filler appends. */
  readonly ready: T[] = [];
  private filling: Promise<void> | undefined;
  private timer: Timer | undefined;
  private failures = 0;
  private closed = false;
  private problem: string | undefined;
  private waiters: Array<() => void> = [];
  private readonly scheduler: Scheduler;

  constructor(private readonly o: PoolFillerOptions<T>) {
    this.scheduler = o.scheduler ?? systemScheduler;
  }

  get target(): number {
    return this.o.target;
  }

  /** Stops filling for good, for a reason stats() and waitUntilFull's timeout then name. */
  off(problem: string): void {
    this.problem = problem;
  }

  /** Starts making an item now unless one is being made, a refill is scheduled, or the pool is full, off or closed. */
  refill(): void {
    if (this.closed || this.problem !== undefined || this.filling || this.timer || this.ready.length >= this.o.target) return;
    this.filling = this.fillOne();
  }

  /** Refills after refillDelayMs (unless a refill is scheduled already). */
  refillLater(): void {
    if (this.closed || this.timer) return;
    this.schedule(this.o.refillDelayMs);
  }

  stats(): PoolFillerStats {
    return { target: this.o.target, ready: this.ready.length, filling: this.filling !== undefined, ...(this.problem !== undefined ? { problem: this.problem } : {}) };
  }

  /** Resolves once `ready` holds the target (tests, benchmarks); a `timeout` PushPalsError after timeoutMs. */
  waitUntilFull(timeoutMs: number): Promise<void> {
    if (this.ready.length >= this.o.target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = this.scheduler.after(timeoutMs, () => {
        this.waiters = this.waiters.filter((w) => w !== done);
        const why = this.problem !== undefined ? `: ${this.problem}` : '';
        reject(new PushPalsError('timeout', `${this.o.name} not full after ${timeoutMs} ms (${this.ready.length}/${this.o.target}${why})`));
      });
      const done = (): void => {
        t.cancel();
        resolve();
      };
      this.waiters.push(done);
    });
  }

  /** Stops filling, waits for a make under way, and hands back the items still ready (the owner removes them). */
  async close(): Promise<T[]> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.filling;
    return this.ready.splice(0);
  }

  private async fillOne(): Promise<void> {
    try {
      const item = await this.o.make();
      if (item !== undefined) this.ready.push(item);
      this.failures = 0;
      this.filling = undefined;
      if (this.ready.length >= this.o.target) this.waiters.splice(0).forEach((w) => w());
      this.refill();
    } catch (e) {
      this.filling = undefined;
      if (this.closed) return;
      this.failures++;
      const delay = Math.min(this.o.backoff.maxMs, this.o.backoff.baseMs * 2 ** Math.min(this.failures, 6));
      this.o.onFailure(e, delay);
      this.schedule(delay);
    }
  }

  private schedule(ms: number): void {
    this.timer = this.scheduler.after(
      ms,
      () => {
        this.timer = undefined;
        this.refill();
      },
      { background: true },
    );
  }
}
