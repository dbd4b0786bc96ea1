/**
 * Flooding: a client that sends faster than its rate limit gets typed `rate_limited` errors (and
 * nothing runs for them), over WebSocket and HTTP; while one client floods from another process,
 * a second client's ping round trip stays low (fair scheduling: each connection takes turns).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makeCommand } from '@pushpals/protocol';
import type { App } from '../../src/app';
import type { ConfigOverrides } from '../../src/config';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { sleep } from '../helpers/wait';
import { WsTestClient, CommandError } from '../helpers/ws-client';

const FLOODER = join(__dirname, '..', 'fixtures', 'flooder.js');

interface FloodReport {
  sent: number;
  acks: number;
  rateLimited: number;
  retryAfterMs: number;
  ms: number;
}

const children: ChildProcess[] = [];

function flood(app: App, count: number): { done: Promise<FloodReport> } {
  const child = spawn(process.execPath, [FLOODER, app.wsUrl, app.token, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  children.push(child);
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<FloodReport>((resolve, reject) => {
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as FloodReport) : reject(new Error(`flooder exited with ${String(code)}`))));
  });
  return { done };
}

/** Ping round trips (ms) of `c`, one after another, until `stop()` is true (at least `min` samples). */
/** Pings one at a time, `everyMs` apart, until `stop()` and at least `min` samples. */
async function pingTimes(c: WsTestClient, stop: () => boolean, min: number, everyMs = 2): Promise<number[]> {
  const times: number[] = [];
  while (times.length < min || !stop()) {
    const t = performance.now();
    await c.send('ping', {});
    times.push(performance.now() - t);
    await sleep(everyMs);
  }
  return times;
}

const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;
/**
 * The victim's bound: 100 ms, or 10x its own ping p99 measured just before on this machine when that is
 * higher (a CPU shared with other jobs). Starvation without fair turns measured 223-574 ms against a
 * 2-5 ms baseline: far above either bound. (50 ms failed once, at 62.9 ms, while four Docker builds
 * shared the 2 cores: the baseline was taken in a quiet moment, the flood in a busy one.)
 */
const victimBound = (baseline: number[]): number => Math.max(100, 10 * p99(baseline));

describe('server: rate limits and fair scheduling', function () {
  this.timeout(30_000);
  let app: App | undefined;
  const start = async (o: ConfigOverrides = {}) => (app = await startApp(o));
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL'); // a failed test leaves no flooder behind
    await app?.close();
    app = undefined;
    removeTempDirs();
  });

  it('over WebSocket: past the burst, commands get rate_limited with a retry-after hint and are not run; after the hint they run again', async () => {
    const a = await start({ rateLimit: { commandsPerSecond: 20, burst: 10 } });
    const c = await WsTestClient.connect(a.wsUrl, a.token);
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => c.send('chat_send', { text: `hi ${i}` })));
    const refilled = Math.floor(((performance.now() - t0) * 20) / 1000); // tokens the bucket regained meanwhile
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const limited = results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof CommandError && r.reason.info.code === 'rate_limited' ? [r.reason.info] : []));
    assert.equal(ok + limited.length, 30, 'every command is answered: an ack or rate_limited');
    assert.ok(ok >= 10 && ok <= 10 + refilled + 1, `the burst (10) plus what refilled meanwhile (${refilled}) ran: ${ok}`);
    const retry = Number(limited[0]!.details?.retryAfterMs);
    assert.ok(retry > 0 && retry <= 50, `retryAfterMs = ${retry} (one token at 20/s)`);
    const stored = a.services.db.prepare(`SELECT COUNT(*) FROM events WHERE type = 'user_message'`).pluck().get() as number;
    assert.equal(stored, ok, 'refused commands changed nothing');
    // The first refusal's hint can be stale by now: a command after it may have taken the token that
    // refilled. One token period (50 ms at 20/s) after the last answer always brings a token back.
    await sleep(Math.max(retry, 50) + 10);
    assert.ok((await c.send('ping', {})).ts, 'accepted again after the hint');
    c.close();
  });

  it('over HTTP: POST /api/commands past the limit → 429, Retry-After, command_error rate_limited with the request id', async () => {
    const a = await start({ rateLimit: { commandsPerSecond: 1, burst: 3 } });
    const post = (i: number) =>
      fetch(`${a.url}/api/commands`, { method: 'POST', headers: { Authorization: `Bearer ${a.token}` }, body: JSON.stringify(makeCommand('ping', {}, { sessionId: 's', id: `h${i}` })) });
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await post(i);
      statuses.push(r.status);
      if (r.status === 429) refused ??= r;
      else await r.body?.cancel();
    }
    assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
    assert.ok(refused, `statuses ${statuses.join(',')}`);
    assert.equal(refused.headers.get('retry-after'), '1');
    const body = (await refused.json()) as { type: string; correlationId: string; payload: { code: string; details: { retryAfterMs: number } } };
    assert.equal(body.type, 'command_error');
    assert.equal(body.payload.code, 'rate_limited');
    assert.match(body.correlationId, /^h[34]$/);
    assert.ok(body.payload.details.retryAfterMs > 0 && body.payload.details.retryAfterMs <= 1000);
  });

  it('a client flooding 10,000 chat messages (default limits) is refused, and a subscribed second client keeps a ping p99 < 100 ms (or 10x its baseline on a loaded machine)', async () => {
    const a = await start();
    const victim = await WsTestClient.connect(a.wsUrl, a.token);
    await victim.send('subscribe', { afterSeq: 0 });
    const baseline = await pingTimes(victim, () => true, 20);
    const f = flood(a, 10_000);
    let finished = false;
    void f.done.finally(() => (finished = true)).catch(() => undefined);
    // The victim stays under its own limit (40/s < 50/s): a flood that lasts longer must not get it refused.
    const during = await pingTimes(victim, () => finished, 100, 25);
    const report = await f.done;
    const eventsStored = a.services.events.head();
    assert.equal(report.acks + report.rateLimited, 10_000);
    assert.ok(report.rateLimited > 9000, `most of the flood is refused: ${JSON.stringify(report)}`);
    assert.ok(report.retryAfterMs > 0);
    assert.ok(eventsStored < 3 * (report.acks + 10), `only accepted commands stored events (${eventsStored})`);
    const p = p99(during);
    assert.ok(p < victimBound(baseline), `victim ping p99 ${p.toFixed(1)} ms during the flood (baseline p99 ${p99(baseline).toFixed(1)} ms, ${during.length} samples)`);
    victim.close();
  });

  it('fair turns even without rate limits: a client whose 5,000 commands are all accepted does not starve another client (ping p99 < 100 ms, or 10x its baseline on a loaded machine)', async () => {
    const a = await start({ rateLimit: { commandsPerSecond: 1_000_000, burst: 1_000_000 } });
    const victim = await WsTestClient.connect(a.wsUrl, a.token);
    const baseline = await pingTimes(victim, () => true, 20);
    const f = flood(a, 5000);
    let finished = false;
    void f.done.finally(() => (finished = true)).catch(() => undefined);
    const during = await pingTimes(victim, () => finished, 100);
    const report = await f.done;
    assert.equal(report.acks, 5000, 'nothing was refused: this measures the scheduling alone');
    const p = p99(during);
    assert.ok(p < victimBound(baseline), `victim ping p99 ${p.toFixed(1)} ms while 5,000 commands ran (baseline p99 ${p99(baseline).toFixed(1)} ms, ${during.length} samples)`);
    victim.close();
  });
});
