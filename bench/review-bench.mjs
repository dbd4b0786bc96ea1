#!/usr/bin/env node
// Diff review in a REAL VS Code (code-server) with a REAL orchestrator whose coding agent is the scripted
// model server: one task proposes a 200-hunk diff of one file, another a 50-file diff. The in-host part
// (extension/src/test/bench/review.ts) measures opening the 50-file review and, per Accept, the time to
// the decorations applied and to the CodeLens provided again. Prints JSON; not a timed test.
// Usage: node bench/review-bench.mjs   (build first: npm run build -w extension && npx tsc -b)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVSCode, log } from '../test/e2e/lib.mjs';
import { spawnOrchestrator } from '../test/e2e/orchestrator.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const extDir = process.env.BENCH_EXTENSION_DIR || join(root, 'extension');
const { ScriptedModelServer } = await import(join(root, 'orchestrator', 'dist', 'test', 'helpers', 'scripted-model.js'));
const KEY = 'sk-bench-review-0123456789abcdef';
const git = (cwd, ...a) => {
  const r = spawnSync('git', a, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@example.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@example.invalid' } });
  if (r.status !== 0) throw new Error(r.stderr);
};

// big.txt: 2,000 lines, every 10th changed → 200 hunks; 50 files of 20 lines, one line changed in each.
const bigBase = Array.from({ length: 2000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const bigNew = bigBase.split('\n').map((l, i) => (i % 10 === 4 && i < 2000 ? `${l} (changed)` : l)).join('\n');
const small = (k) => Array.from({ length: 20 }, (_, i) => `file ${k} line ${i + 1}`).join('\n') + '\n';
const workspace = mkdtempSync(join(tmpdir(), 'pushpals-bench-review-'));
writeFileSync(join(workspace, 'big.txt'), bigBase);
mkdirSync(join(workspace, 'many'));
for (let k = 0; k < 50; k++) writeFileSync(join(workspace, 'many', `f${k}.txt`), small(k));
git(workspace, 'init', '-q', '-b', 'main');
git(workspace, 'add', '-A');
git(workspace, 'commit', '-q', '-m', 'bench');

const model = await ScriptedModelServer.start({ apiKey: KEY, models: ['scripted-coder'] });
const finish = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
model.script('Change every tenth line', [{ toolCalls: [{ name: 'write_file', arguments: { path: 'big.txt', content: bigNew } }] }, finish]);
model.script('Touch fifty files', [...Array.from({ length: 50 }, (_, k) => ({ toolCalls: [{ name: 'write_file', arguments: { path: `many/f${k}.txt`, content: small(k).replace('line 10\n', 'line 10 (changed)\n') } }] })), finish]);
const home = mkdtempSync(join(tmpdir(), 'pushpals-home-'));
writeFileSync(join(home, 'model-key'), `${KEY}\n`, { mode: 0o600 });
const orch = await spawnOrchestrator({ home, config: { models: { baseUrl: model.url, model: 'scripted-coder' }, agent: { maxSteps: 60 }, rateLimit: { commandsPerSecond: 1_000_000, burst: 1_000_000 } } });
try {
  const headers = { authorization: `Bearer ${orch.token}`, 'content-type': 'application/json' };
  let n = 0;
  const post = async (type, payload) => {
    const frame = { protocolVersion: '1.0', id: `c_bench_${++n}`, ts: new Date().toISOString(), sessionId: 's_bench', type, from: 'cli', payload };
    const r = await (await fetch(`${orch.url}/api/commands`, { method: 'POST', headers, body: JSON.stringify(frame) })).json();
    if (r.type !== 'ack') throw new Error(`${type}: ${JSON.stringify(r.payload)}`);
    return r.payload.result;
  };
  const repo = await post('repo_add', { source: workspace });
  for (const request of ['Change every tenth line', 'Touch fifty files']) log(JSON.stringify(await post('task_new', { request, repoId: repo.repoId })));
  const outFile = join(mkdtempSync(join(tmpdir(), 'pushpals-bench-')), 'out.json');
  const vsc = await startVSCode({ workspace, extensionDevelopmentPath: extDir, extensionTestsPath: join(extDir, 'out', 'test', 'bench', 'review.js'), env: { PUSHPALS_HOME: orch.home, BENCH_OUT: outFile } });
  const done = new Promise((res) => vsc.page.exposeFunction('codeAutomationExit', (code) => res(code)));
  await vsc.page.goto(vsc.url);
  const code = await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), 300000))]);
  await vsc.stop();
  if (code !== 0) throw new Error(`in-host bench exited ${code}\n${orch.log().slice(-2000)}`);
  console.log(JSON.stringify(JSON.parse(readFileSync(outFile, 'utf8')), null, 1));
  rmSync(dirname(outFile), { recursive: true, force: true });
} finally {
  await orch.cleanup();
  await model.close();
  rmSync(workspace, { recursive: true, force: true });
}
