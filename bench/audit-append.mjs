#!/usr/bin/env node
// Audit trail append throughput with SHA-256 chaining, redaction and truncation, on a file-backed
// SQLite DB (WAL, synchronous=NORMAL, as the orchestrator opens it), one core.
//   node bench/audit-append.mjs [--n 20000] [--batch 100] [--out-bytes 2048]
// Prints entries/s for: single appends (one transaction each), batched appends (--batch per
// transaction), and verify() over the whole chain. Target: >= 10,000 entries/s.
// Build first: npx tsc -b
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'orchestrator', 'package.json'));
const { AuditLog } = require('./dist/src/audit/index.js');
const { openDatabase } = require('./dist/src/store/db.js');
const { migration002 } = require('./dist/src/store/migrations/002_audit.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 20000);
const BATCH = arg('batch', 100);
const OUT = arg('out-bytes', 2048);
const TARGET = 10_000;

const line = 'PASS src/module.test.ts (12 ms) ✓ does the thing it should do, quickly and well\n';
const secretLine = 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123\n'; // in 1 entry of 100
const stdout = line.repeat(Math.ceil(OUT / line.length)).slice(0, OUT);
const entry = (i) => ({ taskId: `task-${i % 50}`, actor: 'worker:1', action: 'command', command: `npm test -- --grep case${i}`, cwd: '/workspace', verdict: 'allow', exitCode: 0, durationMs: 1234, stdout: i % 100 === 0 ? secretLine + stdout : stdout, stderr: '', data: { i, policy: 'default' } });

function run(label, fn) {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'pp-bench-audit-'));
  const db = openDatabase(join(dir, 'audit.sqlite'), [migration002]);
  const log = new AuditLog(db, { secrets: ['server-token-0123456789'] });
  const t0 = process.hrtime.bigint();
  fn(log);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const t1 = process.hrtime.bigint();
  const v = log.verify();
  const vms = Number(process.hrtime.bigint() - t1) / 1e6;
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (!v.ok || v.count !== N) throw new Error(`verify failed: ${JSON.stringify(v)}`);
  const rate = N / (ms / 1000);
  console.log(`${label.padEnd(34)} ${String(Math.round(rate)).padStart(8)} entries/s  (${(rate / TARGET).toFixed(1)}x target)   verify ${Math.round(N / (vms / 1000))} rows/s`);
  return rate;
}

console.log(`audit append: ${N} entries, ~${OUT} B stdout each, file-backed DB (${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version})`);
run('single (1 transaction each)', (log) => {
  for (let i = 0; i < N; i++) log.append(entry(i));
});
run(`batched (${BATCH} per transaction)`, (log) => {
  for (let i = 0; i < N; i += BATCH) log.appendBatch(Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => entry(i + k)));
});
