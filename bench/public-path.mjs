#!/usr/bin/env node
// The public event path, measured as a user's client goes through it: the orchestrator runs as its
// own process (`pushpals serve`), this process is the client. 16 producers on their own WebSocket
// connections send `chat_send` (~250 bytes of text), each waiting for its ack before the next;
// 10 subscribers receive every stored event. Server CPU time comes from /proc/<pid>/stat before and
// after each phase, RSS from /proc/<pid>/status.
//   node bench/public-path.mjs                     # 5,000 then 50,000 messages, latency, replay
//   MESSAGES=5000,50000 RATE=1000 RATE_N=5000 node bench/public-path.mjs
//   PROFILE=1 node bench/public-path.mjs           # also writes a --cpu-prof of the server
//   SERVER_NODE_ARGS=--trace-gc node bench/public-path.mjs   # extra node flags for the server
//   OLD_SUBSCRIBERS=5 node bench/public-path.mjs   # that many subscribers announce protocol 1.1 (events downgraded for them)
// Build first: npm run build. Prints figures and ratios; the last line is a JSON summary.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'orchestrator', 'package.json'));
const WebSocket = require('ws');
const { makeCommand } = require('@pushpals/protocol');

const PRODUCERS = Number(process.env.PRODUCERS || 16);
const SUBSCRIBERS = Number(process.env.SUBSCRIBERS || 10);
const PHASES = (process.env.MESSAGES || '5000,50000').split(',').map(Number);
const RATE = Number(process.env.RATE || 1000);
const RATE_N = Number(process.env.RATE_N || 5000);
const PROFILE = process.env.PROFILE === '1';
const OLD_SUBSCRIBERS = Number(process.env.OLD_SUBSCRIBERS || 0);
const TICK = 100; // USER_HZ on Linux

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// ---- the server, as its own process ----
const dataDir = mkdtempSync(join(tmpdir(), 'pushpals-bench-public-'));
// The producers send as fast as they are acked, far above the per-connection command rate limit
// (50/s by default): lift it, this measures the path, not the limiter.
writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ rateLimit: { commandsPerSecond: 1_000_000, burst: 1_000_000 } }));
const profDir = join(root, 'bench', 'profiles');
const nodeArgs = [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(process.env.SERVER_NODE_ARGS ? process.env.SERVER_NODE_ARGS.split(' ') : [])];
const server = spawn(process.execPath, [...nodeArgs, join(root, 'orchestrator', 'dist', 'src', 'cli.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
  stdio: ['ignore', process.env.SERVER_NODE_ARGS ? 'inherit' : 'ignore', 'inherit'],
  env: { ...process.env, PUSHPALS_LOG_LEVEL: 'error', PUSHPALS_HOME: dataDir },
});
const alive = () => server.exitCode === null && server.signalCode === null;
/** Waits (synchronously: 'exit' handlers cannot await) up to `s` seconds for the server process to be gone. */
const waitGone = (s) => spawnSync('sh', ['-c', `for i in $(seq ${s * 10}); do kill -0 ${server.pid} 2>/dev/null || exit 0; sleep 0.1; done; exit 1`]).status === 0;
// The server has the workbench: a warm-pool container and, as root, a loop-mounted slot volume in the
// data dir. A graceful stop removes both; after a SIGKILL they would stay (and rm fails with EBUSY).
// If it does not stop, it is killed and a second start on the data dir sweeps what it left (its
// start-up sweep), with no pool of its own, and is stopped gracefully in turn.
const cleanup = () => {
  if (alive()) {
    server.kill('SIGTERM');
    if (!waitGone(30)) {
      server.kill('SIGKILL');
      waitGone(10);
      writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ sandbox: { warmPool: 0 } }));
      spawnSync(process.execPath, [join(root, 'orchestrator', 'dist', 'src', 'cli.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
        stdio: 'ignore', env: { ...process.env, PUSHPALS_LOG_LEVEL: 'error', PUSHPALS_HOME: dataDir }, timeout: 20_000, killSignal: 'SIGTERM',
      });
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
};
process.on('exit', cleanup);

const cpuMs = () => {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICK) * 1000; // utime + stime
};
const status = () => readFileSync(`/proc/${server.pid}/status`, 'utf8');
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(status())[1]) / 1024;
const rssParts = () => ['RssAnon', 'RssFile', 'RssShmem'].map((k) => `${k} ${f(Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status())[1]) / 1024, 1)} MB`).join(', ');

for (let i = 0; !existsSync(join(dataDir, 'server.json')); i++) {
  if (i > 300) throw new Error('the server did not start within 30 s');
  await sleep(100);
}
const { url } = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8'));
const wsUrl = url.replace(/^http/, 'ws') + '/ws';
const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();

/** The server's own view of its memory (GET /api/status): V8 heap vs off-heap. */
const serverMemory = async () => {
  const r = await fetch(`${url}/api/status`, { headers: { Authorization: `Bearer ${token}` } });
  const m = (await r.json()).memory;
  return `heap ${m.heapUsed}/${m.heapTotal} MB used/committed, external ${m.external} MB (array buffers ${m.arrayBuffers} MB)`;
};

// ---- clients ----
async function connect() {
  const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${token}` }, perMessageDeflate: false });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  return ws;
}

/** A subscriber counts events and measures publish→receive on user_message events. */
async function subscriber(afterSeq = 0, protocolVersion = undefined) {
  const ws = await connect();
  const s = { ws, events: 0, lastSeq: afterSeq, gaps: 0, lat: [], measure: false };
  ws.on('message', (d) => {
    const text = d.toString();
    if (!text.startsWith('{"seq":')) return; // acks
    const seq = Number(text.slice(7, text.indexOf(',')));
    if (seq !== s.lastSeq + 1) s.gaps++;
    s.lastSeq = seq;
    s.events++;
    if (s.measure) {
      const m = /"text":"t=(\d+\.\d+) /.exec(text);
      if (m && text.includes('"type":"user_message"')) s.lat.push(now() - Number(m[1]));
    }
  });
  const cmd = makeCommand('subscribe', { afterSeq }, { sessionId: 'bench' });
  ws.send(JSON.stringify(protocolVersion ? { ...cmd, protocolVersion } : cmd));
  return s;
}

/** A producer sends chat_send and waits for each ack before the next. */
async function producer(i) {
  const ws = await connect();
  const pending = new Map();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    const r = pending.get(m.correlationId ?? m.payload?.commandId ?? m.id);
    if (r) r(m);
  });
  const pad = 'x'.repeat(220);
  return {
    ws,
    send: (seqNo) => new Promise((resolve, reject) => {
      const cmd = makeCommand('chat_send', { text: `t=${now().toFixed(3)} p${i} #${seqNo} ${pad}` }, { sessionId: `bench-${i}` });
      pending.set(cmd.id, (m) => {
        pending.delete(cmd.id);
        if (m.type === 'command_error') reject(new Error(JSON.stringify(m.payload)));
        else resolve(m);
      });
      ws.send(JSON.stringify(cmd));
    }),
  };
}

const waitFor = async (pred, ms, what) => {
  const t = Date.now();
  while (!pred()) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

await sleep(1500); // let start-up work (engine check, first GC) settle
const idleRss = rssMb();
const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => subscriber(0, i < OLD_SUBSCRIBERS ? '1.1' : undefined)));
const prods = await Promise.all(Array.from({ length: PRODUCERS }, (_, i) => producer(i)));
const headSeq = () => Math.min(...subs.map((s) => s.lastSeq));
const results = { machine: '2 cores', producers: PRODUCERS, subscribers: SUBSCRIBERS, idleRssMb: +idleRss.toFixed(1), phases: [] };
console.log(`server pid ${server.pid}, idle RSS ${f(idleRss, 1)} MB (${rssParts()}; ${await serverMemory()}); ${PRODUCERS} producers, ${SUBSCRIBERS} subscribers`);

// ---- throughput phases: as fast as acks allow ----
let sent = 0;
for (const total of PHASES) {
  const n = total - sent;
  if (n <= 0) continue;
  const seq0 = subs[0].lastSeq;
  const cpu0 = cpuMs();
  const t0 = now();
  let next = 0;
  await Promise.all(prods.map(async (p) => {
    while (next < n) {
      const k = next++;
      await p.send(k);
    }
  }));
  const tAcked = now();
  // every stored event fanned out: wait until each subscriber has caught up with the others' max
  await sleep(200);
  const target = Math.max(...subs.map((s) => s.lastSeq));
  await waitFor(() => headSeq() >= target, 60_000, 'subscribers to catch up');
  const t1 = now();
  const cpu = cpuMs() - cpu0;
  const stored = subs[0].lastSeq - seq0;
  sent = total;
  const r = {
    messages: n,
    storedEvents: stored,
    eventsPerMessage: +(stored / n).toFixed(2),
    wallS: +((t1 - t0) / 1000).toFixed(2),
    ackedPerS: Math.round(n / ((tAcked - t0) / 1000)),
    serverCpuS: +(cpu / 1000).toFixed(2),
    messagesPerCpuS: Math.round(n / (cpu / 1000)),
    cpuMsPerMessage: +(cpu / n).toFixed(3),
    cpuUsPerStoredEvent: +((cpu * 1000) / stored).toFixed(1),
    rssMbAfter: +rssMb().toFixed(1),
    gaps: subs.reduce((a, s) => a + s.gaps, 0),
  };
  results.phases.push({ totalSent: total, ...r });
  console.log(
    `${f(total)} sent (+${f(n)}): ${f(r.messagesPerCpuS)} msg per server CPU-s (${r.cpuMsPerMessage} ms CPU/msg, ` +
      `${r.cpuUsPerStoredEvent} µs CPU/stored event, ${r.eventsPerMessage} events/msg), ${f(r.ackedPerS)} acked msg/s, ` +
      `RSS ${f(r.rssMbAfter, 1)} MB (${(r.rssMbAfter / idleRss).toFixed(2)}× idle), gaps ${r.gaps}`,
  );
}

// ---- latency at a fixed rate ----
for (const s of subs) s.measure = true;
{
  const interval = 1000 / RATE;
  const t0 = now();
  let k = 0;
  await Promise.all(prods.map(async (p, i) => {
    // each producer sends every PRODUCERS-th slot of the schedule
    for (let j = i; j < RATE_N; j += PRODUCERS) {
      const due = t0 + j * interval;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      await p.send(k++);
    }
  }));
  await sleep(500);
  const lat = subs.flatMap((s) => s.lat);
  results.latency = { rate: RATE, messages: RATE_N, samples: lat.length, p50Ms: +pct(lat, 50).toFixed(2), p99Ms: +pct(lat, 99).toFixed(2), maxMs: +Math.max(...lat).toFixed(1) };
  console.log(`latency at ${f(RATE)} msg/s (${f(RATE_N)} msgs, ${f(lat.length)} samples over ${SUBSCRIBERS} subscribers): p50 ${results.latency.p50Ms} ms, p99 ${results.latency.p99Ms} ms, max ${results.latency.maxMs} ms`);
  for (const s of subs) s.measure = false;
}

// ---- RSS after everything, then a fresh client replays from 0 ----
await sleep(1000);
results.rssMbEnd = +rssMb().toFixed(1);
console.log(`RSS at end ${f(results.rssMbEnd, 1)} MB = ${(results.rssMbEnd / idleRss).toFixed(2)}× idle (${rssParts()}; ${await serverMemory()})`);
// V8 gives back heap it grew under load only once the process is idle for a while (its memory reducer)
await sleep(Number(process.env.SETTLE_MS || 12_000));
results.rssMbSettled = +rssMb().toFixed(1);
console.log(`RSS ${(Number(process.env.SETTLE_MS || 12_000) / 1000).toFixed(0)} s later ${f(results.rssMbSettled, 1)} MB = ${(results.rssMbSettled / idleRss).toFixed(2)}× idle (${rssParts()}; ${await serverMemory()})`);
{
  const head = Math.max(...subs.map((s) => s.lastSeq));
  const t0 = now();
  const r = await subscriber(0);
  await waitFor(() => r.lastSeq >= head, 120_000, 'the replay');
  const ms = now() - t0;
  results.replay = { events: r.events, ms: Math.round(ms), complete: r.events === head && r.gaps === 0, eventsPerS: Math.round(r.events / (ms / 1000)) };
  console.log(`replay from seq 0: ${f(r.events)} events in ${f(ms)} ms (${f(results.replay.eventsPerS)} events/s), complete: ${results.replay.complete}`);
  r.ws.terminate();
}

for (const c of [...subs, ...prods]) c.ws.terminate();
if (PROFILE) {
  server.kill('SIGINT'); // --cpu-prof writes on a clean exit
  await new Promise((r) => server.once('exit', r));
  const prof = readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile')).sort().pop();
  console.log(`profile: bench/profiles/${prof} (summarise: node bench/cpuprofile-top.mjs bench/profiles/${prof})`);
}
console.log(JSON.stringify(results));
process.exit(0);
