// Combine, then verify: what a plan's evidence costs after its last ticket ends. The real orchestrator
// (createApp with its workbench: Docker sandboxes, git, SQLite) and the scripted OpenAI-compatible model
// server (real HTTP) in this process; a Node fixture repository whose `npm test` is `node --test` (no
// dependencies: no network set-up). Needs Docker and the worker image. Build first: npm run build.
//
//   node bench/evidence.mjs [--latency 1000] [--runs 3] [--pool 1] [--only clean|regression|attribution]
//
// A 3-ticket plan (each ticket: two write_file replies and finish, each --latency ms late), after a
// warm-up plan (lazy modules loaded, the image's page cache warm). Two scenarios:
//   clean: the three results combine and pass: last ticket end → diff_ready = combine + tree written +
//     set-up + sandbox start + the check + the rest (sandbox released, the combined diff, the proposal);
//   regression: T1 renames sum to add, T2 adds a module calling sum (each passes alone), T3 adds docs:
//     the combined check fails, the stack's prefixes attribute it to T2, a fix-up ticket (--latency per
//     reply, 2 replies) repairs it, the checks run again (round 2).
//   attribution (only with --only attribution): a 6-ticket plan, ticket 5 breaks `sum` (the others add
//     files): what attributing it costs — the time from the failing combined check to the fix-up
//     ticket, and how many prefixes' checks really ran (cached trees are not counted).
// The base's checks start with the tickets: when they started relative to the first ticket, how long
// they took, and whether they ended before the last ticket did (then they add nothing to the tail).
// Times are the events' timestamps (ms) and the check's own run time (its tool_result).
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
const LATENCY = Number(arg('latency', 1000));
const RUNS = Number(arg('runs', 3));
const POOL = Number(arg('pool', 1));
const ONLY = arg('only', '');

const MATH = 'function sum(a, b) {\n  return a + b;\n}\n\nmodule.exports = { sum };\n';
const MATH_TEST = "const test = require('node:test');\nconst assert = require('node:assert');\nconst { sum } = require('../src/math.js');\n\ntest('sum adds', () => assert.strictEqual(sum(2, 3), 5));\n";
const REPORT = (fn) => `const { ${fn} } = require('./math.js');\n\nexports.total = (xs) => xs.reduce((a, b) => ${fn}(a, b), 0);\n`;
const REPORT_TEST = "const test = require('node:test');\nconst assert = require('node:assert');\nconst { total } = require('../src/report.js');\n\ntest('total', () => assert.strictEqual(total([1, 2, 3]), 6));\n";

function fixtureRepo() {
  const dir = tempDir();
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'test'));
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'evidence-bench', version: '1.0.0', private: true, scripts: { test: 'node --test' } }, null, 2)}\n`);
  writeFileSync(join(dir, 'README.md'), '# Evidence bench\n');
  writeFileSync(join(dir, 'src', 'math.js'), MATH);
  writeFileSync(join(dir, 'test', 'math.test.js'), MATH_TEST);
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' };
  for (const a of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'init']]) execFileSync('git', a, { cwd: dir, env });
  return dir;
}

const spec = (id, title, scope, dependsOn = []) => ({ id, title, description: `${title}.`, dependsOn, scope, acceptance: ['done'], checks: ['npm test'] });
const write = (path, content) => ({ delayMs: LATENCY, toolCalls: [{ name: 'write_file', arguments: { path, content } }] });
const finish = () => ({ delayMs: LATENCY, toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] });

/** The scripts of one plan; `n` keeps each plan's request and ticket ids apart. */
function scriptPlan(model, scenario, n) {
  const request = `Evidence bench ${scenario} ${n}`;
  const k = (id) => `${id}x${n}`;
  if (scenario === 'attribution') return scriptAttribution(model, request, k);
  const tickets = scenario === 'regression'
    ? [spec(k('R1'), 'Rename sum to add', ['src/math.js', 'test/math.test.js']), spec(k('R2'), 'Add a report', ['src/report.js', 'test/report.test.js']), spec(k('R3'), 'Document it', ['docs/'])]
    : [spec(k('C1'), 'Add a double helper', ['src/double.js']), spec(k('C2'), 'Add a report', ['src/report.js', 'test/report.test.js']), spec(k('C3'), 'Document it', ['docs/'])];
  model.script(new RegExp(`^Plan the following request:\\n${request}\\b`), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: request, tickets } }] }]);
  const [a, b, c] = tickets;
  if (scenario === 'regression') {
    model.script(new RegExp(`^Ticket ${a.id}: `), [write('src/math.js', MATH.replace(/sum/g, 'add')), write('test/math.test.js', MATH_TEST.replace(/sum/g, 'add')), finish()]);
    model.script(new RegExp(`^Ticket ${b.id}: `), [write('src/report.js', REPORT('sum')), write('test/report.test.js', REPORT_TEST), finish()]);
    model.script(new RegExp(`^Ticket ${b.id}-fix1: `), [write('src/report.js', REPORT('add')), finish()]);
  } else {
    model.script(new RegExp(`^Ticket ${a.id}: `), [write('src/double.js', 'exports.double = (x) => 2 * x;\n'), write('src/double.md', 'double(x)\n'), finish()]);
    model.script(new RegExp(`^Ticket ${b.id}: `), [write('src/report.js', REPORT('sum')), write('test/report.test.js', REPORT_TEST), finish()]);
  }
  model.script(new RegExp(`^Ticket ${c.id}: `), [write('docs/index.md', '# Docs\n'), write('docs/math.md', 'sum/add\n'), finish()]);
  return request;
}

/** Six tickets; the fifth breaks `sum adds` (each of the others adds a file nothing tests). */
function scriptAttribution(model, request, k) {
  const add = (i, title, path, content) => ({ spec: spec(k(`A${i}`), title, [path]), replies: [write(path, content), write(`${path}.md`, `${title}\n`), finish()] });
  const six = [
    add(1, 'Add a double helper', 'src/double.js', 'exports.double = (x) => 2 * x;\n'),
    add(2, 'Add a triple helper', 'src/triple.js', 'exports.triple = (x) => 3 * x;\n'),
    add(3, 'Add the docs index', 'docs/index.md', '# Docs\n'),
    add(4, 'Add a square helper', 'src/square.js', 'exports.square = (x) => x * x;\n'),
    add(5, 'Make sum faster', 'src/math.js', MATH.replace('a + b', 'a * b')),
    add(6, 'Document math', 'docs/math.md', 'sum(a, b)\n'),
  ];
  model.script(new RegExp(`^Plan the following request:\\n${request}\\b`), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: request, tickets: six.map((t) => t.spec) } }] }]);
  for (const t of six) model.script(new RegExp(`^Ticket ${t.spec.id}: `), t.replies);
  model.script(new RegExp(`^Ticket ${k('A5')}-fix1: `), [write('src/math.js', MATH), finish()]);
  return request;
}

const ts = (e) => Date.parse(e.ts);

/** The breakdown of one finished plan, from its events. */
function breakdown(client, planId) {
  const own = client.forTask(planId);
  const ticketIds = client.events.filter((e) => e.type === 'task_created' && e.payload.parentId === planId).map((e) => ({ id: e.payload.taskId, key: e.payload.title.split(':')[0] }));
  const originals = ticketIds.filter((t) => !t.key.includes('-fix'));
  const endOf = (id) => client.forTask(id).find((e) => e.type === 'task_completed' || e.type === 'task_failed');
  const startOf = (id) => client.forTask(id).find((e) => e.type === 'task_started');
  const lastEnd = Math.max(...originals.map((t) => ts(endOf(t.id))));
  const firstStart = Math.min(...originals.map((t) => ts(startOf(t.id))));
  const diff = own.find((e) => e.type === 'diff_ready');
  const progress = (re) => own.filter((e) => e.type === 'task_progress' && re.test(e.payload.message));
  const combinedAt = progress(/^Combined \d+ result/)[0];
  // Each check run: its announcement, its command's tool_call/tool_result, its check_result.
  const runs = [];
  // (A check reused from an earlier task on the same tree, checks.reuseBase, runs nothing: not counted.)
  for (const p of progress(/^Checks on .+? \(tree [0-9a-f]+\): /).filter((e) => !/ reused from task /.test(e.payload.message))) {
    const call = own.find((e) => e.type === 'tool_call' && e.seq > p.seq);
    const result = own.find((e) => e.type === 'tool_result' && e.payload.toolCallId === call.payload.toolCallId);
    const check = own.find((e) => e.type === 'check_result' && e.seq > result.seq);
    runs.push({ phase: check.payload.phase, ticket: check.payload.ticketId, announced: ts(p), called: ts(call), returned: ts(result), exec: result.payload.durationMs, status: check.payload.status });
  }
  const base = runs.find((r) => r.phase === 'base');
  const baseStarted = ts(progress(/^Checks on the base \(tree/)[0]);
  const baseDone = ts(own.find((e) => e.type === 'check_result' && e.payload.phase === 'base'));
  const combined = runs.filter((r) => r.phase === 'combined');
  const first = combined[0];
  if (!first) throw new Error(`no check on the combined tree; the plan said:\n${own.filter((e) => ['task_progress', 'log', 'task_completed'].includes(e.type)).map((e) => e.payload.message ?? e.payload.summary).join('\n')}`);
  const fixups = ticketIds.filter((t) => t.key.includes('-fix'));
  const out = {
    total: ts(diff) - lastEnd,
    merge: ts(combinedAt) - lastEnd,
    treeWritten: first.announced - ts(combinedAt),
    setup: first.called - first.announced,
    sandbox: first.returned - first.called - first.exec,
    check: first.exec,
    rounds: diff.payload.evidence?.rounds,
    statuses: combined.map((r) => r.status).join('→'),
    base: { afterFirstTicket: baseStarted - firstStart, took: baseDone - (base ? base.announced : baseStarted), beforeLastEnd: lastEnd - baseDone },
  };
  if (fixups.length) {
    const fix = fixups[0];
    const created = ts(client.events.find((e) => e.type === 'task_created' && e.payload.taskId === fix.id));
    out.attribution = created - first.returned; // the prefixes' check runs (cached trees re-emitted)
    out.prefixRuns = runs.filter((r) => r.phase === 'ticket').length;
    out.prefixEach = med(runs.filter((r) => r.phase === 'ticket').map((r) => r.returned - r.announced)); // one prefix's run: sandbox + check
    out.blamed = fix.key.replace(/x\d+-fix\d+$/, '');
    out.fixup = ts(endOf(fix.id)) - created;
    const second = combined[1];
    out.round2 = second ? ts(diff) - ts(endOf(fix.id)) : undefined;
    out.round1 = first.returned - lastEnd;
  } else out.rest = ts(diff) - first.returned;
  return out;
}

async function scenarioRuns(scenario) {
  const model = await ScriptedModelServer.start({ models: ['bench-model'] });
  const config = orch.loadConfig({ env: {}, overrides: { port: 0, dataDir: tempDir(), models: { baseUrl: model.url, model: 'bench-model' }, sandbox: { diskLimitMb: 0, warmPool: POOL }, queue: { concurrency: 4 }, rateLimit: { commandsPerSecond: 1000, burst: 1000 } } });
  const app = await orch.createApp(config, { logger: orch.silentLogger });
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 600_000);
  try {
    await client.start(0);
    const { repoId } = await client.send('repo_add', { source: fixtureRepo() });
    if (POOL) await app.workbench.sandboxes.waitForPool(120_000);
    const results = [];
    for (let n = 0; n <= RUNS; n++) {
      const request = scriptPlan(model, scenario, n);
      const { taskId } = await client.send('task_new', { request, repoId });
      const end = await client.waitForEvent((e) => ['task_completed', 'task_failed'].includes(e.type) && e.payload.taskId === taskId, 'the plan', 600_000);
      if (end.type !== 'task_completed') throw new Error(`the plan failed: ${JSON.stringify(end.payload).slice(0, 500)}; unscripted: ${model.unscripted.join('; ')}`);
      await client.waitForEvent((e) => e.type === 'agent_status' && e.payload.taskId === taskId && e.payload.status === 'idle', 'idle', 60_000);
      if (n > 0) results.push(breakdown(client, taskId)); // run 0 is the warm-up
      if (POOL) await app.workbench.sandboxes.waitForPool(120_000);
    }
    return results;
  } finally {
    client.close();
    await app.close();
    await model.close();
  }
}

const s = (ms) => `${fmt(ms / 1000, 2)} s`;
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = (rs, f) => med(rs.map(f));
console.log(`combine, then verify: a ${ONLY === 'attribution' ? 6 : 3}-ticket plan, ${LATENCY} ms per model reply, node --test as the check, warm pool ${POOL}; median of ${RUNS} run(s) after a warm-up`);
for (const scenario of ['clean', 'regression', 'attribution']) {
  if (ONLY ? ONLY !== scenario : scenario === 'attribution') continue;
  const rs = await scenarioRuns(scenario);
  console.log(`${scenario}: last ticket end → diff_ready ${s(m(rs, (r) => r.total))} (runs: ${rs.map((r) => s(r.total)).join(', ')}); combined checks ${rs[0].statuses}, rounds ${rs[0].rounds}`);
  console.log(`  combine ${s(m(rs, (r) => r.merge))}, tree written ${s(m(rs, (r) => r.treeWritten))}, set-up ${s(m(rs, (r) => r.setup))}, sandbox start ${s(m(rs, (r) => r.sandbox))}, check run ${s(m(rs, (r) => r.check))}`);
  if (scenario === 'attribution') {
    console.log(`  attribution ${s(m(rs, (r) => r.attribution))} (runs: ${rs.map((r) => s(r.attribution)).join(', ')}), prefix checks run ${rs.map((r) => r.prefixRuns).join(', ')} (one: ${s(m(rs, (r) => r.prefixEach))}); blamed ${rs.map((r) => r.blamed).join(', ')}`);
  } else if (scenario === 'regression') {
    console.log(`  round 1 (to the failing check) ${s(m(rs, (r) => r.round1))}, attribution ${s(m(rs, (r) => r.attribution))} (${rs[0].prefixRuns} prefix result(s)), fix-up ticket ${s(m(rs, (r) => r.fixup))} (2 model replies), round 2 + proposal ${s(m(rs, (r) => r.round2))}`);
  } else console.log(`  the rest (sandbox released, combined diff, proposal) ${s(m(rs, (r) => r.rest))}`);
  console.log(`  base checks: started ${s(m(rs, (r) => r.base.afterFirstTicket))} after the first ticket, took ${s(m(rs, (r) => r.base.took))}, done ${s(m(rs, (r) => r.base.beforeLastEnd))} before the last ticket ended`);
}
process.exit(0);
