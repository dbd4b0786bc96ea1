/**
 * Combine, then verify (real orchestrator, Docker, git, SQLite; scripted model): a plan's tickets are
 * combined in dependency order and the repository's checks (`node --test`, failing for real) run on
 * the base and on the combined tree.
 *
 * - Two tickets that each pass alone and break a test together (T1 renames `sum` to `add`, T2 adds a
 *   module calling `sum`): the combined check fails, the stack's prefixes attribute it to T2, a fix-up
 *   ticket for T2 repairs it from the combined head, the checks pass, and `diff_ready.evidence` shows
 *   the passing checks on exactly the proposed tree, the base's, and 2 rounds.
 * - Two tickets that edit the same line: the fix-up agent re-applies the second one on the first's
 *   result (told the conflicting hunks); and when the fix-up changes nothing, the conflict is reported
 *   with its hunks, the ticket's branch kept, and the rest still proposed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import { makeFixtureRepo, ModelSuiteSession } from '../helpers/e2e-env';
import { ofType, seqOf, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { ADD, ADD_TEST, branchesOf, fileOnBranch, MATH, MATH_TEST, planFor, REPORT, REPORT_TEST, ticket, ticketConv, waitTickets } from '../helpers/team-flow';

const NOTES = '# Notes\n\nStatus: draft\n\nOwner: nobody\n';

const userText = (r: RecordedRequest | undefined): string => {
  const m = r?.body?.messages.find((x) => x.role === 'user');
  return typeof m?.content === 'string' ? m.content : JSON.stringify(m?.content ?? '');
};
const git = (mirror: string, ...args: string[]): string => spawnSync('git', ['--git-dir', mirror, ...args], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: mirror } }).stdout.trim();

describe('combine, then verify: checks on the base and the combined tree, attribution, fix-ups (real Docker, git, SQLite; scripted model)', function () {
  this.timeout(300_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';
  let mirror = '';

  const plan = (request: string, tickets: ReturnType<typeof ticket>[]) => m().script(planFor(request), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: request, tickets } }] }]);
  const write = (path: string, content: string) => ({ toolCalls: [{ name: 'write_file', arguments: { path, content } }] });
  const finish = (summary: string, delayMs = 0) => ({ delayMs, toolCalls: [{ name: 'finish', arguments: { summary } }] });
  const auditData = (taskId: string, action: string): Array<Record<string, unknown>> =>
    (s.app().services.db.prepare('SELECT data FROM audit_log WHERE task_id = ? AND action = ? ORDER BY seq').all(taskId, action) as Array<{ data: string }>).map((r) => JSON.parse(r.data) as Record<string, unknown>);

  before(async function () {
    await s.open('pushpals-e2e-team-verify-', { models: ['scripted-verify'], overrides: { models: { maxRetries: 3 }, agent: { maxSteps: 8 }, queue: { concurrency: 4 }, planner: { enabled: true } }, sessionId: 'team-verify-session' });
    const repoDir = makeFixtureRepo({ testScript: 'node --test', files: { 'src/math.js': MATH, 'test/math.test.js': MATH_TEST, 'NOTES.md': NOTES } });
    repoId = (await c().send('repo_add', { source: repoDir })).repoId;
    mirror = s.app().workbench?.repos.get(repoId)?.mirrorPath ?? assert.fail('no mirror');
  });

  after(() => s.close());

  it('two tickets that pass alone break a test together: attributed to T2 by the stack prefixes, fixed by a fix-up round, proposed with evidence (rounds 2)', async function () {
    const request = 'Rename sum to add and add a report';
    plan(request, [ticket('T1', 'Rename sum to add', ['src/math.js', 'test/math.test.js']), ticket('T2', 'Add a report of totals', ['src/report.js', 'test/report.test.js'])]);
    // Each ticket's own tree passes `node --test`: T1 renames everywhere sum is used today; T2 calls sum, which exists on its base.
    m().script(ticketConv('T1', 'Rename sum to add'), [write('src/math.js', ADD), write('test/math.test.js', ADD_TEST), finish('Renamed sum to add.', 2500)]);
    m().script(ticketConv('T2', 'Add a report of totals'), [write('src/report.js', REPORT('sum')), write('test/report.test.js', REPORT_TEST), finish('Added the report.', 2500)]);
    m().script(/^Ticket T2-fix1: /, [
      {
        expect: (r) => (/npm test/.test(userText(r)) && /sum is not a function|total adds them all/.test(userText(r)) && /fails once T2 is added/.test(userText(r)) ? undefined : `the fix-up prompt lacks the check, its log or the attribution: ${userText(r).slice(0, 2000)}`),
        ...write('src/report.js', REPORT('add')),
      },
      finish('report.js calls add.'),
    ]);

    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const tickets = await waitTickets(c(), planId, 2);
    const t1 = tickets.get('T1')?.taskId ?? assert.fail('no T1');
    const t2 = tickets.get('T2')?.taskId ?? assert.fail('no T2');
    const end = await waitTerminal(c(), planId, 240_000);
    await waitIdle(c(), planId);
    const fixId = (await waitTickets(c(), planId, 3)).get('T2-fix1')?.taskId ?? assert.fail(`no fix-up ticket\n${trace(c(), planId)}`);
    const t = [planId, t1, t2, fixId].map((id) => trace(c(), id)).join('\n');
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);

    const checks = ofType(c().forTask(planId), 'check_result').map((e) => e.payload);
    const by = (phase: string, ticketId?: string) => checks.filter((x) => x.phase === phase && x.ticketId === ticketId);
    // The base's checks ran while the tickets worked: announced before the first ticket ended.
    const baseStarted = c().forTask(planId).find((e) => e.type === 'task_progress' && /Checks on the base \(tree/.test(e.payload.message));
    const firstTicketEnd = Math.min(...[t1, t2].map((id) => seqOf(c().forTask(id).find((e) => e.type === 'task_completed') ?? assert.fail(t))));
    assert.ok(baseStarted && seqOf(baseStarted) < firstTicketEnd, `the base's checks did not start with the tickets\n${t}`);
    assert.deepEqual(by('base').map((x) => x.status), ['passed'], t);
    // Round 1: the combined tree fails for real (node --test: sum is not a function).
    const combined = by('combined');
    assert.deepEqual(combined.map((x) => x.status), ['failed', 'passed'], t);
    assert.match(combined[0]?.output ?? '', /sum is not a function/);
    // The runner's counts (node --test's summary): 1 of 2 tests fails when combined; the base has 1, passing.
    assert.deepEqual([combined[0]?.counts, by('base')[0]?.counts], [{ passed: 1, failed: 1, skipped: 0 }, { passed: 1, failed: 0, skipped: 0 }]);
    // Attribution: base+T1 passes, base+T1+T2 fails: T2.
    assert.deepEqual(by('ticket', t1).map((x) => x.status), ['passed'], t);
    assert.deepEqual(by('ticket', t2).map((x) => x.status), ['failed'], t);
    assert.equal(by('ticket', t2)[0]?.treeId, combined[0]?.treeId, 'the last prefix is the combined tree');
    assert.ok(c().forTask(planId).some((e) => e.type === 'task_progress' && /fails on the combined result \(round 1\): it passes with the results up to T1 and fails once T2 is added/.test(e.payload.message)), t);
    // The fix-up started from the combined head and its result is on top.
    const main = `pushpals/plan/${planId}/main`;
    assert.equal(fileOnBranch(mirror, main, 'src/report.js'), REPORT('add'));
    assert.equal(fileOnBranch(mirror, main, 'src/math.js'), ADD);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t2}`, 'src/report.js'), REPORT('sum'), 'T2\'s own branch is kept as it was');
    assert.equal(git(mirror, 'rev-parse', `pushpals/plan/${planId}/t-${fixId}^`), combined[0]?.commit, 'the fix-up did not start from the combined head');

    // The proposed diff carries the evidence: the proposed tree, its passing checks, the base's, 2 rounds.
    const diffs = ofType(c().forTask(planId), 'diff_ready');
    assert.equal(diffs.length, 1, t);
    const ev = diffs[0]?.payload.evidence ?? assert.fail('no evidence');
    assert.equal(ev.treeId, git(mirror, 'rev-parse', `${main}^{tree}`));
    assert.equal(ev.treeId, combined[1]?.treeId);
    assert.deepEqual(ev.checks.map((x) => [x.name, x.status, x.command]), [['test', 'passed', 'npm test']]);
    assert.deepEqual(ev.before?.map((x) => x.status), ['passed']);
    assert.deepEqual([ev.checks[0]?.counts?.failed, ev.checks[0]?.counts?.passed], [0, 2]);
    assert.equal(ev.rounds, 2);
    assert.match(diffs[0]?.payload.diff ?? '', /\+exports\.total = \(xs\) => xs\.reduce\(\(a, b\) => add\(a, b\), 0\);/);
    // The audit binds the diff to its base, the tree and each check's outcome and output hash.
    const proposed = auditData(planId, 'diff_proposed').at(-1) ?? assert.fail('no diff_proposed row');
    assert.deepEqual(proposed.evidence, ev);
    assert.equal(proposed.baseCommit, diffs[0]?.payload.baseCommit);
    const runs = auditData(planId, 'check_run');
    assert.ok(runs.some((r) => r.treeId === ev.treeId && r.outputHash === ev.checks[0]?.outputHash && r.phase === 'combined'), JSON.stringify(runs));
    assert.match((end.payload as { summary: string }).summary, /2 of 2 ticket\(s\) completed[\s\S]*Fix-ups:\n- T2-fix1 \[completed\][\s\S]*round 2\): test passed \(2 passed, 0 failed\); on the base: test passed \(1 passed, 0 failed\)/);
  });

  it('a merge conflict (both edit the same line) is resolved by a fix-up agent told the hunks; both tickets\' branches are kept', async function () {
    const request = 'Update the notes status twice';
    plan(request, [ticket('C1', 'Mark the notes reviewed', ['NOTES.md']), ticket('C2', 'Mark the notes final', ['NOTES.md'])]);
    m().script(ticketConv('C1', 'Mark the notes reviewed'), [write('NOTES.md', NOTES.replace('Status: draft', 'Status: reviewed')), finish('reviewed')]);
    m().script(ticketConv('C2', 'Mark the notes final'), [write('NOTES.md', NOTES.replace('Status: draft', 'Status: final')), finish('final')]);
    m().script(/^Ticket C2-fix1: /, [
      {
        expect: (r) => (/C2's change there:\n@@ -3,1 \+3,1 @@\n-Status: draft\n\+Status: final\nWhat is there now[^\n]*\n@@ -3,1 \+3,1 @@\n-Status: draft\n\+Status: reviewed/.test(userText(r)) ? undefined : `the fix-up prompt lacks the hunks: ${userText(r).slice(0, 3000)}`),
        ...write('NOTES.md', NOTES.replace('Status: draft', 'Status: reviewed, final')),
      },
      finish('both statuses kept'),
    ]);
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), planId, 240_000);
    await waitIdle(c(), planId);
    const all = await waitTickets(c(), planId, 3);
    const [c1, c2, fix] = ['C1', 'C2', 'C2-fix1'].map((k) => all.get(k)?.taskId ?? assert.fail(`no ${k}`));
    const t = [planId, c1, c2, fix].map((id) => trace(c(), id ?? '')).join('\n');
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);
    const branches = branchesOf(mirror);
    for (const id of [c1, c2, fix]) assert.ok(branches.includes(`pushpals/plan/${planId}/t-${id}`), `no branch of ${id}`);
    assert.match(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${c2}`, 'NOTES.md') ?? '', /Status: final/, 'C2\'s change is lost');
    assert.match(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'NOTES.md') ?? '', /Status: reviewed, final/);
    const ev = ofType(c().forTask(planId), 'diff_ready')[0]?.payload.evidence ?? assert.fail('no evidence');
    assert.deepEqual([ev.checks.map((x) => x.status), ev.rounds], [['passed'], 1]);
  });

  it('a conflict the fix-up does not resolve is reported with its hunks (progress, log, audit, summary); the ticket\'s branch is kept and the rest is proposed', async function () {
    const request = 'Change the owner twice';
    plan(request, [ticket('D1', 'Owner is Ada', ['NOTES.md']), ticket('D2', 'Owner is Grace', ['NOTES.md'])]);
    m().script(ticketConv('D1', 'Owner is Ada'), [write('NOTES.md', NOTES.replace('Owner: nobody', 'Owner: Ada')), finish('Ada')]);
    m().script(ticketConv('D2', 'Owner is Grace'), [write('NOTES.md', NOTES.replace('Owner: nobody', 'Owner: Grace')), finish('Grace')]);
    m().script(/^Ticket D2-fix1: /, [finish('I cannot decide between the two owners.')]);
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), planId, 240_000);
    await waitIdle(c(), planId);
    const all = await waitTickets(c(), planId, 3);
    const d2 = all.get('D2')?.taskId ?? assert.fail('no D2');
    const t = trace(c(), planId);
    assert.equal(end.type, 'task_completed', t);
    const hunk = /D2's change there:\n@@ -5,1 \+5,1 @@\n-Owner: nobody\n\+Owner: Grace\nWhat is there now[^\n]*\n@@ -5,1 \+5,1 @@\n-Owner: nobody\n\+Owner: Ada/;
    const branch = `pushpals/plan/${planId}/t-${d2}`;
    assert.ok(c().forTask(planId).some((e) => e.type === 'task_progress' && e.payload.message.includes(`Not combined: D2's result conflicts in NOTES.md`) && e.payload.message.includes(branch)), t);
    const log = ofType(c().forTask(planId), 'log').find((e) => e.payload.level === 'warn' && hunk.test(e.payload.message));
    assert.ok(log, t);
    assert.match((end.payload as { summary: string }).summary, /Not combined: D2 \(its result conflicts in NOTES\.md; its fix-up D2-fix1 changed nothing\)/);
    const row = auditData(planId, 'plan_conflict')[0] ?? assert.fail('no plan_conflict audit row');
    assert.deepEqual([row.key, row.branch, row.files], ['D2', branch, ['NOTES.md']]);
    assert.match(JSON.stringify(row.hunks), /Owner: Grace/);
    // Nothing is lost: D2's branch holds its change; the rest (D1) is combined and proposed.
    assert.match(fileOnBranch(mirror, branch, 'NOTES.md') ?? '', /Owner: Grace/);
    assert.match(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'NOTES.md') ?? '', /Owner: Ada/);
    const diff = ofType(c().forTask(planId), 'diff_ready')[0]?.payload ?? assert.fail('nothing proposed');
    assert.match(diff.diff, /\+Owner: Ada/);
    assert.equal(diff.evidence?.rounds, 1);
  });
});
