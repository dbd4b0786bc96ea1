#!/usr/bin/env node
// Dependency set-up through the egress proxy, cold (empty per-repo cache) vs cached (same cache, a
// fresh working copy), for a Node fixture (mocha as a devDependency, `npm install --no-package-lock`:
// resolution + ~80 tarballs) and a Python fixture (venv + pytest and requests from the index).
// Times the whole set-up as "Run the tests" runs it: egress sandbox start (proxy + container) and every
// set-up command. Needs Docker, the worker image with Python (IMAGE, default pushpals-worker:dev) and the
// registries this machine is configured for; build first (npx tsc -b).
//   node bench/dependency-setup.mjs [cached runs, default 3]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const D = '../orchestrator/dist/src/';
const { SandboxManager } = require(`${D}sandbox/index.js`);
const { EgressSandbox } = require(`${D}egress/sandbox.js`);
const { Allowlist } = require(`${D}egress/allowlist.js`);
const { detectRegistries } = require(`${D}egress/registries.js`);
const { detectSetup } = require(`${D}deps/detect.js`);
const { chownTree } = require(`${D}workbench/fs-safe.js`);
const N = Number(process.argv[2] ?? 3);
const IMAGE = process.env.IMAGE ?? 'pushpals-worker:dev';

const FIXTURES = {
  node: { 'package.json': JSON.stringify({ name: 'bench-node', private: true, devDependencies: { mocha: '10.8.2' } }) },
  python: { 'requirements-test.txt': 'pytest==8.3.4\nrequests==2.32.3\n', 'pytest.ini': '[pytest]\n' },
};

const t00 = performance.now();
const registries = await detectRegistries();
const detectMs = performance.now() - t00;
const sandboxes = new SandboxManager({ image: IMAGE, instanceId: `bench-deps-${process.pid}` });
await sandboxes.init();
const root = mkdtempSync(join(tmpdir(), 'pb-deps-'));
const audit = { append: () => undefined };
const rows = [];
try {
  for (const [name, files] of Object.entries(FIXTURES)) {
    const cacheDir = join(root, `cache-${name}`);
    const plans = detectSetup((f) => files[f]);
    const runOnce = async (i) => {
      const ws = join(root, `${name}-${i}`);
      mkdirSync(ws, { recursive: true });
      for (const [f, text] of Object.entries(files)) writeFileSync(join(ws, f), text);
      if (process.getuid() === 0) chownTree(ws, 1000, 1000);
      const t0 = performance.now();
      const es = await EgressSandbox.open({ sandboxes, audit, taskId: `bench-${name}-${i}`, workspaceHostPath: ws, socketsDir: join(root, 'egress'), cacheDir, allowlist: new Allowlist(registries.entries), registryEnv: registries.env, caFiles: registries.caFiles, uid: 1000, gid: 1000, actor: 'bench' });
      try {
        for (const cmd of plans.flatMap((p) => p.commands)) {
          const r = await es.exec(cmd, { timeoutMs: 600_000, maxOutputBytes: 1 << 20 });
          if (r.exitCode !== 0) throw new Error(`${cmd} failed (${r.exitCode}): ${r.stderr.slice(-2000)}`);
        }
        return { ms: performance.now() - t0, connections: es.decisions.length };
      } finally {
        await es.release();
        rmSync(ws, { recursive: true, force: true });
      }
    };
    const cold = await runOnce(0);
    const cached = [];
    for (let i = 1; i <= N; i++) cached.push(await runOnce(i));
    const med = [...cached].sort((a, b) => a.ms - b.ms)[Math.floor(cached.length / 2)];
    rows.push({ fixture: name, commands: plans.flatMap((p) => p.commands).join(' && '), coldS: +(cold.ms / 1000).toFixed(1), coldConnections: cold.connections, cachedMedianS: +(med.ms / 1000).toFixed(1), cachedConnections: med.connections, cachedRuns: cached.map((c) => +(c.ms / 1000).toFixed(1)) });
  }
} finally {
  await sandboxes.close();
  rmSync(root, { recursive: true, force: true });
}
console.log(`registries read from this machine in ${Math.round(detectMs)} ms: ${new Allowlist(registries.entries).describe()}`);
console.table(rows);
