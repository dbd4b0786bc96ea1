/**
 * PushPals with a REAL model, offline: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) under llama.cpp's own
 * OpenAI-compatible server (no proxy: the model writes its tool calls as JSON text and PushPals' model
 * client reads them), the real orchestrator, the real coding agent loop, a real Docker sandbox, a real
 * git repository. Two whole tasks: a question about the repository (answered with git in the sandbox)
 * and a one-line fix. Slow by nature (2 cores: ~40 s for the first model turn); prints its timings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventMessage, EventPayload } from '@pushpals/protocol';
import { closeSession, makeFixtureRepo, openSession, type Session } from '../helpers/e2e-env';
import { LOCAL_MODEL_NAME, startLocalModel, type LocalModel } from '../helpers/local-model';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const BUGGY = 'function add(a, b) {\n  return a - b;\n}\n\nmodule.exports = { add };\n';
const TEST_SCRIPT = `node -e "const m = require('./src/math.js'); if (m.add(2, 3) !== 5) { console.error('add is wrong'); process.exit(1) } console.log('add ok')"`;
const TASK_MS = 8 * 60_000;

describe('a real local model (Qwen2.5-Coder-1.5B under llama-server) drives the coding agent', function () {
  this.timeout(20 * 60_000);
  let model: LocalModel | undefined;
  let s: Session | undefined;
  let repoId = '';
  const timings: string[] = [];

  const run = async (request: string): Promise<{ taskId: string; end: EventMessage; events: EventMessage[]; t: string; seconds: number; modelCalls: number }> => {
    assert.ok(s, 'the suite set-up failed');
    const t0 = Date.now();
    const { taskId } = await s.client.send('task_new', { request, repoId });
    const end = await waitTerminal(s.client, taskId, TASK_MS);
    await waitIdle(s.client, taskId);
    const seconds = (Date.now() - t0) / 1000;
    const db = new Database(s.app.services.config.dbFile, { readonly: true });
    const modelCalls = db.prepare(`SELECT COUNT(*) FROM audit_log WHERE task_id = ? AND action = 'model_call'`).pluck().get(taskId) as number;
    db.close();
    timings.push(`${request.slice(0, 60)}: ${seconds.toFixed(1)} s, ${modelCalls} model call(s), ${end.type}`);
    return { taskId, end, events: s.client.forTask(taskId), t: trace(s.client, taskId), seconds, modelCalls };
  };

  before(async function () {
    model = await startLocalModel();
    timings.push(`model server start: ${model.startSeconds.toFixed(1)} s`);
    s = await openSession('pushpals-local-model-', {
      // What the README recommends for this model. Temperature 0: without sampling noise a 1.5B model writes its
      // calls consistently. toolCalls "json": tools described in the prompt, results as plain user turns; with
      // native tool turns (llama.cpp renders results as <tool_response> blocks) it echoed those instead of calling.
      models: { baseUrl: model.url, model: LOCAL_MODEL_NAME, temperature: 0, toolCalls: 'json', timeoutMs: 300_000, maxRetries: 0 },
      agent: { maxSteps: 8 },
      // The coding agent takes each request whole: a 1.5B model does not write a usable plan.
      planner: { enabled: false },
    });
    const repo = makeFixtureRepo({ testScript: TEST_SCRIPT, files: { 'src/math.js': BUGGY } });
    repoId = (await s.client.send('repo_add', { source: repo })).repoId;
  });

  after(async function () {
    await closeSession(s ?? {});
    model?.stop();
    for (const line of timings) console.log(`      [local-model] ${line}`);
  });

  it('answers "What branch is this repo on, and which files changed?" by running git in the sandbox', async () => {
    const r = await run('What branch is this repo on, and which files changed?');
    assert.equal(r.end.type, 'task_completed', r.t);
    const commands = ofType(r.events, 'tool_call').filter((e) => e.payload.tool === 'run_command').map((e) => String(e.payload.args.command));
    assert.ok(commands.some((c) => /\bgit\b/.test(c)), `the model ran no git command:\n${r.t}`);
    const results = ofType(r.events, 'tool_result').filter((e) => e.payload.tool === 'run_command' && e.payload.ok);
    assert.ok(results.length > 0, `no git command succeeded:\n${r.t}`);
    const summary = (r.end.payload as EventPayload<'task_completed'>).summary;
    // The working copy is on the task's branch: the answer must name it (read from git, not guessed).
    assert.ok(summary.includes(`pushpals/${r.taskId}`), `the answer does not name the branch pushpals/${r.taskId}: ${summary}\n${r.t}`);
  });

  it('makes a one-line fix: add() subtracts; the diff changes exactly that line', async () => {
    const r = await run('Fix the bug in src/math.js: add(2, 3) returns -1 instead of 5.');
    assert.equal(r.end.type, 'task_completed', r.t);
    const diffs = ofType(r.events, 'diff_ready');
    assert.equal(diffs.length, 1, `no diff:\n${r.t}`);
    assert.deepEqual(diffs[0]?.payload.files, ['src/math.js'], r.t);
    const changed = (diffs[0]?.payload.diff ?? '').split('\n').filter((l) => /^[-+](?![-+]{2})/.test(l));
    assert.deepEqual(changed.map((l) => `${l[0]}${l.slice(1).trim()}`), ['-return a - b;', '+return a + b;'], `not the one-line fix:\n${diffs[0]?.payload.diff}`);
    assert.ok(s);
    // The working copy (kept for review) holds exactly the fixed file; nothing of the model's runs on the host.
    assert.equal(readFileSync(join(s.dataDir, 'workspaces', r.taskId, 'src', 'math.js'), 'utf8'), BUGGY.replace('a - b', 'a + b'));
  });
});
