// What a single task's evidence costs: the built-in agent's task (one write_file, then finish) on a
// Node fixture whose `npm test` is `node --test`, with `agent.evidence` on and off. With it on, the
// repository's checks run on exactly base + diff and on the base, side by side, before `diff_ready`.
// The real orchestrator (createApp, Docker sandboxes, git, SQLite) and the scripted model server (real
// HTTP) in this process. Needs Docker and the worker image. Build first: npm run build.
//
//   node bench/evidence-single.mjs [--runs 5] [--pool 1] [--suite-ms 0] [--repo <checkout>] [--skip-off]
//
// Measured from the agent's `finish` (its tool_result) to `diff_ready`, per run, after a warm-up task.
// Three settings: evidence off; on with `checks.reuseBase` false (every task runs the base's checks);
// on with reuse (the default: every task after the warm-up starts from the same base, whose results
// the warm-up task ran, so only the proposed tree's checks run). `--suite-ms N`: the test keeps a CPU
// busy for N ms, like a real suite (0: the tiny suite alone). `--repo <checkout>`: a real repository
// instead of the fixture (read, never written: each task adds a note under docs/ in its own copy);
// `--skip-off`: leave out the evidence-off setting.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, orch, orequire, tempDir } from './orchestrator-lib.mjs';

const { ScriptedModelServer } = orequire('./dist/test/helpers/scripted-model.js');
const { WsTestClient } = orequire('./dist/test/helpers/ws-client.js');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const RUNS = Number(arg('runs', 5));
const POOL = Number(arg('pool', 1));
const SUITE_MS = Number(arg('suite-ms', 0));
const REPO = arg('repo', '');
const SKIP_OFF = process.argv.includes('--skip-off');

function fixtureRepo() {
  const dir = tempDir();
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'test'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'evidence-single', version: '1.0.0', private: true, scripts: { test: 'node --test' } }, null, 2)}\n`);
  writeFileSync(join(dir, 'src', 'math.js'), 'exports.sum = (a, b) => a + b;\n');
  writeFileSync(join(dir, 'test', 'math.test.js'), `const test = require('node:test');\nconst assert = require('node:assert');\ntest('sum', () => assert.strictEqual(require('../src/math.js').sum(2, 3), 5));\n${SUITE_MS ? `test('a suite that takes its time', () => { const end = Date.now() + ${SUITE_MS}; while (Date.now() < end); });\n` : ''}`);
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' };
  for (const a of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'init']]) execFileSync('git', a, { cwd: dir, env });
  return dir;
}

async function runs(evidence, reuseBase = true) {
  const model = await ScriptedModelServer.start({ models: ['bench-model'] });
  const config = orch.loadConfig({ env: {}, overrides: { port: 0, dataDir: tempDir(), models: { baseUrl: model.url, model: 'bench-model' }, planner: { enabled: false }, agent: { evidence }, checks: { reuseBase }, sandbox: { diskLimitMb: 0, warmPool: POOL }, rateLimit: { commandsPerSecond: 1000, burst: 1000 } } });
  const app = await orch.createApp(config, { logger: orch.silentLogger });
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 600_000);
  const out = [];
  try {
    await client.start(0);
    const { repoId } = await client.send('repo_add', { source: REPO || fixtureRepo() });
    if (POOL) await app.workbench.sandboxes.waitForPool(120_000);
    for (let n = 0; n <= RUNS; n++) {
      const request = `Evidence single ${evidence ? 'on' : 'off'} ${n}`;
      model.script(request, [
        { toolCalls: [{ name: 'write_file', arguments: REPO ? { path: `docs/pushpals-bench-${n}.md`, content: `# Note ${n}\n` } : { path: 'src/math.js', content: `exports.sum = (a, b) => a + b; // ${n}\n` } }] },
        { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ]);
      const { taskId } = await client.send('task_new', { request, repoId });
      const end = await client.waitForEvent((e) => ['task_completed', 'task_failed'].includes(e.type) && e.payload.taskId === taskId, 'the task', 600_000);
      if (end.type !== 'task_completed') throw new Error(`the task failed: ${JSON.stringify(end.payload).slice(0, 400)}`);
      const own = client.forTask(taskId);
      const finish = own.find((e) => e.type === 'tool_result' && e.payload.tool === 'finish');
      const diff = own.find((e) => e.type === 'diff_ready');
      if (evidence && diff.payload.evidence?.checks.some((c) => c.status !== 'passed')) throw new Error(`no passing evidence: ${JSON.stringify(diff.payload.evidence?.checks.map((c) => [c.name, c.status]))}`);
      // After the warm-up, the base is the warm-up's: reused exactly when reuse is on.
      if (evidence && n > 0 && Boolean(diff.payload.evidence?.before?.[0]?.reusedFrom) !== reuseBase) throw new Error(`the base's check was ${reuseBase ? 'not ' : ''}reused`);
      if (n > 0) out.push(Date.parse(diff.ts) - Date.parse(finish.ts));
      await client.waitForEvent((e) => e.type === 'agent_status' && e.payload.taskId === taskId && e.payload.status === 'idle', 'idle', 60_000);
      if (POOL) await app.workbench.sandboxes.waitForPool(120_000);
    }
    return out;
  } finally {
    client.close();
    await app.close();
    await model.close();
  }
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const s = (ms) => `${fmt(ms / 1000, 2)} s`;
const off = SKIP_OFF ? [] : await runs(false);
const on = await runs(true, false);
const reused = await runs(true, true);
console.log(`a single task's evidence (${REPO ? `the checks of ${REPO}` : `node --test${SUITE_MS ? ` + a ${SUITE_MS} ms suite` : ''}`} on base + diff and on the base, side by side), warm pool ${POOL}; median of ${RUNS} run(s) after a warm-up`);
console.log(`finish → diff_ready: ${SKIP_OFF ? '' : `evidence off ${s(med(off))} (${off.map(s).join(', ')}); `}on, base run each time ${s(med(on))} (${on.map(s).join(', ')}); on, base reused ${s(med(reused))} (${reused.map(s).join(', ')})`);
process.exit(0);
