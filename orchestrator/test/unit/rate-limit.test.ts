import assert from 'node:assert/strict';
import { rateLimitedError, TokenBucket } from '../../src/commands/rate-limit';
import { loadConfig } from '../../src/config';
import { PushPalsError } from '../../src/errors';
import { tempDir } from '../helpers/temp';

describe('rate limit: token bucket', () => {
  it('grants the burst at once, then the sustained rate; a refusal says how long to wait', () => {
    let t = 0;
    const b = new TokenBucket({ commandsPerSecond: 10, burst: 3 }, () => t);
    assert.deepEqual([b.take(), b.take(), b.take()], [0, 0, 0]);
    assert.equal(b.take(), 100, 'one token every 100 ms at 10/s');
    t += 40;
    assert.equal(b.take(), 60);
    t += 60;
    assert.equal(b.take(), 0);
    t += 10_000;
    assert.deepEqual([b.take(), b.take(), b.take(), b.take() > 0], [0, 0, 0, true], 'idle time refills up to the burst, not beyond');
  });

  it('the error is typed: rate_limited with retryAfterMs and the limits', () => {
    const e = rateLimitedError(250, { commandsPerSecond: 4, burst: 8 });
    assert.ok(e instanceof PushPalsError);
    assert.deepEqual(e.toInfo().details, { retryAfterMs: 250, commandsPerSecond: 4, burst: 8 });
    assert.equal(e.code, 'rate_limited');
  });

  it('config: defaults, overrides and validation', () => {
    const d = loadConfig({ env: {}, overrides: { dataDir: tempDir() } });
    assert.deepEqual(d.rateLimit, { commandsPerSecond: 50, burst: 200 });
    assert.equal(d.sendStallTimeoutMs, 30_000);
    const o = loadConfig({ env: {}, overrides: { dataDir: tempDir(), rateLimit: { burst: 5 } } });
    assert.deepEqual(o.rateLimit, { commandsPerSecond: 50, burst: 5 });
    assert.throws(
      () => loadConfig({ env: {}, overrides: { dataDir: tempDir(), rateLimit: { commandsPerSecond: 0 }, sendStallTimeoutMs: 5 } }),
      (e: unknown) => e instanceof PushPalsError && /rateLimit\.commandsPerSecond/.test(e.message) && /sendStallTimeoutMs/.test(e.message),
    );
  });
});
