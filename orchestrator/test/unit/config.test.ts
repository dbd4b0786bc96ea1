import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractToken, hostAllowed, originAllowed } from '../../src/auth/request-checks';
import { loadOrCreateToken, tokenMatcher } from '../../src/auth/token';
import { loadConfig, redactConfig } from '../../src/config';
import { PushPalsError } from '../../src/errors';
import { removeTempDirs, tempDir } from '../helpers/temp';

describe('config', () => {
  after(removeTempDirs);

  it('defaults: 127.0.0.1:8787, data dir from PUSHPALS_HOME, 1 MiB messages', () => {
    const home = tempDir();
    const c = loadConfig({ env: { PUSHPALS_HOME: home } });
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 8787);
    assert.equal(c.dataDir, home);
    assert.equal(c.dbFile, join(home, 'pushpals.db'));
    assert.equal(c.maxMessageBytes, 1024 * 1024);
  });

  it('precedence: overrides > env > config.json > defaults', () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ port: 9000, logLevel: 'debug', queue: { concurrency: 2 } }));
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home } }).port, 9000);
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home } }).queue.concurrency, 2);
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home } }).queue.leaseMs, 60_000, 'deep merge keeps defaults');
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_PORT: '9100' } }).port, 9100);
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_PORT: '9100' }, overrides: { port: 0 } }).port, 0);
  });

  it('invalid settings fail the start with every problem named', () => {
    const home = tempDir();
    writeFileSync(join(home, 'config.json'), JSON.stringify({ port: 'x', bogus: 1, queue: { concurrency: 0 } }));
    assert.throws(
      () => loadConfig({ env: { PUSHPALS_HOME: home, PUSHPALS_TOKEN: 'short' } }),
      (e: unknown) => e instanceof PushPalsError && /port/.test(e.message) && /bogus: unknown setting/.test(e.message) && /queue.concurrency/.test(e.message) && /token/.test(e.message),
    );
    writeFileSync(join(home, 'config.json'), '{nope');
    assert.throws(() => loadConfig({ env: { PUSHPALS_HOME: home } }), /not valid JSON/);
  });

  it('planner.maxFixRounds: 2 by default, 0 turns fix-ups off, a negative or fractional count is refused', () => {
    const home = tempDir();
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home } }).planner.maxFixRounds, 2);
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home }, overrides: { planner: { maxFixRounds: 0 } } }).planner.maxFixRounds, 0);
    for (const bad of [-1, 1.5, 'two']) {
      writeFileSync(join(home, 'config.json'), JSON.stringify({ planner: { maxFixRounds: bad } }));
      assert.throws(() => loadConfig({ env: { PUSHPALS_HOME: home } }), (e: unknown) => e instanceof PushPalsError && /planner\.maxFixRounds/.test(e.message));
    }
  });

  it('policy: the classifier deadline, the line cap and its workers are checked', () => {
    const home = tempDir();
    assert.deepEqual(loadConfig({ env: { PUSHPALS_HOME: home } }).policy, { classifyTimeoutMs: 2000, maxCommandBytes: 32768, classifierWorkers: 2 });
    assert.equal(loadConfig({ env: { PUSHPALS_HOME: home }, overrides: { policy: { classifyTimeoutMs: 5000 } } }).policy.classifyTimeoutMs, 5000);
    for (const [bad, key] of [[{ classifyTimeoutMs: 0 }, 'classifyTimeoutMs'], [{ maxCommandBytes: 100_000 }, 'maxCommandBytes'], [{ classifierWorkers: 9 }, 'classifierWorkers'], [{ threads: 1 }, 'threads']] as const) {
      writeFileSync(join(home, 'config.json'), JSON.stringify({ policy: bad }));
      assert.throws(() => loadConfig({ env: { PUSHPALS_HOME: home } }), (e: unknown) => e instanceof PushPalsError && new RegExp(`policy\\.${key}`).test(e.message));
    }
  });

  it('the printed config has the token redacted', () => {
    const c = loadConfig({ env: { PUSHPALS_HOME: tempDir(), PUSHPALS_TOKEN: 'secret-secret-secret-1' } });
    assert.ok(!JSON.stringify(redactConfig(c)).includes('secret-secret'));
  });
});

describe('auth helpers', () => {
  it('the token file is created once with mode 0600 and tightened if loosened', () => {
    const d = tempDir();
    const t = loadOrCreateToken(d);
    assert.equal(loadOrCreateToken(d), t);
    assert.equal(statSync(join(d, 'token')).mode & 0o777, 0o600);
  });

  it('token comparison', () => {
    const ok = tokenMatcher('a-long-enough-token-123');
    assert.equal(ok('a-long-enough-token-123'), true);
    assert.equal(ok('a-long-enough-token-124'), false);
    assert.equal(ok(''), false);
    assert.equal(ok(undefined), false);
  });

  it('token sources: header, subprotocol, query (only when allowed)', () => {
    assert.equal(extractToken({ authorization: 'Bearer abc' }, undefined, false), 'abc');
    assert.equal(extractToken({ authorization: 'Basic abc' }, undefined, false), undefined);
    assert.equal(extractToken({ 'sec-websocket-protocol': 'pushpals, pushpals.bearer.xyz' }, undefined, false), 'xyz');
    assert.equal(extractToken({}, '/ws?token=q', true), 'q');
    assert.equal(extractToken({}, '/ws?token=q', false), undefined);
  });

  it('Host and Origin rules', () => {
    const cfg = { host: '127.0.0.1', allowedHosts: ['box.internal'], allowedOrigins: ['https://ok.example'] };
    for (const h of ['127.0.0.1:8787', 'localhost:1', '[::1]:8787', 'box.internal:8787', 'app.localhost']) assert.equal(hostAllowed(h, cfg), true, h);
    for (const h of [undefined, 'evil.com', '127.0.0.1.evil.com', 'localhost.evil.com']) assert.equal(hostAllowed(h, cfg), false, String(h));
    assert.equal(originAllowed(undefined, 'localhost', cfg), true);
    assert.equal(originAllowed('vscode-webview://x', 'localhost', cfg), true);
    assert.equal(originAllowed('https://ok.example', 'localhost', cfg), true);
    assert.equal(originAllowed('http://localhost:8787', 'localhost:8787', cfg), true);
    assert.equal(originAllowed('http://localhost:9999', 'localhost:8787', cfg), false);
    assert.equal(originAllowed('https://evil.example', 'localhost', cfg), false);
  });
});
