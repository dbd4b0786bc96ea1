#!/usr/bin/env node
// Helper process for the orchestrator benchmarks (not a benchmark itself): opens K WebSocket
// clients, subscribes them, and reports over stdout (JSON lines).
//   node bench/orchestrator-clients.mjs <wsUrl> <token> <k> <mode> [n] [afterSeq]
// mode count:   each client counts events; reports {t} (epoch ms, hi-res) when all got n events.
// mode latency: each event's payload.message holds its publish time; reports latencies (ms) at "stop".
// mode replay:  one client subscribes from afterSeq; reports ms from subscribe to the n-th event.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'orchestrator', 'package.json'));
const WebSocket = require('ws');
const { makeCommand } = require('@pushpals/protocol');

const [url, token, kStr, mode, nStr = '0', afterStr = '0'] = process.argv.slice(2);
const K = Number(kStr);
const N = Number(nStr);
const now = () => performance.timeOrigin + performance.now();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const clients = [];
for (let i = 0; i < K; i++) {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  clients.push(ws);
}

let done = 0;
const lat = [];
let t0 = 0;
for (const ws of clients) {
  let got = 0;
  ws.on('message', (d) => {
    const s = d.toString();
    if (s.startsWith('{"protocolVersion"')) return; // ack
    got++;
    if (mode === 'latency') {
      const m = /"message":"(\d+(?:\.\d+)?)"/.exec(s);
      if (m) lat.push(now() - Number(m[1]));
    } else if (got === N) {
      if (mode === 'replay') out({ ms: now() - t0, events: got });
      else if (++done === K) out({ t: now() });
    }
  });
}
t0 = now();
for (const ws of clients) ws.send(JSON.stringify(makeCommand('subscribe', { afterSeq: Number(afterStr) }, { sessionId: 'bench' })));
out({ ready: true });
process.stdin.on('data', () => {
  for (const ws of clients) ws.terminate();
  // stdout to a pipe is asynchronous: exit only once the (possibly large) line is written.
  if (mode === 'latency') process.stdout.write(JSON.stringify({ lat }) + '\n', () => process.exit(0));
  else process.exit(0);
});
