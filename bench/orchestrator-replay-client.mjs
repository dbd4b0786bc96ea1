#!/usr/bin/env node
// Helper process for bench/orchestrator-replay-large.mjs (not a benchmark itself): opens K WebSocket
// clients, subscribes each from seq 0, checks every event's seq is the previous + 1 (no gap, no
// duplicate), and prints one JSON line when each has `n` events or was closed:
//   {"clients":[{"events":n,"bytes":n,"ms":n,"inOrder":true,"closedWith":null}, ...]}
//   node bench/orchestrator-replay-client.mjs <wsUrl> <token> <k> <n>
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'orchestrator', 'package.json'));
const WebSocket = require('ws');
const { makeCommand } = require('@pushpals/protocol');

const [url, token, kStr, nStr] = process.argv.slice(2);
const K = Number(kStr);
const N = Number(nStr);
const results = [];
let pending = K;

function finish(r) {
  results.push(r);
  if (--pending === 0) process.stdout.write(JSON.stringify({ clients: results }) + '\n', () => process.exit(0));
}

for (let i = 0; i < K; i++) {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  const r = { events: 0, bytes: 0, ms: 0, inOrder: true, closedWith: null, error: null };
  let last = 0;
  let t0 = 0;
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    r.ms = performance.now() - t0;
    ws.terminate();
    finish(r);
  };
  ws.on('open', () => {
    t0 = performance.now();
    ws.send(JSON.stringify(makeCommand('subscribe', { afterSeq: 0 }, { sessionId: 'bench' })));
  });
  ws.on('message', (d) => {
    if (d[2] !== 0x73) return; // not `{"seq":…`: the subscribe ack
    const s = d.toString('latin1', 0, 24);
    const seq = Number(s.slice(7, s.indexOf(',')));
    if (seq !== last + 1) r.inOrder = false;
    last = seq;
    r.events++;
    r.bytes += d.length;
    if (r.events === N) end();
  });
  ws.on('close', (code) => {
    if (done) return; // our own terminate() after the last event
    r.closedWith = code;
    end();
  });
  ws.on('error', (e) => (r.error = e.message));
}
