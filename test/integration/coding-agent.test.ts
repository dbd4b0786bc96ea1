/**
 * The built-in coding agent end to end: the real orchestrator on port 0, a real Docker sandbox, a
 * real git fixture repository, a real WebSocket client, and the scripted OpenAI-compatible model
 * server (real HTTP) playing the model. "Add a function sum to src/math.js" → the agent reads,
 * edits, runs the tests in the sandbox, finishes; the change is in the task's working copy; the
 * audit trail has the model calls; the key is nowhere in clear. Then the unhappy paths: a model that
 * fails with 500s then answers, malformed tool calls sent back with the error, the step limit, the
 * token budget.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import type { EventMessage } from '@pushpals/protocol';
import { makeFixtureRepo, ModelSuiteSession } from '../helpers/e2e-env';
import { ofType, seqOf, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-coder-key-7f3a9c1e5b2d4680';
const MAX_STEPS = 6;
const TOKEN_BUDGET = 20_000;
const MATH_JS = 'function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n';
const TEST_SCRIPT = `node -e "const m = require('./src/math.js'); if (m.sum(2, 3) !== 5) { console.error('sum is wrong'); process.exit(1) } console.log('sum ok')"`;

/** The last message of a request as text (what the model is answering). */
const lastText = (r: RecordedRequest): string => (typeof r.last?.content === 'string' ? r.last.content : JSON.stringify(r.last?.content ?? ''));
const expectLast = (role: string, re: RegExp) => (r: RecordedRequest) => (r.last?.role !== role ? `expected a ${role} message last, got ${r.last?.role}` : re.test(lastText(r)) ? undefined : `expected the last message to match ${re}, got ${JSON.stringify(lastText(r).slice(0, 300))}`);

describe('coding agent end to end (real Docker, real git, real WebSocket, scripted model)', function () {
  this.timeout(180_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';
  let repoDir = '';

  const run = async (request: string): Promise<{ taskId: string; end: EventMessage; events: EventMessage[]; t: string }> => {
    const { taskId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), taskId, 120_000);
    await waitIdle(c(), taskId);
    return { taskId, end, events: c().forTask(taskId), t: trace(c(), taskId) };
  };
  /** The task's audit rows, read from the DB file itself. */
  const auditRows = (taskId: string): Array<{ action: string; command: string | null; data: Record<string, unknown> }> => {
    const db = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      const rows = db.prepare(`SELECT action, command, data FROM audit_log WHERE task_id = ? ORDER BY seq`).all(taskId) as Array<{ action: string; command: string | null; data: string | null }>;
      return rows.map((r) => ({ ...r, data: JSON.parse(r.data ?? '{}') as Record<string, unknown> }));
    } finally {
      db.close();
    }
  };
  const errorOf = (e: EventMessage) => (e.payload as { error: { code: string; message: string } }).error;

  before(async function () {
    await s.open('pushpals-e2e-agent-', { key: KEY, overrides: { models: { maxRetries: 3 }, agent: { maxSteps: MAX_STEPS, tokenBudget: TOKEN_BUDGET } } });
    repoDir = makeFixtureRepo({ testScript: TEST_SCRIPT, files: { 'src/math.js': MATH_JS } });
    repoId = (await c().send('repo_add', { source: repoDir })).repoId;
  });

  after(() => s.close());

  it('"Add a function sum to src/math.js": reads, edits, runs npm test in the sandbox, finishes; the working copy has the change; events in order', async function () {
    m().script('Add a function sum', [
      { toolCalls: [{ name: 'read_file', arguments: { path: 'src/math.js' } }] },
      {
        expect: expectLast('tool', /function add\(a, b\)/),
        toolCalls: [{ name: 'edit_file', arguments: { path: 'src/math.js', old_text: 'module.exports = { add };', new_text: 'function sum(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add, sum };' } }],
      },
      // This model writes its next call as JSON text (the fallback must read it).
      { expect: expectLast('tool', /edited src\/math\.js/), textToolCall: { name: 'run_command', arguments: { command: 'npm test' } }, style: 'fenced', prefix: 'Now the tests.' },
      { expect: expectLast('tool', /exit code 0[\s\S]*sum ok/), toolCalls: [{ name: 'finish', arguments: { summary: 'Added sum(a, b) to src/math.js; npm test passes.' } }] },
    ]);
    const { taskId, end, events, t } = await run('Add a function sum to src/math.js');
    assert.equal(end.type, 'task_completed', t);
    assert.match((end.payload as { summary: string }).summary, /Added sum\(a, b\)[\s\S]*src\/math\.js/, t);
    assert.deepEqual(m().unscripted, []);

    // The change is in the task's working copy, on its branch; the person's repository is untouched.
    const ws = join(s.dataDir(), 'workspaces', taskId);
    assert.match(readFileSync(join(ws, 'src/math.js'), 'utf8'), /function sum\(a, b\) \{\n {2}return a \+ b;\n\}\n\nmodule\.exports = \{ add, sum \};/);
    // (read as data: no host git runs in a working copy the sandbox wrote)
    assert.equal(readFileSync(join(ws, '.git', 'HEAD'), 'utf8').trim(), `ref: refs/heads/pushpals/${taskId}`);
    assert.deepEqual(await s.app().workbench?.repos.changedFiles(taskId), [{ path: 'src/math.js', status: 'modified' }]);
    assert.equal(readFileSync(join(repoDir, 'src/math.js'), 'utf8'), MATH_JS);

    // Events: each tool a tool_call/tool_result pair, in this order, seqs strictly increasing.
    const seqs = events.map(seqOf);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'events arrive in seq order');
    // The agent's own calls, then the checks the orchestrator runs as evidence (on the result and on the base, side by side).
    const allCalls = ofType(events, 'tool_call');
    const calls = allCalls.slice(0, 4);
    assert.deepEqual(calls.map((e) => e.payload.tool), ['read_file', 'edit_file', 'run_command', 'finish'], t);
    assert.deepEqual(allCalls.slice(4).map((e) => String(e.payload.args.command).replace(/ [0-9a-f]{12}\)$/, ')')).sort(), ['npm test (check "test" on the base, tree)', 'npm test (check "test" on the proposed result, tree)'], t);
    const results = ofType(events, 'tool_result').slice(0, 4);
    assert.deepEqual(results.map((e) => e.payload.toolCallId), calls.map((e) => e.payload.toolCallId), 'one result per call, same order');
    for (const [i, call] of calls.entries()) assert.ok(seqOf(call) < seqOf(results[i] as EventMessage), 'a call precedes its result');
    const npm = results[2];
    assert.equal(npm?.payload.exitCode, 0, t);
    assert.match(npm?.payload.stdout ?? '', /sum ok/);
    const order = ['task_started', 'tool_call', 'diff_ready', 'task_completed'].map((type) => events.findIndex((e) => e.type === type));
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `order task_started < tool_call < diff_ready < task_completed:\n${t}`);
    assert.ok(order.every((i) => i >= 0), t);
    const diff = ofType(events, 'diff_ready')[0];
    assert.deepEqual(diff?.payload.files, ['src/math.js']);
    assert.match(diff?.payload.diff ?? '', /\+function sum\(a, b\) \{/);
    assert.ok((diff?.payload.hunks.length ?? 0) >= 1);
    // Evidence bound to the proposed tree: the test passes on the result and fails on the base (no sum there).
    const evidence = diff?.payload.evidence;
    assert.ok(evidence, t);
    assert.deepEqual(evidence.checks.map((c) => [c.name, c.status]), [['test', 'passed']]);
    assert.deepEqual(evidence.before?.map((c) => [c.name, c.status, c.exitCode]), [['test', 'failed', 1]]);
    const checked = ofType(events, 'check_result').map((e) => e.payload);
    assert.equal(checked.find((c) => c.phase === 'combined')?.treeId, evidence.treeId, 'the check_result names the same tree');
    assert.match(ofType(events, 'task_completed')[0]?.payload.summary ?? '', /Checks on the result: test passed\. On the base: test failed \(exit 1\)\./);
    assert.ok(ofType(events, 'task_progress').some((e) => /read file src\/math\.js/.test(e.payload.message)), t);
    assert.ok(events.filter((e) => e.type === 'tool_call').every((e) => e.from === 'worker:builtin'));

    // The model saw the tools natively and was called with the key (the server checks it).
    const reqs = m().chatRequests('Add a function sum');
    assert.equal(reqs.length, 4);
    assert.ok(reqs.every((r) => r.authorization === `Bearer ${KEY}` && r.body?.tools?.some((x) => x.function.name === 'edit_file')));

    // The audit trail: every tool call, the command, and each model call (tokens, latency, hashes).
    const rows = auditRows(taskId);
    const modelCalls = rows.filter((r) => r.action === 'model_call').map((r) => r.data);
    assert.equal(modelCalls.length, 4);
    for (const mc of modelCalls) {
      assert.equal(mc.model, 'scripted-coder');
      assert.equal(mc.ok, true);
      assert.ok(Number(mc.totalTokens) > 0);
      assert.match(String(mc.promptSha256), /^[0-9a-f]{64}$/);
      assert.match(String(mc.replySha256), /^[0-9a-f]{64}$/);
    }
    assert.equal(modelCalls[2]?.toolCallSource, 'json');
    assert.deepEqual(rows.filter((r) => r.action === 'tool_call').map((r) => r.command?.split(' ')[0]), ['read_file', 'edit_file', 'finish']);
    assert.equal(rows.filter((r) => r.action === 'command' && r.command === 'npm test').length, 3, 'the agent\'s own npm test, then the check on the result and on the base');
    assert.deepEqual(rows.filter((r) => r.action === 'check_run').map((r) => [r.data.phase, r.data.status]).sort(), [['base', 'failed'], ['combined', 'passed']]);
  });

  it('a model that fails with HTTP 500 twice, then answers: retried, the task completes, the audit counts 3 attempts', async function () {
    m().script('Flaky model', [{ status: 500, retryAfterMs: 20 }, { status: 500, retryAfterMs: 20 }, { toolCalls: [{ name: 'finish', arguments: { summary: 'nothing to change' } }] }]);
    const { taskId, end, t } = await run('Flaky model: check the repository layout');
    assert.equal(end.type, 'task_completed', t);
    assert.equal(m().chatRequests('Flaky model').length, 3);
    const calls = auditRows(taskId).filter((r) => r.action === 'model_call');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.data.attempts, 3);
  });

  it('malformed tool calls go back to the model with the error; it corrects itself', async function () {
    m().script('Malformed calls', [
      { toolCalls: [{ name: 'read_file', arguments: '{"path": "src/math.js"' }] },
      { expect: expectLast('tool', /not valid JSON/), textToolCall: { name: 'read_file', arguments: { nope: 1 } }, style: 'tagged' },
      { expect: expectLast('tool', /Error:.*argument "path"/), toolCalls: [{ name: 'read_file', arguments: { path: 'src/math.js' } }] },
      { expect: expectLast('tool', /module\.exports/), toolCalls: [{ name: 'finish', arguments: { summary: 'read it' } }] },
    ]);
    const { end, events, t } = await run('Malformed calls: show me src/math.js');
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);
    const results = ofType(events, 'tool_result');
    assert.deepEqual(results.map((r) => r.payload.ok), [false, false, true, true], t);
    assert.match(results[0]?.payload.output ?? '', /not valid JSON/);
  });

  it('a reply that plans ahead (a call, then finish): finish counts only if the calls before it worked; a short file comes back with a missed edit', async function () {
    m().script('Plans ahead', [
      // What small local models do: the whole plan in one reply, with an edit that cannot apply.
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/math.js', old_text: 'return a - b;', new_text: 'return a * b;' } }, { name: 'finish', arguments: { summary: 'fixed' } }] },
      { expect: expectLast('tool', /finish was not done: a tool call before it in the same reply failed/), toolCalls: [{ name: 'finish', arguments: { summary: 'nothing to change after all' } }] },
    ]);
    const { end, events, t } = await run('Plans ahead: multiply instead');
    assert.equal(end.type, 'task_completed', t);
    assert.equal((end.payload as { summary: string }).summary, 'nothing to change after all');
    assert.deepEqual(m().unscripted, []);
    const results = ofType(events, 'tool_result');
    assert.deepEqual(results.map((r) => [r.payload.tool, r.payload.ok]), [['edit_file', false], ['finish', false], ['finish', true]], t);
    // The edit's error shows the (short) file, so the model can copy old_text from it.
    assert.match(results[0]?.payload.output ?? '', /old_text was not found in src\/math\.js\. It contains:\nfunction add\(a, b\) \{\n  return a \+ b;/);
    const second = m().chatRequests('Plans ahead')[1];
    const toolTexts = (second?.body?.messages ?? []).filter((x) => x.role === 'tool').map((x) => String(x.content));
    assert.match(toolTexts[0] ?? '', /\(Next: call another tool, or call finish with your answer\.\)$/, 'a tool result ends with the next-step hint');
  });

  it(`the step limit (agent.maxSteps = ${MAX_STEPS}) stops a model that never finishes: task_failed step_limit_exceeded`, async function () {
    m().script('Endless', Array.from({ length: MAX_STEPS + 2 }, () => ({ toolCalls: [{ name: 'list_files', arguments: { path: 'src' } }] })));
    const { end, events, t } = await run('Endless: keep listing files');
    assert.equal(end.type, 'task_failed', t);
    assert.equal(errorOf(end).code, 'step_limit_exceeded', t);
    assert.match(errorOf(end).message, /6 steps.*agent\.maxSteps/);
    assert.equal(m().chatRequests('Endless').length, MAX_STEPS);
    assert.equal(ofType(events, 'tool_call').length, MAX_STEPS);
  });

  it(`the token budget (agent.tokenBudget = ${TOKEN_BUDGET}) stops the work cleanly: task_failed budget_exceeded, no further model call`, async function () {
    const big = { prompt_tokens: 12_000, completion_tokens: 100 };
    m().script('Expensive', [
      { usage: big, toolCalls: [{ name: 'write_file', arguments: { path: 'notes/plan.md', content: '# Plan\n' } }] },
      { usage: big, toolCalls: [{ name: 'list_files', arguments: {} }] },
      { usage: big, toolCalls: [{ name: 'finish', arguments: { summary: 'never reached' } }] },
    ]);
    const { taskId, end, events, t } = await run('Expensive: plan the work');
    assert.equal(end.type, 'task_failed', t);
    assert.equal(errorOf(end).code, 'budget_exceeded', t);
    assert.match(errorOf(end).message, /24200 of 20000 tokens/);
    assert.equal(m().chatRequests('Expensive').length, 2);
    // What was changed before the stop stays reviewable.
    assert.deepEqual(ofType(events, 'diff_ready')[0]?.payload.files, ['notes/plan.md']);
    assert.equal(readFileSync(join(s.dataDir(), 'workspaces', taskId, 'notes/plan.md'), 'utf8'), '# Plan\n');
  });

  it('the heuristic phrases still need no model: "Run git status" is run by the heuristic agent, the model is not called', async function () {
    const before = m().requests.length;
    const { end, events, t } = await run('Run git status on this repo');
    assert.equal(end.type, 'task_completed', t);
    assert.equal(events.find((e) => e.type === 'task_started')?.from, 'worker:heuristic', t);
    assert.equal(m().requests.length, before);
  });

  it('the key is nowhere in clear: not in the DB files, not in any event', async function () {
    const all = JSON.stringify(c().events);
    assert.ok(!all.includes(KEY), 'an event carries the model key');
    const files = readdirSync(s.dataDir()).filter((f) => f.startsWith('pushpals.db'));
    assert.ok(files.length >= 1);
    for (const f of files) assert.ok(!readFileSync(join(s.dataDir(), f)).includes(KEY), `${f} holds the model key in clear`);
  });
});
