#!/usr/bin/env node
// Event log throughput and latency: events persisted (SQLite, WAL) and broadcast to 10 WebSocket
// clients living in another process.
//   node bench/orchestrator-events.mjs [--n 50000] [--clients 10] [--rate 1000] [--seconds 5]
// 1. throughput: n events appended as fast as possible (single append() each = one transaction
//    each; then appendMany bursts of 100 = one transaction per burst), time until every client has
//    received every event. Target >= 20,000 events/s.
// 2. latency: events published at --rate/s for --seconds; publish→receive p50/p99 over all
//    clients. Target p99 < 10 ms at 1,000 events/s.
import { join } from 'node:path';
import { fmt, now, pct, root, sleep, spawnJson, startApp, yieldNow } from './orchestrator-lib.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 50000);
const K = arg('clients', 10);
const RATE = arg('rate', 1000);
const SECONDS = arg('seconds', 5);
const CLIENTS = join(root, 'bench', 'orchestrator-clients.mjs');
const payload = (i) => ({ type: 'task_progress', sessionId: 'bench', payload: { taskId: 't_bench', message: `step ${i} of the benchmark, a typical progress line`, percent: 50 } });

async function throughput(label, burst) {
  const app = await startApp();
  const ev = app.services.events;
  const c = spawnJson(CLIENTS, [app.wsUrl, app.token, String(K), 'count', String(N)]);
  await c.next(); // ready
  await sleep(200); // subscriptions acked and live
  const t0 = now();
  for (let i = 0; i < N; ) {
    // Give the event loop a turn every 1,000 events so sockets flush while we publish.
    const end = Math.min(N, i + 1000);
    if (burst > 1) {
      for (; i < end; i += burst) ev.appendMany(Array.from({ length: Math.min(burst, end - i) }, (_, j) => payload(i + j)));
    } else {
      for (; i < end; i++) ev.append(payload(i));
    }
    await yieldNow();
  }
  const tPub = now();
  const { t } = await c.next();
  const total = t - t0;
  console.log(`${label}: ${fmt(N)} events → ${K} clients in ${fmt(total)} ms = ${fmt((N / total) * 1000)} events/s persisted+broadcast (publish side alone ${fmt((N / (tPub - t0)) * 1000)} events/s; ${fmt((N * K / total) * 1000)} frames/s delivered)`);
  c.child.stdin.write('stop\n');
  await app.close();
  return (N / total) * 1000;
}

async function latency() {
  const app = await startApp();
  const ev = app.services.events;
  const c = spawnJson(CLIENTS, [app.wsUrl, app.token, String(K), 'latency']);
  await c.next();
  await sleep(200);
  const total = RATE * SECONDS;
  const start = now();
  for (let i = 0; i < total; ) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * RATE) + 1);
    for (; i < due; i++) ev.append({ type: 'log', sessionId: 'bench', payload: { level: 'info', message: String(now()) } });
    await sleep(1);
  }
  await sleep(300);
  c.child.stdin.write('stop\n');
  const { lat } = await c.next();
  console.log(`latency at ${fmt(RATE)} events/s for ${SECONDS} s, ${K} clients (${fmt(lat.length)} samples): p50 ${fmt(pct(lat, 50), 2)} ms, p99 ${fmt(pct(lat, 99), 2)} ms, max ${fmt(Math.max(...lat), 2)} ms (target p99 < 10 ms)`);
  await app.close();
}

const single = await throughput('throughput, one append() per event', 1);
const burst = await throughput('throughput, appendMany bursts of 100', 100);
console.log(`target >= 20,000 events/s: single ${single >= 20000 ? 'MET' : 'NOT MET'}, bursts ${burst >= 20000 ? 'MET' : 'NOT MET'}`);
await latency();
process.exit(0);
