#!/usr/bin/env node
// Acquire → first command done, for a task as the workbench does it (working copy prepared first),
// cold container vs warm pool (sandbox.warmPool = 1). Needs Docker + pushpals-worker:dev; build first (npx tsc -b). The pool needs sandbox.diskLimitMb 0 (volumes are per-task filesystems).
//   node bench/sandbox-pool.mjs [runs per round, default 9]     (rounds: cold, pool, cold, pool)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { createApp, loadConfig, silentLogger } = require('../orchestrator/dist/src/index.js');
const { chownTree } = require('../orchestrator/dist/src/workbench/fs-safe.js');
const N = Number(process.argv[2] ?? 9);
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
await (async () => {
  const repo = mkdtempSync(join(tmpdir(), 'pb-repo-'));
  writeFileSync(join(repo, 'README.md'), '# x\n');
  execFileSync('sh', ['-c', 'git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t commit -qm i'], { cwd: repo });
  for (const warmPool of [0, 1, 0, 1]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'pb-home-'));
    const app = await createApp(loadConfig({ env: {}, overrides: { port: 0, dataDir, sandbox: { warmPool, diskLimitMb: 0 } } }), { logger: silentLogger });
    const wb = app.workbench; await wb.start();
    const { id: repoId } = await wb.repos.add(repo);
    const acq = [], first = [];
    for (let i = 0; i < N; i++) {
      const taskId = `bench${warmPool}x${i}`;
      const ws = await wb.repos.createWorkspace(repoId, taskId);
      if (process.getuid() === 0) chownTree(ws.path, 1000, 1000);
      if (warmPool) await wb.sandboxes.waitForPool(60000);
      else await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      const sb = await wb.sandboxes.acquire({ taskId, workspaceHostPath: ws.path, adoptPrepared: true }); // the re-run path (a copy made first)
      const t1 = performance.now();
      const res = await sb.exec('git status');
      const t2 = performance.now();
      if (res.exitCode !== 0) throw new Error(res.stderr);
      acq.push(t1 - t0); first.push(t2 - t0);
      await sb.release();
    }
    console.log(`warmPool=${warmPool} n=${N}: acquire p50 ${pct(acq, 0.5).toFixed(1)} max ${Math.max(...acq).toFixed(1)} ms; acquire→first git status done p50 ${pct(first, 0.5).toFixed(1)} max ${Math.max(...first).toFixed(1)} ms`);
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  rmSync(repo, { recursive: true, force: true });
})().catch((e) => { console.error(e); process.exit(1); });
