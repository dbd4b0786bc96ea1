#!/usr/bin/env node
// Durable queue throughput on a file-backed SQLite DB (WAL): claim + complete cycles per second.
//   node bench/orchestrator-queue.mjs [--n 20000]
// 1. direct: one process calls claim() then complete() in a loop (each a BEGIN IMMEDIATE
//    transaction that also appends its job_claimed / job_completed event); then the batched
//    forms (claimBatch / completeMany: one transaction per batch), which the Worker uses.
// 2. worker: the Worker loop (concurrency 8; claims of free slots and completions of a tick batched) with an empty async handler, one process.
// 3. 4 processes: four Worker processes (concurrency 4 each) compete for the same DB file;
//    checks that every job completed exactly once.
// Target: >= 5,000 cycles/s.
import { join } from 'node:path';
import { fmt, orch, root, spawnJson, tempDir } from './orchestrator-lib.mjs';

const i = process.argv.indexOf('--n');
const N = i > 0 ? Number(process.argv[i + 1]) : 20_000;
const qcfg = { leaseMs: 30_000, backoffBaseMs: 100, backoffMaxMs: 1000, maxAttempts: 3 };

function fresh(queue) {
  const file = join(tempDir(), 'q.db');
  const db = orch.openDatabase(file);
  const events = new orch.EventLog(db, orch.systemClock);
  const q = new orch.JobQueue({ db, events, clock: orch.systemClock }, qcfg);
  db.transaction(() => {
    for (let k = 0; k < N; k++) q.enqueue({ queue, payload: { k } });
  })();
  events.flush();
  return { file, db, q };
}

const results = {};
{
  const { db, q } = fresh('bench');
  const t0 = performance.now();
  let n = 0;
  for (let job; (job = q.claim('bench-worker', ['bench'])); n++) q.complete(job.id, 'bench-worker');
  const ms = performance.now() - t0;
  results.direct = (n / ms) * 1000;
  console.log(`direct claim() + complete(), one transaction each, 1 process: ${fmt(n)} jobs in ${fmt(ms)} ms = ${fmt(results.direct)} cycles/s`);
  db.close();
}
{
  const { db, q } = fresh('bench');
  const t0 = performance.now();
  let n = 0;
  for (let jobs; (jobs = q.claimBatch('bench-worker', ['bench'], 64)).length; n += jobs.length) q.completeMany(jobs.map((j) => ({ jobId: j.id, workerId: 'bench-worker' })));
  const ms = performance.now() - t0;
  results.batched = (n / ms) * 1000;
  console.log(`direct claimBatch(64) + completeMany(), 1 process: ${fmt(n)} jobs in ${fmt(ms)} ms = ${fmt(results.batched)} cycles/s`);
  db.close();
}
{
  const { db, q } = fresh('bench');
  const w = new orch.Worker(q, { concurrency: 8, pollMs: 50, leaseMs: 30_000 }, orch.silentLogger);
  w.register('bench', async () => undefined);
  const t0 = performance.now();
  w.start();
  const left = db.prepare(`SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')`).pluck();
  while (left.get() > 0) await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - t0;
  await w.stop();
  results.worker = (N / ms) * 1000;
  console.log(`Worker loop (concurrency 8), 1 process: ${fmt(N)} jobs in ${fmt(ms)} ms = ${fmt(results.worker)} cycles/s`);
  db.close();
}
{
  const { file, db, q } = fresh('mp');
  const claimer = join(root, 'orchestrator', 'dist', 'test', 'fixtures', 'queue-claimer.js');
  const kids = Array.from({ length: 4 }, () => spawnJson(claimer, [file, '4', '0']));
  for (const k of kids) await k.next(); // the line "ready" (parsed as a string)
  const t0 = performance.now();
  for (const k of kids) k.child.stdin.write('go\n');
  const outs = await Promise.all(kids.map((k) => k.next()));
  const ms = performance.now() - t0;
  const all = outs.flatMap((o) => o.ran);
  const once = all.length === N && new Set(all).size === N && q.countByState().completed === N;
  results.multi = (N / ms) * 1000;
  console.log(`4 processes (Worker, concurrency 4 each) on one DB file: ${fmt(N)} jobs in ${fmt(ms)} ms = ${fmt(results.multi)} cycles/s; split ${outs.map((o) => o.ran.length).join(' / ')}; each job completed exactly once: ${once ? 'yes' : 'NO'}`);
  db.close();
}
console.log(`target >= 5,000 cycles/s: one transaction per op ${results.direct >= 5000 ? 'MET' : 'NOT MET'}, batched ${results.batched >= 5000 ? 'MET' : 'NOT MET'}, worker ${results.worker >= 5000 ? 'MET' : 'NOT MET'}, 4 processes ${results.multi >= 5000 ? 'MET' : 'NOT MET'}`);
process.exit(0);
