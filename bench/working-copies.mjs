#!/usr/bin/env node
// Task working copies on a big repository (bench/gen-big-repo.mjs: ≥ 10,000 files, ≥ 50 MB of
// objects), through the real workbench with the product defaults (per-task disk limit 2048 MiB, so
// run as root; Docker + pushpals-worker:dev; build first: npx tsc -b):
//  1. the copy's .git alone (shared objects: "the working copy itself"); WorkingCopies.materialize
//     (pool slot with its own volume and a checkout made ahead, or cold: volume + container + .git +
//     checkout inside the sandbox); cold, the in-sandbox checkout alone;
//  2. end to end: services.createTask("Run git log on this repo") → its first command's output (tool_result),
//     with sandbox.warmPool 1 and 0.
//   node bench/working-copies.mjs [runs per mode, default 5] [--repo DIR (default: generated in /tmp)]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { genBigRepo } from './gen-big-repo.mjs';

const require = createRequire(import.meta.url);
const { createApp, loadConfig, silentLogger } = require('../orchestrator/dist/src/index.js');
const { SANDBOX_CHECKOUT_COMMAND } = require('../orchestrator/dist/src/git/index.js');
const { allocatedBytes } = require('../orchestrator/dist/src/workbench/working-copies.js');

const { values, positionals } = parseArgs({ allowPositionals: true, options: { repo: { type: 'string' } } });
const N = Number(positionals[0] ?? 5);
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const fmt = (a) => `p50 ${pct(a, 0.5).toFixed(0)} / max ${Math.max(...a).toFixed(0)} ms`;
if (process.getuid?.() !== 0) throw new Error('the default disk limit needs root (loop mounts)');

const repo = values.repo ?? join(tmpdir(), 'pushpals-bench-bigrepo');
if (!existsSync(join(repo, '.git'))) console.log(`generated ${JSON.stringify(genBigRepo(repo))}`);
const files = Number(execFileSync('git', ['ls-files'], { cwd: repo, maxBuffer: 1 << 26 }).toString().trim().split('\n').length);
console.log(`repo ${repo}: ${files} files, objects ${(allocatedBytes(join(repo, '.git', 'objects')) / 1e6).toFixed(1)} MB; load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`);

for (const warmPool of [1, 0]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pushpals-bench-wc-'));
  const app = await createApp(loadConfig({ env: {}, overrides: { port: 0, dataDir, sandbox: { warmPool, keepFinishedHours: 0 } } }), { logger: silentLogger });
  const wb = app.workbench;
  const s = app.services;
  try {
    await wb.start();
    if (wb.diskProblem || wb.sandboxProblem) throw new Error(wb.diskProblem?.message ?? wb.sandboxProblem);
    const t0 = performance.now();
    const r = await wb.repos.add(repo);
    const addMs = performance.now() - t0;
    wb.copies.targetPool(r);
    const settle = async () => (warmPool ? wb.sandboxes.waitForPool(120_000) : new Promise((res) => setTimeout(res, 500)));

    // 1. The copy: its .git alone (what a task's working copy costs beyond its files), then the
    //    whole materialize (sandbox + .git + files) and, cold, the checkout inside the sandbox alone.
    const skel = [], mat = [], co = [], gitBytes = [];
    for (let i = 0; i < N; i++) {
      const a = performance.now();
      const ws = await wb.repos.createWorkspace(r.id, `skel${warmPool}x${i}`, undefined, { checkout: 'sandbox' });
      skel.push(performance.now() - a);
      gitBytes.push(allocatedBytes(join(ws.path, '.git')));
      rmSync(ws.path, { recursive: true, force: true });
    }
    for (let i = 0; i < N; i++) {
      await settle();
      const taskId = `mat${warmPool}x${i}`;
      // The base as a task gets it (the clone synced; the default branch's head here).
      const live = await wb.repos.liveBase(r.id, { uncommitted: false });
      const a = performance.now();
      const ws = await wb.copies.materialize(r, taskId, live);
      mat.push(performance.now() - a);
      const sb = wb.copies.take(taskId);
      if (!warmPool) {
        const b = performance.now();
        const res = await sb.exec(`rm -rf ./* && ${SANDBOX_CHECKOUT_COMMAND}`, { timeoutMs: 600_000 });
        if (res.exitCode !== 0) throw new Error(res.stderr);
        co.push(performance.now() - b);
      }
      await sb.release();
      await wb.volumes.remove(ws.path);
    }
    // 2. End to end: task created → first command output.
    s.sessions.touch('bench', 'bench');
    const e2e = [];
    for (let i = 0; i < N; i++) {
      await settle();
      const started = performance.now();
      let taskId = '';
      const done = new Promise((res, rej) => {
        const off = s.events.onEvent((e) => {
          if (e.taskId !== taskId) return;
          if (e.type === 'tool_result') { off(); res(performance.now()); }
          if (e.type === 'task_failed') { off(); rej(new Error(e.frame)); }
        });
      });
      taskId = s.createTask({ request: 'Run git log on this repo', sessionId: 'bench', repoId: r.id }).id;
      e2e.push((await done) - started);
      await new Promise((res) => setTimeout(res, 300)); // the task finishes and lets go of its sandbox
    }
    console.log(`warmPool=${warmPool} (disk limit ${app.services.config.sandbox.diskLimitMb} MiB), n=${N}; repo add ${addMs.toFixed(0)} ms`);
    console.log(`  the working copy itself (its .git, sharing the objects: ${(pct(gitBytes, 0.5) / 1024).toFixed(0)} KiB before the checkout's index): ${fmt(skel)}`);
    console.log(`  materialize: ${warmPool ? 'pool slot (volume + container + checkout made ahead) moved to the task, branch moved' : 'cold: volume + container + .git + checkout'}: ${fmt(mat)}`);
    if (co.length) console.log(`  of which the checkout of ${files} files inside the sandbox: ${fmt(co)}`);
    console.log(`  task created → first command output ("git log"): ${fmt(e2e)}`);
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
