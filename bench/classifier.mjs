// The command classifier off the main thread (orchestrator/src/policy/classifier-pool.ts).
// Build first: npm run build.
//
//   node bench/classifier.mjs [--rounds 50] [--only overhead|stall] [--inline]
//
// overhead (no Docker): a sample of ordinary agent command lines, each classified --rounds times
//   inline (the synchronous core, this thread) and through the worker pool (a warm worker: one
//   postMessage each way). Per classification p50/p99 of both, and the worker's added time.
// stall (Docker and the worker image): the real orchestrator (createApp with its workbench) and the
//   scripted model server (real HTTP) in this process; a WebSocket client in another process
//   (bench/status-client.mjs) asks "status" every 100 ms while the built-in agent submits a
//   pathological line (6,500 `true` statements, just under the 32 KiB cap: seconds of classifying)
//   through run_command. Reported: the "status" round trips from the task's
//   start until its tool_call shows the verdict (with the pool: ask, the classifier gave up after
//   policy.classifyTimeoutMs), and how long that took. --inline swaps the pool for the inline
//   classifier: the old behaviour (the line is allowed, after blocking the event loop).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, orch, orequire, pct, root, spawnJson, tempDir } from './orchestrator-lib.mjs';

const { ClassifierPool, inlineClassifier } = orequire('./dist/src/policy/classifier-pool.js');
const { classifyCommand } = orequire('./dist/src/policy/index.js');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', 50));
const ONLY = arg('only', '');
const INLINE = process.argv.includes('--inline');
const ms = (n) => `${fmt(n, n < 10 ? 2 : 0)} ms`;

const LINES = [
  'git status',
  'git diff --stat HEAD~1',
  'npm test',
  'npx tsc -b && npx eslint --max-warnings 0 src',
  'grep -rn TODO src | wc -l',
  'cd packages/app && npm run build -- --watch=false',
  'for f in src/*.ts; do wc -l "$f"; done | sort -n | tail -5',
  "sed -n '1,40p' src/index.ts",
  'python3 -m pytest -x tests/ 2>&1 | tail -20',
  'find . -name "*.test.js" -not -path "./node_modules/*" | head',
];
const PATHOLOGICAL = Array.from({ length: 6500 }, () => 'true').join(';');

async function overhead() {
  for (const l of LINES) classifyCommand(l); // the parser is loaded, the JIT warm
  const pool = new ClassifierPool();
  for (const l of LINES) await pool.classify(l);
  const inline = [];
  const worker = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const l of LINES) {
      let t = performance.now();
      classifyCommand(l);
      inline.push(performance.now() - t);
      t = performance.now();
      await pool.classify(l);
      worker.push(performance.now() - t);
    }
  }
  await pool.close();
  console.log(`per classification, ${LINES.length} ordinary lines x ${ROUNDS} rounds:`);
  console.log(`  inline (main thread): p50 ${ms(pct(inline, 50))}, p99 ${ms(pct(inline, 99))}`);
  console.log(`  worker pool:          p50 ${ms(pct(worker, 50))}, p99 ${ms(pct(worker, 99))}; added p50 ${ms(pct(worker, 50) - pct(inline, 50))}`);
  const t = performance.now();
  classifyCommand(PATHOLOGICAL);
  console.log(`  the pathological line (6,500 statements, ${PATHOLOGICAL.length} bytes) inline: ${ms(performance.now() - t)}`);
}

function fixtureRepo() {
  const dir = tempDir();
  writeFileSync(join(dir, 'README.md'), '# Bench\n');
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' };
  for (const a of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'init']]) execFileSync('git', a, { cwd: dir, env });
  return dir;
}

async function stall() {
  const { ScriptedModelServer } = orequire('./dist/test/helpers/scripted-model.js');
  const { WsTestClient } = orequire('./dist/test/helpers/ws-client.js');
  const model = await ScriptedModelServer.start({ models: ['bench-model'] });
  const config = orch.loadConfig({ env: {}, overrides: { port: 0, dataDir: tempDir(), models: { baseUrl: model.url, model: 'bench-model' }, planner: { enabled: false }, sandbox: { diskLimitMb: 0 }, rateLimit: { commandsPerSecond: 1000, burst: 1000 } } });
  const app = await orch.createApp(config, { logger: orch.silentLogger });
  if (INLINE) app.workbench.classifier.classify = (...a) => inlineClassifier.classify(...a);
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 600_000);
  try {
    await client.start(0);
    const { repoId } = await client.send('repo_add', { source: fixtureRepo() });
    // Warm-up: the parser loaded (inline) or the worker started (pool), as in a running orchestrator.
    await app.workbench.classifier.classify('git status');
    model.script('Stall bench', [{ toolCalls: [{ name: 'run_command', arguments: { command: PATHOLOGICAL } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const status = spawnJson(join(root, 'bench', 'status-client.mjs'), [app.wsUrl, app.token]);
    await status.next(); // subscribed
    await new Promise((r) => setTimeout(r, 500)); // a few round trips before the line
    const t0 = performance.now();
    const { taskId } = await client.send('task_new', { request: 'Stall bench: run it', repoId });
    // The tool_call event carries the policy's verdict: the classification is over.
    const asked = (e) => e.type === 'tool_call' && e.payload.taskId === taskId;
    await client.waitForEvent(asked, 'the verdict', 120_000);
    const askedAfter = performance.now() - t0;
    status.child.stdin.write('stop\n');
    const { statusMs } = await status.next();
    const { verdict, reason } = client.events.find(asked).payload.policy;
    await client.send('task_cancel', { taskId }).catch(() => undefined); // inline: it was allowed, and may have ended
    console.log(`"status" round trip while an agent's pathological line is classified (${INLINE ? 'inline: the old behaviour' : `worker pool, deadline ${config.policy.classifyTimeoutMs} ms`}; ${statusMs.length} samples):`);
    console.log(`  p50 ${ms(pct(statusMs, 50))}, p99 ${ms(pct(statusMs, 99))}, max ${ms(Math.max(...statusMs))}; verdict after ${ms(askedAfter)}: ${verdict} "${reason.slice(0, 90)}"`);
  } finally {
    client.close();
    await app.close();
    await model.close();
  }
}

if (ONLY !== 'stall') await overhead();
if (ONLY !== 'overhead') await stall();
process.exit(0);
