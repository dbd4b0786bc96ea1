#!/usr/bin/env node
// The OpenHands worker against the built-in agent (docs/PERFORMANCE.md "OpenHands worker").
// Needs Docker, pushpals-worker:dev and pushpals-openhands:dev; build first (npm run build).
//   node bench/openhands.mjs [tasks per agent, default 3] [broker requests, default 40] [pooled tasks, default 3]
// 1. The same scripted task (read, edit, a command, finish) on each agent, alternating: task wall time,
//    and for OpenHands the container start → /ready (cold), the conversation, the broker's review time.
// 2. The broker's overhead per model call: the same SDK-shaped request (15 KB system prompt, list
//    content parts, two tools) sent straight to the scripted model vs through the broker's socket
//    (flattening + the policy judgment of the reply's tool call).
// 3. The warm pool (openhands.warmPool: 1): the same OpenHands task from a ready slot — start → ready
//    (the working copy and objects mounted into the started server), task wall time — and what an idle
//    slot costs (docker stats of the ready slot before each task).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { createApp, loadConfig, silentLogger } = require('../orchestrator/dist/src/index.js');
const { ScriptedModelServer } = require('../orchestrator/dist/test/helpers/scripted-model.js');
const { WsTestClient } = require('../orchestrator/dist/test/helpers/ws-client.js');
const { ModelBroker } = require('../orchestrator/dist/src/agents/openhands/broker.js');
const { judgeToolCall } = require('../orchestrator/dist/src/agents/openhands/tool-judge.js');
const { ModelClient } = require('../orchestrator/dist/src/model/client.js');
const { TokenBudget } = require('../orchestrator/dist/src/model/accounting.js');
const { EMPTY_POLICY } = require('../orchestrator/dist/src/policy/index.js');

const N = Number(process.argv[2] ?? 3);
const M = Number(process.argv[3] ?? 40);
const P = Number(process.argv[4] ?? 3);
const KEY = 'sk-bench-openhands-0123456789';
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const fmt = (a) => `${pct(a, 0.5).toFixed(0)} / ${Math.max(...a).toFixed(0)}`;
const tmp = [];
const mk = (p) => { const d = mkdtempSync(join(tmpdir(), p)); tmp.push(d); return d; };

const scripts = {
  'worker:builtin': [
    { toolCalls: [{ name: 'run_command', arguments: { command: 'cat README.md' } }] },
    { toolCalls: [{ name: 'edit_file', arguments: { path: 'README.md', old_text: 'Teh', new_text: 'The' } }] },
    { toolCalls: [{ name: 'run_command', arguments: { command: 'git status --short' } }] },
    { toolCalls: [{ name: 'finish', arguments: { summary: 'fixed' } }] },
  ],
  openhands: [
    { toolCalls: [{ name: 'terminal', arguments: { command: 'cat README.md' } }] },
    { toolCalls: [{ name: 'file_editor', arguments: { command: 'str_replace', path: '/workspace/README.md', old_str: 'Teh', new_str: 'The' } }] },
    { toolCalls: [{ name: 'terminal', arguments: { command: 'git status --short' } }] },
    { toolCalls: [{ name: 'finish', arguments: { message: 'fixed' } }] },
  ],
};

async function tasks() {
  const model = await ScriptedModelServer.start({ apiKey: KEY });
  const repo = mk('ob-repo-');
  writeFileSync(join(repo, 'README.md'), '# x\n\nTeh project.\n');
  execFileSync('sh', ['-c', 'git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t commit -qm i'], { cwd: repo });
  const dataDir = mk('ob-home-');
  writeFileSync(join(dataDir, 'model-key'), `${KEY}\n`, { mode: 0o600 });
  const app = await createApp(loadConfig({ env: {}, overrides: { port: 0, dataDir, models: { baseUrl: model.url, model: 'scripted-coder' }, planner: { enabled: false } } }), { logger: silentLogger });
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 300_000);
  await client.start(0);
  const { repoId } = await client.send('repo_add', { source: repo });
  const oh = app.services.agents.list().find((a) => a.id === 'openhands');
  const wall = { 'worker:builtin': [], openhands: [] };
  const ready = [], conv = [], review = [];
  try {
    for (let i = 0; i < N; i++) {
      for (const agent of ['worker:builtin', 'openhands']) {
        const request = `bench ${agent} ${i}: fix the typo`;
        model.script(request, scripts[agent]);
        const t0 = performance.now();
        const { taskId } = await client.send('task_new', { request, repoId, agent });
        const end = await client.waitForEvent((e) => ['task_completed', 'task_failed'].includes(e.type) && e.payload.taskId === taskId, 'task end', 300_000);
        if (end.type !== 'task_completed') throw new Error(`${agent}: ${JSON.stringify(end.payload)}`);
        wall[agent].push(performance.now() - t0);
        if (agent === 'openhands') {
          ready.push(oh.lastStats.readyMs);
          conv.push(oh.lastStats.conversationMs);
          review.push(oh.lastStats.reviewMs / oh.lastStats.modelCalls);
        }
      }
    }
  } finally {
    client.close();
    await app.close(); // unmounts the working copies' volumes before the temp dirs go
    await model.close();
  }
  console.log(`same scripted task (cat, edit, git status, finish), n=${N} each, p50 / max ms:`);
  console.log(`  worker:builtin  task_new → task_completed   ${fmt(wall['worker:builtin'])}`);
  console.log(`  openhands       task_new → task_completed   ${fmt(wall.openhands)}`);
  console.log(`  openhands       container create → /ready (cold)   ${fmt(ready)}`);
  console.log(`  openhands       message → finished (4 model calls, 3 actions)   ${fmt(conv)}`);
  console.log(`  openhands       review per model call (policy, no approval)   ${pct(review, 0.5).toFixed(2)} ms`);
}

/** Memory of this instance's idle OpenHands pool slot (docker stats), in MiB. */
function slotMemMiB(instance) {
  const ids = execFileSync('docker', ['ps', '-q', '--filter', 'label=pushpals.openhands=1', '--filter', 'label=pushpals.pool=1', '--filter', `label=pushpals.instance=${instance}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (ids.length !== 1) return NaN;
  execFileSync('sync');
  const mem = execFileSync('docker', ['stats', '--no-stream', '--format', '{{.MemUsage}}', ids[0]], { encoding: 'utf8' }).split('/')[0].trim();
  const n = parseFloat(mem);
  return /GiB/.test(mem) ? n * 1024 : /KiB/.test(mem) ? n / 1024 : n;
}

async function pooled() {
  const model = await ScriptedModelServer.start({ apiKey: KEY });
  const repo = mk('ob-repo-');
  writeFileSync(join(repo, 'README.md'), '# x\n\nTeh project.\n');
  execFileSync('sh', ['-c', 'git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t commit -qm i'], { cwd: repo });
  const dataDir = mk('ob-home-');
  writeFileSync(join(dataDir, 'model-key'), `${KEY}\n`, { mode: 0o600 });
  const app = await createApp(loadConfig({ env: {}, overrides: { port: 0, dataDir, models: { baseUrl: model.url, model: 'scripted-coder' }, planner: { enabled: false }, openhands: { warmPool: 1 } } }), { logger: silentLogger });
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 300_000);
  await client.start(0);
  const { repoId } = await client.send('repo_add', { source: repo });
  const oh = app.services.agents.list().find((a) => a.id === 'openhands');
  const instance = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  const ready = [], wall = [], mem = [];
  try {
    for (let i = 0; i < P; i++) {
      await oh.pool.waitFull(600_000);
      await new Promise((r) => setTimeout(r, 3000)); // let the fresh server settle before measuring it
      mem.push(slotMemMiB(instance));
      const request = `bench pooled ${i}: fix the typo`;
      model.script(request, scripts.openhands);
      const t0 = performance.now();
      const { taskId } = await client.send('task_new', { request, repoId, agent: 'openhands' });
      const end = await client.waitForEvent((e) => ['task_completed', 'task_failed'].includes(e.type) && e.payload.taskId === taskId, 'task end', 300_000);
      if (end.type !== 'task_completed') throw new Error(`pooled: ${JSON.stringify(end.payload)}`);
      wall.push(performance.now() - t0);
      if (!oh.lastStats.pooled) throw new Error('the task did not get a pool slot');
      ready.push(oh.lastStats.readyMs);
    }
  } finally {
    client.close();
    await app.close();
    await model.close();
  }
  console.log(`warm pool (openhands.warmPool 1), n=${P}, p50 / max:`);
  console.log(`  openhands       task_new → task_completed (pooled)   ${fmt(wall)} ms`);
  console.log(`  openhands       start → ready from the pool (mounts + broker)   ${fmt(ready)} ms`);
  console.log(`  idle slot memory (docker stats)   ${fmt(mem)} MiB`);
}

function post(opts, body) {
  return new Promise((resolve, reject) => {
    const req = request({ method: 'POST', headers: { 'content-type': 'application/json' }, ...opts }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}

async function broker() {
  const model = await ScriptedModelServer.start({ apiKey: KEY });
  model.script('broker bench', Array.from({ length: 2 * M + 10 }, () => ({ toolCalls: [{ name: 'terminal', arguments: { command: 'git status --short && cat README.md' } }] })));
  const endpoint = { role: 'coder', baseUrl: model.url, model: 'scripted-coder', keyFile: 'k', keyEnv: 'K', toolCalls: 'auto', maxTokens: 0, timeoutMs: 5000, maxRetries: 0, keyPath: '/x' };
  const client = new ModelClient(endpoint, KEY);
  const b = new ModelBroker({ client, budget: new TokenBudget(1e12), signal: new AbortController().signal, review: async (c) => (judgeToolCall(c.name, c.arguments, EMPTY_POLICY, false), { keep: true }) });
  const sock = join(mk('ob-sock-'), 'model.sock');
  await b.listen(sock);
  const tools = ['terminal', 'file_editor', 'think', 'finish'].map((name) => ({ type: 'function', function: { name, description: 'x'.repeat(400), parameters: { type: 'object', properties: { command: { type: 'string' } } } } }));
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'system', content: [{ type: 'text', text: 'S'.repeat(15_500) }] }, { role: 'user', content: [{ type: 'text', text: 'broker bench' }] }], tools, reasoning_effort: 'high', prompt_cache_key: 'x' });
  const u = new URL(model.url);
  const direct = [], viaBroker = [];
  for (let i = 0; i < M + 5; i++) {
    let t = performance.now();
    await post({ host: u.hostname, port: u.port, path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` } }, body);
    if (i >= 5) direct.push(performance.now() - t);
    t = performance.now();
    await post({ socketPath: sock, path: '/v1/chat/completions' }, body);
    if (i >= 5) viaBroker.push(performance.now() - t);
  }
  await b.close();
  await model.close();
  console.log(`model call, SDK-shaped 17 KB request, n=${M}, p50 / p95 ms: direct ${pct(direct, 0.5).toFixed(2)} / ${pct(direct, 0.95).toFixed(2)}; via the broker ${pct(viaBroker, 0.5).toFixed(2)} / ${pct(viaBroker, 0.95).toFixed(2)}; overhead p50 ${(pct(viaBroker, 0.5) - pct(direct, 0.5)).toFixed(2)} ms`);
}

try {
  await broker();
  if (N > 0) await tasks();
  if (P > 0) await pooled();
} finally {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
}
