/** Injectable time source: production uses the system clock, tests move time by hand. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A pending call of a Scheduler; cancel() is a no-op once it ran. */
export interface Timer {
  cancel(): void;
}

/** Injectable timers: production uses setTimeout, tests fire them by moving a ManualClock. */
export interface Scheduler {
  /** Calls fn after ms. `background`: the timer alone does not keep the process alive (unref). */
  after(ms: number, fn: () => void, o?: { background?: boolean }): Timer;
}

export const systemScheduler: Scheduler = {
  after(ms, fn, o) {
    const t = setTimeout(fn, ms);
    if (o?.background) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock tests can set and advance; as a Scheduler, advance() runs the timers that fall due, in order. */
export class ManualClock implements Clock, Scheduler {
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private seq = 0;
  constructor(private t = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
  set(t: number): void {
    this.t = t;
  }
  after(ms: number, fn: () => void): Timer {
    const timer = { at: this.t + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((x) => x !== timer);
      },
    };
  }
  /** How many timers wait to run (tests). */
  get pending(): number {
    return this.timers.length;
  }
}

export const isoAt = (ms: number): string => new Date(ms).toISOString();
