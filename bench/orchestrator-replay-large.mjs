#!/usr/bin/env node
// Replay of a LARGE history under backpressure: --mb MB of events (1 MB tool_results, each followed
// by two small logs) appended straight to the store, then clients in ANOTHER process subscribe from
// seq 0 — first 1 client, then --clients at once. Each checks every seq (no gap, no duplicate);
// this process (the server) samples its own RSS from /proc every 10 ms and reports the peak.
//   node bench/orchestrator-replay-large.mjs [--mb 110] [--clients 20]
// Before the streaming replay, any client whose backlog passed maxBufferedBytes (16 MiB) was
// dropped with 4008 before its first frame, every time it reconnected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, root, spawnJson, startApp } from './orchestrator-lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MB = arg('--mb', 110);
const CLIENTS = arg('--clients', 20);
const rssMB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;

const app = await startApp();
const ev = app.services.events;
const big = 'x'.repeat(1_000_000);
for (let i = 0; i < MB; i++) {
  ev.appendMany([
    { type: 'tool_result', sessionId: 'bench', payload: { taskId: 't_bench', toolCallId: `tc${i}`, tool: 'run_command', ok: true, exitCode: 0, stdout: big, truncated: false, durationMs: 1 } },
    { type: 'log', sessionId: 'bench', payload: { level: 'info', message: `after ${i}` } },
    { type: 'log', sessionId: 'bench', payload: { level: 'info', message: `after ${i}, again` } },
  ]);
}
ev.flush();
const N = ev.head();
const bytes = app.services.db.prepare('SELECT SUM(LENGTH(json)) FROM events').pluck().get();
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));

async function run(k) {
  const base = rssMB();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMB())), 10);
  const t0 = performance.now();
  const c = spawnJson(join(root, 'bench', 'orchestrator-replay-client.mjs'), [app.wsUrl, app.token, String(k), String(N)]);
  const { clients } = await c.next();
  const wall = performance.now() - t0;
  clearInterval(sampler);
  const complete = clients.filter((x) => x.events === N && x.inOrder && x.closedWith === null).length;
  const dropped = clients.filter((x) => x.closedWith !== null).map((x) => `${x.closedWith}${x.error ? ` (${x.error})` : ""} after ${x.events} events`);
  const mbps = (clients.reduce((s, x) => s + x.bytes, 0) / 1e6 / wall) * 1000;
  console.log(
    `${k} client(s) replaying ${fmt(N)} events (${fmt(bytes / 1e6, 1)} MB of JSON) from seq 0: ${complete}/${k} complete and in order` +
      `${dropped.length ? `, closed: ${dropped.join(',')}` : ''}; ${fmt(wall)} ms (${fmt(mbps)} MB/s in total); server RSS ${fmt(base)} MB before, peak ${fmt(peak)} MB (+${fmt(peak - base)} MB)`,
  );
  return complete === k;
}

const ok1 = await run(1);
const okN = await run(CLIENTS);
await app.close();
process.exit(ok1 && okN ? 0 : 1);
