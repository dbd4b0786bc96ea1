#!/usr/bin/env node
// Replay: a reconnecting client asks for everything after seq 0 of a log holding --n events
// (default 100,000); time from its subscribe to its n-th event (client in another process).
//   node bench/orchestrator-replay.mjs [--n 100000]
// Target: < 2 s for 100,000 events.
import { join } from 'node:path';
import { fmt, root, spawnJson, startApp } from './orchestrator-lib.mjs';

const i = process.argv.indexOf('--n');
const N = i > 0 ? Number(process.argv[i + 1]) : 100_000;
const app = await startApp();
const ev = app.services.events;
for (let k = 0; k < N; k += 1000) {
  ev.appendMany(Array.from({ length: Math.min(1000, N - k) }, (_, j) => ({ type: 'tool_result', sessionId: 'bench', payload: { taskId: 't_bench', toolCallId: `tc${k + j}`, tool: 'run_command', ok: true, exitCode: 0, stdout: 'On branch main\nnothing to commit, working tree clean\n', truncated: false, durationMs: 12 } })));
}
const bytes = app.services.db.prepare('SELECT SUM(LENGTH(json)) FROM events').pluck().get();
const runs = [];
for (let r = 0; r < 3; r++) {
  const c = spawnJson(join(root, 'bench', 'orchestrator-clients.mjs'), [app.wsUrl, app.token, '1', 'replay', String(N), '0']);
  await c.next(); // ready (subscribe sent)
  const { ms } = await c.next();
  runs.push(ms);
  c.child.stdin.write('stop\n');
}
const best = Math.min(...runs);
console.log(`replay of ${fmt(N)} events (${fmt(bytes / 1e6, 1)} MB of JSON) to a reconnecting client: ${runs.map((x) => fmt(x)).join(' / ')} ms (best ${fmt(best)} ms = ${fmt((N / best) * 1000)} events/s); target < 2,000 ms: ${best < 2000 ? 'MET' : 'NOT MET'}`);
await app.close();
process.exit(0);
