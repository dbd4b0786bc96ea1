#!/usr/bin/env node
// Cold start and idle memory of the real `pushpals serve` (fresh data dir each run: token, DB and
// migrations are created from scratch; workbench included).
//   node bench/orchestrator-startup.mjs [--runs 5]
// cold start = spawn of `node orchestrator/dist/src/cli.js serve --port 0` → first WebSocket
// accepted AND its hello acked. Idle RSS = VmRSS of the server 3 s after start with one client.
// Targets: cold start < 500 ms; idle RSS < 120 MB.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, now, orequire, pct, root, sleep, tempDir } from './orchestrator-lib.mjs';

const WebSocket = orequire('ws');
const { makeCommand } = orequire('@pushpals/protocol');
const i = process.argv.indexOf('--runs');
const RUNS = i > 0 ? Number(process.argv[i + 1]) : 5;
const cli = join(root, 'orchestrator', 'dist', 'src', 'cli.js');

// The service alone (createApp without the workbench), printing the same log line as serve.
const coreScript = `const o = require(${JSON.stringify(join(root, 'orchestrator', 'dist', 'src', 'index.js'))});
const c = o.loadConfig({ env: {}, overrides: { port: 0, dataDir: process.argv[1] } });
o.createApp(c, { logger: o.silentLogger, workbench: false }).then((a) => {
  process.stderr.write('listening on ' + a.url + '\\n');
  process.on('SIGTERM', () => a.close().then(() => process.exit(0)));
});`;

async function once(measureRss, core) {
  const dataDir = tempDir();
  const t0 = now();
  const args = core ? ['-e', coreScript, dataDir] : [cli, 'serve', '--port', '0', '--data-dir', dataDir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PUSHPALS_LOG_LEVEL: 'info' } });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stderr.on('data', (d) => {
      buf += d;
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.on('exit', (c) => reject(new Error(`serve exited (${c}): ${buf}`)));
  });
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const ws = new WebSocket(url.replace('http', 'ws') + '/ws', { headers: { Authorization: `Bearer ${token}` } });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  ws.send(JSON.stringify(makeCommand('hello', { clientName: 'bench', clientVersion: '0' }, { sessionId: 'bench' })));
  await new Promise((r) => ws.once('message', r));
  const ms = now() - t0;
  let rss;
  if (measureRss) {
    await sleep(3000);
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    rss = Number(m[1]) / 1024;
  }
  ws.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rss };
}

for (const core of [false, true]) {
  const times = [];
  let rss;
  for (let r = 0; r < RUNS; r++) {
    const res = await once(r === RUNS - 1, core);
    times.push(res.ms);
    if (res.rss) rss = res.rss;
  }
  const what = core ? 'service core (createApp, no workbench)' : 'pushpals serve (with the workbench: Docker, git, policy)';
  console.log(`${what}: cold start to first accepted connection (spawn → hello acked), ${RUNS} runs: p50 ${fmt(pct(times, 50))} ms, max ${fmt(Math.max(...times))} ms (target < 500 ms: ${pct(times, 50) < 500 ? 'MET' : 'NOT MET'}); idle RSS with one client ${fmt(rss, 1)} MB (target < 120 MB: ${rss < 120 ? 'MET' : 'NOT MET'})`);
}
process.exit(0);
