/**
 * Per-client command rate limits: a token bucket (sustained `commandsPerSecond`, bursts up to
 * `burst`). Every inbound frame takes a token, valid or not; with none left the frame is answered
 * with a `rate_limited` command_error whose `details.retryAfterMs` says when the next one is
 * accepted, and is not run. Ten lines of arithmetic on a monotonic clock: the npm limiters are
 * asynchronous, key-store based and window based, none of which a per-frame check needs.
 */
import { performance } from 'node:perf_hooks';
import { PushPalsError } from '../errors';

export interface RateLimitConfig {
  /** Sustained commands per second per client (WebSocket connection, or token for HTTP). */
  commandsPerSecond: number;
  /** Commands a client may send at once before the sustained rate applies. */
  burst: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: RateLimitConfig,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.burst;
    this.at = now();
  }

  /** Takes one token: 0 when granted, otherwise the milliseconds until one is available. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((t - this.at) * this.limit.commandsPerSecond) / 1000);
    this.at = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.limit.commandsPerSecond));
  }
}

export function rateLimitedError(retryAfterMs: number, limit: RateLimitConfig): PushPalsError {
  return new PushPalsError(
    'rate_limited',
    `too many commands: at most ${limit.commandsPerSecond}/s (bursts of ${limit.burst}); retry in ${retryAfterMs} ms`,
    { retryAfterMs, commandsPerSecond: limit.commandsPerSecond, burst: limit.burst },
  );
}
