/**
 * Fair handling of one connection's inbound frames. `ws` emits every frame of a socket read at once,
 * and a client can write thousands per read: handled back to back (as microtasks) they would hold
 * the event loop and every other client would wait. Here a connection handles its frames in order,
 * one at a time, and yields to the event loop after `framesPerTurn` of them, so all connections (and
 * HTTP, timers, the worker) take turns. A client that sends faster than it is served has its socket
 * paused once `maxQueued` frames wait (TCP pushes back on it), and resumed at half of that.
 */
export interface PausableSource {
  pause(): void;
  resume(): void;
}

export interface InboundLimits {
  framesPerTurn: number;
  maxQueued: number;
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = { framesPerTurn: 4, maxQueued: 64 };

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export class InboundQueue {
  private queue: string[] = [];
  private running = false;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly source: PausableSource,
    private readonly handle: (raw: string) => Promise<void>,
    private readonly limits: InboundLimits = DEFAULT_INBOUND_LIMITS,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  push(raw: string): void {
    if (this.stopped) return;
    this.queue.push(raw);
    if (!this.paused && this.queue.length >= this.limits.maxQueued) {
      this.paused = true;
      this.source.pause();
    }
    if (!this.running) void this.run();
  }

  /** Drops what is waiting (the connection closed). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private async run(): Promise<void> {
    this.running = true;
    let handled = 0;
    try {
      while (!this.stopped && this.queue.length > 0) {
        await this.handle(this.queue.shift()!);
        if (this.paused && this.queue.length <= this.limits.maxQueued / 2) {
          this.paused = false;
          this.source.resume();
        }
        if (++handled % this.limits.framesPerTurn === 0) await nextTurn();
      }
    } finally {
      this.running = false;
    }
  }
}
