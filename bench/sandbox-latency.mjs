#!/usr/bin/env node
// Sandbox benchmarks against the compiled driver (run `npx tsc -b` first; needs Docker + the worker image):
//   node bench/sandbox-latency.mjs [--n 100] [--json]
// Measures, in one run: cold acquire (create+start), time to the first command on a cold sandbox,
// warm-pool acquire, and the round trip of `true` / `git status` through the in-sandbox runner,
// a fresh dockerode exec (raw, and the driver's execPlain), and the `docker exec` CLI.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

const require = createRequire(import.meta.url);
const { SandboxManager } = require('../orchestrator/dist/src/sandbox/index.js');
const Docker = require('dockerode');

const arg = (k, d) => { const i = process.argv.indexOf(k); return i > 0 ? Number(process.argv[i + 1]) : d; };
const N = arg('--n', 100);
const asJson = process.argv.includes('--json');
const docker = new Docker();
const instanceId = `bench-${process.pid}`;
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]; };
const stat = (a) => ({ p50: +q(a, 0.5).toFixed(2), p95: +q(a, 0.95).toFixed(2), n: a.length });
const log = (s) => { if (!asJson) console.error(s); };

function workspace() {
  const ws = mkdtempSync(join(tmpdir(), 'pp-bench-'));
  chmodSync(ws, 0o755);
  writeFileSync(join(ws, 'README.md'), '# bench\n');
  writeFileSync(join(ws, 'index.js'), 'console.log(1)\n');
  execFileSync('sh', ['-c', 'git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm init'], { cwd: ws });
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', '1000:1000', ws]);
  return ws;
}

async function rawExec(container, cmd) {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: '1000:1000' });
  const stream = await exec.start({});
  const out = new PassThrough(); const err = new PassThrough(); out.resume(); err.resume();
  docker.modem.demuxStream(stream, out, err);
  await new Promise((res) => { stream.on('end', res); stream.on('close', res); });
  stream.destroy();
  let info = await exec.inspect();
  while (info.Running) { await new Promise((r) => setTimeout(r, 2)); info = await exec.inspect(); }
  if (info.ExitCode !== 0) throw new Error(`${cmd.join(' ')} exited ${info.ExitCode}`);
}

async function time(n, fn) {
  const a = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await fn(i); a.push(performance.now() - t); }
  return a;
}

const dirs = [];
const root = mkdtempSync(join(tmpdir(), 'pp-bench-root-'));
chmodSync(root, 0o755);
const results = { machine: `${(await docker.info()).NCPU} CPUs, Docker ${(await docker.version()).Version}, Node ${process.version}` };
const m = new SandboxManager({ instanceId, workspacesDir: root, pool: { size: 2 } });
try {
  await m.init();
  log('cold acquire (create+start) x10, and first command on a cold sandbox');
  const cold = []; const firstCmd = [];
  for (let i = 0; i < 10; i++) {
    const ws = workspace(); dirs.push(ws);
    let t = performance.now();
    const sb = await m.acquire({ taskId: `cold-${i}`, workspaceHostPath: ws });
    cold.push(performance.now() - t);
    await sb.exec('true');
    firstCmd.push(performance.now() - t);
    await sb.release();
  }
  results.coldAcquireMs = stat(cold);
  results.coldAcquireToFirstCommandMs = stat(firstCmd);

  log('warm-pool acquire x20 (pool refilled before each)');
  const warm = []; const warmFirst = [];
  for (let i = 0; i < 20; i++) {
    await m.waitForPool(120_000);
    const t = performance.now();
    const sb = await m.acquire({ taskId: `warm-${i}` });
    warm.push(performance.now() - t);
    await sb.exec('true');
    warmFirst.push(performance.now() - t);
    await sb.release();
  }
  results.warmAcquireMs = stat(warm);
  results.warmAcquireToFirstCommandMs = stat(warmFirst);

  const ws = workspace(); dirs.push(ws);
  const sb = await m.acquire({ taskId: 'rt', workspaceHostPath: ws });
  await sb.exec('git status'); // warm caches
  const rt = {};
  for (const cmd of ['true', 'git status']) {
    log(`round trip: ${cmd}`);
    rt[cmd] = {
      runner: stat(await time(N, () => sb.exec(cmd))),
      dockerodeExec: stat(await time(Math.min(N, 30), () => rawExec(sb.container, cmd.split(' ')))),
      execPlain: stat(await time(Math.min(N, 30), () => sb.execPlain(cmd))),
      dockerCli: stat(await time(Math.min(N, 20), () => execFileSync('docker', ['exec', '-u', '1000:1000', sb.id, ...cmd.split(' ')], { stdio: 'ignore' }))),
    };
    rt[cmd].ratio = {
      dockerodeExecOverRunner: +(rt[cmd].dockerodeExec.p50 / rt[cmd].runner.p50).toFixed(1),
      dockerCliOverRunner: +(rt[cmd].dockerCli.p50 / rt[cmd].runner.p50).toFixed(1),
    };
  }
  results.roundTripMs = rt;
  log('throughput: 64 MiB through the runner (cap 64 MiB)');
  const big = await time(3, () => sb.exec('head -c 67108864 /dev/zero', { maxOutputBytes: 64 << 20 }));
  results.runner64MiB = { p50Ms: +q(big, 0.5).toFixed(0), MBps: +(67.1 / (q(big, 0.5) / 1000)).toFixed(0) };
  log('8 concurrent `sleep 0.2` through one runner');
  const t = performance.now();
  await Promise.all(Array.from({ length: 8 }, () => sb.exec('sleep 0.2')));
  results.eightConcurrentSleep200Ms = +(performance.now() - t).toFixed(0);
} finally {
  await m.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
}

if (asJson) console.log(JSON.stringify(results, null, 1));
else {
  const f = (s) => `${s.p50} / ${s.p95}`;
  console.log(`machine: ${results.machine}`);
  console.log('| what | p50 / p95 ms |\n|---|---|');
  console.log(`| cold acquire (create+start, n=10) | ${f(results.coldAcquireMs)} |`);
  console.log(`| cold acquire → first command done (runner start included) | ${f(results.coldAcquireToFirstCommandMs)} |`);
  console.log(`| warm-pool acquire (n=20) | ${f(results.warmAcquireMs)} |`);
  console.log(`| warm-pool acquire → first command done | ${f(results.warmAcquireToFirstCommandMs)} |`);
  for (const [cmd, r] of Object.entries(results.roundTripMs)) {
    console.log(`| \`${cmd}\` via runner (n=${r.runner.n}) | ${f(r.runner)} |`);
    console.log(`| \`${cmd}\` via fresh dockerode exec (n=${r.dockerodeExec.n}) | ${f(r.dockerodeExec)} |`);
    console.log(`| \`${cmd}\` via driver execPlain (fresh exec + timeout wrapper, n=${r.execPlain.n}) | ${f(r.execPlain)} |`);
    console.log(`| \`${cmd}\` via \`docker exec\` CLI (n=${r.dockerCli.n}) | ${f(r.dockerCli)} |`);
    console.log(`| \`${cmd}\` ratio p50: dockerode exec / runner = ${r.ratio.dockerodeExecOverRunner}x, CLI / runner = ${r.ratio.dockerCliOverRunner}x | |`);
  }
  console.log(`| 64 MiB stdout through the runner | ${results.runner64MiB.p50Ms} ms = ${results.runner64MiB.MBps} MB/s |`);
  console.log(`| 8 concurrent \`sleep 0.2\` in one sandbox | ${results.eightConcurrentSleep200Ms} ms total |`);
}
