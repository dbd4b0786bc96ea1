/**
 * Combine, then verify across an orchestrator crash (a real `pushpals serve` process, SIGKILL,
 * restart on the same data dir; real Docker, git, SQLite; scripted model).
 *
 * T1 renames `sum` to `add`, T2 adds a module calling `sum`: each passes alone, the combined check
 * fails and is attributed to T2, and a fix-up ticket T2-fix1 repairs it. The orchestrator is killed
 * (a) while the fix-up round runs (its second step, a slow command, in its container), or (b) while
 * the combined checks of round 2 run (a slow test the fix-up added). Restarted, the plan's job
 * verifies again: the same fix-up is found by its round (not started twice; (a) it resumes at its next
 * step), and the plan ends with a diff whose evidence passes on exactly the proposed tree. Nothing is
 * lost (T1's, T2's and the fix-up's changes are all in it), no model call is made twice, and nothing is
 * left: no container, no check tree the killed process was writing or running.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '@pushpals/orchestrator';
import { ScriptedModelServer, type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import { containersOf, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, sleep, spawnServeChild, startInProcessOrchestrator, tempDir, unmountLeftovers, untilValue, WsTestClient, type ServeChild } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { ADD, ADD_TEST, fileOnBranch, MATH, MATH_TEST, planFor, REPORT, REPORT_TEST, ticket, ticketConv, waitTickets } from '../helpers/team-flow';


const write = (path: string, content: string) => ({ toolCalls: [{ name: 'write_file', arguments: { path, content } }] });
const finish = (summary: string) => ({ toolCalls: [{ name: 'finish', arguments: { summary } }] });
const SLOW_TEST = "const test = require('node:test');\n\ntest('slow', () => new Promise((r) => setTimeout(r, 5000)));\n";

const lastText = (r: RecordedRequest): string => (typeof r.last?.content === 'string' ? r.last.content : JSON.stringify(r.last?.content ?? ''));

/** The trees of checks under the data dir's workspaces (`.check-<task>-<random>`). */
const checkTrees = (dataDir: string): string[] => {
  const dir = join(dataDir, 'workspaces');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('.check-')) : [];
};

describe('combine, then verify across an orchestrator crash (real process, SIGKILL, restart; real Docker, git, SQLite; scripted model)', function () {
  this.timeout(180_000);
  let dataDir = '';
  let srv: ServeChild | undefined;
  let app: App | undefined;
  let model: ScriptedModelServer | undefined;
  const clients: WsTestClient[] = [];

  before(async () => {
    await requireDocker();
    model = await ScriptedModelServer.start({ models: ['scripted-verify-crash'] });
  });

  const stop = async () => {
    const child = srv?.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await srv?.exited;
    srv = undefined;
    for (const cl of clients.splice(0)) cl.close();
    await app?.close();
    app = undefined;
    if (dataDir) {
      removeContainersOf(dataDir);
      unmountLeftovers(dataDir);
    }
  };
  afterEach(stop);
  after(async () => {
    await model?.close();
    removeTempDirs();
  });

  /**
   * The plan (T1, T2, the fix-up T2-fix1 with `fixReplies`) on a real `pushpals serve`; `killWhen`
   * waits (on the first client) for the moment to SIGKILL it; then the same data dir in this process
   * until the plan ends. Returns what the assertions read.
   */
  async function crashAndResume(name: string, fixReplies: Parameters<ScriptedModelServer['script']>[1], killWhen: (c: WsTestClient, planId: string, fixId: string) => Promise<void>) {
    const m = model ?? assert.fail('no model server');
    dataDir = tempDir(`pushpals-e2e-verify-crash-${name}-`);
    const request = `Rename sum to add and add a report, crash ${name}`;
    m.script(planFor(request), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: request, tickets: [ticket('T1', `Rename sum to add (${name})`, ['src/math.js', 'test/math.test.js']), ticket('T2', `Add a report of totals (${name})`, ['src/report.js', 'test/report.test.js'])] } }] }]);
    const t1Conv = ticketConv('T1', `Rename sum to add (${name})`);
    const t2Conv = ticketConv('T2', `Add a report of totals (${name})`);
    const fixConv = new RegExp(`^Ticket T2-fix1: Fix test after combining T2\\n[\\s\\S]*Add a report of totals \\(${name}\\)`);
    m.script(t1Conv, [write('src/math.js', ADD), write('test/math.test.js', ADD_TEST), finish('Renamed sum to add.')]);
    m.script(t2Conv, [write('src/report.js', REPORT('sum')), write('test/report.test.js', REPORT_TEST), finish('Added the report.')]);
    m.script(fixConv, fixReplies);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ models: { baseUrl: m.url, model: 'scripted-verify-crash', maxRetries: 3 }, agent: { maxSteps: 8 }, queue: { concurrency: 4 }, planner: { enabled: true } }));

    // 1. A real orchestrator process: the plan, its tickets, the failing combined check, the attribution, the fix-up ...
    srv = await spawnServeChild(dataDir);
    const first = await WsTestClient.connect(srv.wsUrl, srv.token, `verify-crash-${name}`, 60_000);
    clients.push(first);
    await first.start(0);
    const { repoId } = await first.send('repo_add', { source: makeFixtureRepo({ testScript: 'node --test', files: { 'src/math.js': MATH, 'test/math.test.js': MATH_TEST } }) });
    const { taskId: planId } = await first.send('task_new', { request, repoId });
    const fixId = (await waitTickets(first, planId, 3, 120_000)).get('T2-fix1')?.taskId ?? assert.fail(`no fix-up ticket\n${trace(first, planId)}`);
    await killWhen(first, planId, fixId);
    const combinedBefore = ofType(first.forTask(planId), 'check_result').filter((e) => e.payload.phase === 'combined').map((e) => e.payload.status);
    assert.equal(combinedBefore[0], 'failed', trace(first, planId));
    assert.ok(first.forTask(planId).some((e) => e.type === 'task_progress' && /fails once T2 is added/.test(e.payload.message)), trace(first, planId));

    // 2. Kill it: no goodbye.
    srv.child.kill('SIGKILL');
    await srv.exited;
    first.close();
    const fixStepsBefore = m.chatRequests(String(fixConv)).map((r) => r.step);

    // 3. Restart on the same data dir: the plan verifies again and ends with a proposed diff.
    app = await startInProcessOrchestrator(dataDir);
    const second = await WsTestClient.connect(app.wsUrl, app.token, `verify-crash-${name}`, 60_000);
    clients.push(second);
    await second.start(0);
    const end = await waitTerminal(second, planId, 120_000);
    await waitIdle(second, planId);
    const t = `${trace(second, planId)}\n${trace(second, fixId)}\n${srv.log().slice(-2000)}`;
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m.unscripted, [], t);

    // No model call twice: the planner once, each ticket's steps once; no second fix-up round.
    assert.equal(m.chatRequests(String(planFor(request))).length, 1, 'the planner was asked again');
    for (const conv of [t1Conv, t2Conv]) assert.deepEqual(m.chatRequests(String(conv)).map((r) => r.step), [0, 1, 2], `${String(conv)}: a model call was repeated`);
    assert.equal(m.chatRequests(String(/^Ticket T2-fix2: /)).length, 0, 'a second fix-up round ran');
    const db = app.services.db;
    assert.deepEqual(db.prepare('SELECT key, fix_round AS round FROM tickets WHERE plan_id = ? AND fixes IS NOT NULL').all(planId), [{ key: 'T2-fix1', round: 1 }], 'the fix-up round was started twice');
    const created = ofType(second.events, 'task_created').filter((e) => e.payload.parentId === planId && e.payload.title.startsWith('T2-fix'));
    assert.deepEqual(created.map((e) => e.payload.taskId), [fixId], t);
    const audit = (taskId: string, action: string) => db.prepare('SELECT command, data FROM audit_log WHERE task_id = ? AND action = ? ORDER BY seq').all(taskId, action) as Array<{ command: string | null; data: string }>;
    assert.equal(audit(planId, 'diff_proposed').length, 1);
    const fixWrites = audit(fixId, 'tool_call').filter((row) => /write_file/.test(`${row.command ?? ''}${row.data}`)).length;
    const fixInterrupted = audit(fixId, 'command_interrupted').length;

    // The evidence: passing checks on exactly the proposed tree, round 2; the last combined check is that tree's.
    const diffs = ofType(second.forTask(planId), 'diff_ready');
    assert.equal(diffs.length, 1, t);
    const ev = diffs[0]?.payload.evidence ?? assert.fail('no evidence');
    const mirror = app.workbench?.repos.get(repoId)?.mirrorPath ?? assert.fail('no mirror');
    const main = `pushpals/plan/${planId}/main`;
    assert.equal(ev.treeId, execFileSync('git', ['--git-dir', mirror, 'rev-parse', `${main}^{tree}`], { encoding: 'utf8' }).trim());
    assert.deepEqual(ev.checks.map((x) => [x.name, x.status]), [['test', 'passed']], t);
    assert.equal(ev.rounds, 2);
    const lastCombined = ofType(second.forTask(planId), 'check_result').filter((e) => e.payload.phase === 'combined').at(-1)?.payload;
    assert.deepEqual([lastCombined?.status, lastCombined?.treeId], ['passed', ev.treeId], t);
    // Nothing lost: T1's rename, T2's report and test, the fix-up's repair are all on the plan's branch.
    assert.deepEqual(['src/math.js', 'test/math.test.js', 'src/report.js', 'test/report.test.js'].map((f) => fileOnBranch(mirror, main, f)), [ADD, ADD_TEST, REPORT('add'), REPORT_TEST]);

    await app.close();
    app = undefined;
    assert.deepEqual(containersOf(dataDir), [], 'a sandbox container was left behind');
    assert.deepEqual(checkTrees(dataDir), [], 'a check\'s tree was left behind');
    return { m, fixConv, fixStepsBefore, ev, mirror, main, t, fixWrites, fixInterrupted };
  }

  it('SIGKILL while the fix-up runs: it resumes at its next step, is not started twice; diff_ready with passing evidence', async () => {
    const r = await crashAndResume('fixup', [
      write('src/report.js', REPORT('add')),
      // The orchestrator is killed while this runs in the fix-up's container.
      { toolCalls: [{ name: 'run_command', arguments: { command: 'sleep 60' } }] },
      { expect: (q) => (q.last?.role === 'tool' && /Not completed: the orchestrator restarted/.test(lastText(q)) ? undefined : `expected the cut-off command answered as interrupted, got ${JSON.stringify(lastText(q).slice(0, 300))}`), ...finish('report.js calls add.') },
    ], async (c, _planId, fixId) => {
      await c.waitFor('tool_call', (p) => p.taskId === fixId && p.tool === 'run_command', 60_000);
      await untilValue('the fix-up\'s container', 30_000, () => (containersOf(dataDir).length >= 1 ? true : undefined));
      await sleep(300);
    });
    assert.deepEqual(r.fixStepsBefore, [0, 1]);
    assert.deepEqual(r.m.chatRequests(String(r.fixConv)).map((q) => q.step), [0, 1, 2], 'a model call of the fix-up was repeated');
    // The audit: the fix-up's write once, its cut-off command closed as interrupted.
    assert.deepEqual([r.fixWrites, r.fixInterrupted], [1, 1], `the fix-up's write ran twice, or its cut-off command was not closed as interrupted\n${r.t}`);
  });

  it('SIGKILL while the combined checks of round 2 run: their tree and container are cleaned up, the fix-up is not run again; diff_ready with passing evidence', async () => {
    let treesAtKill: string[] = [];
    const r = await crashAndResume('checks', [write('src/report.js', REPORT('add')), write('test/slow.test.js', SLOW_TEST), finish('report.js calls add; a slow test.')], async (c, planId, fixId) => {
      await waitTerminal(c, fixId, 60_000);
      const onProposed = () => ofType(c.forTask(planId), 'tool_call').filter((e) => /check \\"test\\" on the proposed result/.test(JSON.stringify(e.payload)));
      await c.waitUntil(() => onProposed().length >= 2, 60_000, 'the combined checks of round 2');
      await sleep(1000); // the slow test runs (5 s)
      treesAtKill = checkTrees(dataDir);
    });
    assert.equal(treesAtKill.length, 1, 'the kill did not hit a running check');
    assert.deepEqual(r.fixStepsBefore, [0, 1, 2]);
    assert.deepEqual(r.m.chatRequests(String(r.fixConv)).map((q) => q.step), [0, 1, 2], 'the fix-up ran again');
    assert.equal(fileOnBranch(r.mirror, r.main, 'test/slow.test.js'), SLOW_TEST);
    assert.deepEqual([r.fixWrites, r.fixInterrupted], [2, 0]);
    assert.equal(r.ev.checks[0]?.counts?.passed, 3);
  });
});
