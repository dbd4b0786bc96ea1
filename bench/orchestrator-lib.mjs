// Shared helpers of the orchestrator benchmarks: start the compiled app on port 0 in a temp data
// dir, spawn helper processes and read their JSON lines. Build first: npx tsc -b
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const orequire = createRequire(join(root, 'orchestrator', 'package.json'));
export const orch = orequire('./dist/src/index.js');

const dirs = [];
const children = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'pushpals-bench-'));
  dirs.push(d);
  return d;
}

export async function startApp(overrides = {}) {
  const config = orch.loadConfig({ env: {}, overrides: { port: 0, dataDir: tempDir(), ...overrides } });
  return orch.createApp(config, { logger: process.env.BENCH_LOG ? orch.createLogger('warn') : orch.silentLogger, workbench: false });
}

/** Spawns a node script; returns { child, next() } where next() resolves the next JSON line. */
export function spawnJson(script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const queue = [];
  const waiters = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      let v;
      try {
        v = JSON.parse(line);
      } catch {
        v = line; // plain status lines such as "ready"
      }
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(v);
      else queue.push(v);
    }
  });
  children.push(child);
  return { child, next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r))) };
}

export const now = () => performance.timeOrigin + performance.now();
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
export const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const yieldNow = () => new Promise((r) => setImmediate(r));
