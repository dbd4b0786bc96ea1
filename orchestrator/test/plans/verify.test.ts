/**
 * Combine, then verify, without Docker or a model: a real bare git repository (isomorphic-git), the
 * tickets' results as real commits, and a check that reads the tree (it fails when report.js calls a
 * function math.js does not define). What is tested is the loop's logic: the combine order, the
 * attribution to the first failing prefix, fix-ups stacked on top, and the rounds' bound.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { treeIdOf } from '../../src/checks/run';
import type { TreeCheckReport, TreeCheckRequest } from '../../src/checks/types';
import { commitChanges, readFileAt } from '../../src/git/commits';
import { combineOrder } from '../../src/plans/combine';
import type { FixUpSpec, PlanRecord, TicketRecord } from '../../src/plans/plan-store';
import { isRegression, regressions } from '../../src/checks/regressions';
import { attribute, FixRounds } from '../../src/plans/regressions';
import { combineAndVerify, type VerifyDeps } from '../../src/plans/verify';
import { removeTempDirs, tempDir } from '../helpers/temp';

const SUM = 'exports.sum = (a, b) => a + b;\n';
const ADD = 'exports.add = (a, b) => a + b;\n';
const report = (fn: string) => `const m = require('./math');\nexports.total = (xs) => xs.reduce(m.${fn}, 0);\n`;

let gitdir = '';
let base = '';

function ticket(key: string, ordinal: number, o: Partial<TicketRecord> = {}): TicketRecord {
  return { taskId: `task-${key}`, planId: 'plan', ordinal, key, title: `${key}: ${key}`, description: key, state: 'completed', dependsOn: [], scope: ['.'], acceptance: ['ok'], checks: ['npm test'], baseCommit: base, resultCommit: null, fixes: null, fixKind: null, fixRound: null, agent: 'worker:builtin', ...o };
}

async function result(key: string, from: string, changes: Record<string, string>): Promise<string> {
  return commitChanges(gitdir, { base: from, changes: new Map(Object.entries(changes)), ref: `refs/heads/t-${key}`, message: key });
}

/** The repository's "test": every function report.js calls exists in math.js. */
async function check(commit: string): Promise<{ ok: boolean; output: string }> {
  const [math, rep] = await Promise.all([readFileAt(gitdir, commit, 'math.js'), readFileAt(gitdir, commit, 'report.js')]);
  const called = rep ? /m\.(\w+)/.exec(rep)?.[1] : undefined;
  const ok = !called || (math ?? '').includes(`exports.${called} `);
  return { ok, output: ok ? 'ok\n' : `TypeError: m.${called} is not a function\n` };
}

function deps(tickets: TicketRecord[], o: { maxFixRounds: number; canFix?: boolean; fix?: (spec: FixUpSpec) => Promise<Record<string, string>> }) {
  const runs: Array<{ phase: string; ticketId?: string; tree: string }> = [];
  const fixes: FixUpSpec[] = [];
  const checks = async (req: TreeCheckRequest): Promise<TreeCheckReport> => {
    const treeId = await treeIdOf(gitdir, req.commit);
    runs.push({ phase: req.phase, ...(req.ticketId ? { ticketId: req.ticketId } : {}), tree: treeId });
    const r = await check(req.commit);
    return { commit: req.commit, treeId, durationMs: 1, results: [{ name: 'test', command: 'npm test', status: r.ok ? 'passed' : 'failed', exitCode: r.ok ? 0 : 1, durationMs: 1, output: r.output }] };
  };
  const d: VerifyDeps = {
    mirror: gitdir,
    plan: { taskId: 'plan', repoId: 'r', baseCommit: base, summary: 's', approvedAt: null, integratedCommit: null, createdAt: 0 } satisfies PlanRecord,
    maxFixRounds: o.maxFixRounds,
    canFix: o.canFix ?? true,
    tickets: () => tickets,
    checks,
    base: checks({ commit: base, phase: 'base' }),
    fixUp: async (spec) => {
      fixes.push(spec);
      const key = `${spec.fixes.key}-fix${spec.round}`;
      const changes = (await o.fix?.(spec)) ?? {};
      const oid = Object.keys(changes).length ? await result(key, spec.base, changes) : null;
      const t = ticket(key, 100 + spec.round, { baseCommit: spec.base, resultCommit: oid, fixes: spec.fixes.taskId, fixKind: spec.kind, fixRound: spec.round });
      tickets.push(t);
      return t;
    },
    note: () => undefined,
  };
  return { d, runs, fixes };
}

describe('plans: combine, then verify (real git, a check that reads the tree)', () => {
  beforeEach(async () => {
    gitdir = tempDir('pushpals-verify-');
    await git.init({ fs, dir: gitdir, bare: true, defaultBranch: 'main' });
    const blob = await git.writeBlob({ fs, gitdir, blob: Buffer.from(SUM) });
    const tree = await git.writeTree({ fs, gitdir, tree: [{ mode: '100644', path: 'math.js', oid: blob, type: 'blob' }] });
    base = await git.commit({ fs, gitdir, tree, parent: [], message: 'base', author: { name: 't', email: 't@t', timestamp: 0, timezoneOffset: 0 } });
  });
  after(() => removeTempDirs());

  it('attribute(): the layers in order, stopping at the first that fails; none when none fails', async () => {
    const asked: number[] = [];
    const hit = await attribute(['base+T1', 'base+T1+T2', 'base+T1+T2+T3'], async (_l, i) => (asked.push(i), i >= 1));
    assert.deepEqual([hit?.layer, hit?.index, asked], ['base+T1+T2', 1, [0, 1]]);
    assert.equal(await attribute(['a', 'b'], async () => false), undefined);
  });

  it('combineOrder(): dependencies first, the planner\'s order otherwise, even when ordinals are not topological', () => {
    const ts = [
      { taskId: 'B', ordinal: 1, dependsOn: ['C'] },
      { taskId: 'C', ordinal: 2, dependsOn: [] },
      { taskId: 'A', ordinal: 3, dependsOn: [] },
      { taskId: 'D', ordinal: 0, dependsOn: ['B', 'gone'] },
    ];
    assert.deepEqual(combineOrder(ts).map((t) => t.taskId), ['C', 'B', 'D', 'A']);
  });

  it('a regression is a check that passed on the base (or was not there) and fails now, or fails more tests', () => {
    const c = (status: 'passed' | 'failed' | 'error', failed?: number) => ({ name: 'test', status, ...(failed !== undefined ? { counts: { passed: 1, failed, skipped: 0 } } : {}) });
    assert.equal(isRegression(c('failed'), c('passed')), true);
    assert.equal(isRegression(c('error'), undefined), true);
    assert.equal(isRegression(c('passed'), c('failed')), false);
    assert.equal(isRegression(c('failed'), c('failed')), false);
    assert.equal(isRegression(c('failed', 3), c('failed', 1)), true);
    assert.equal(isRegression(c('failed', 1), c('failed', 1)), false);
    assert.deepEqual(regressions([{ ...c('failed'), name: 'lint' }, c('failed')], [c('failed')]).map((x) => x.name), ['lint']);
  });

  it('two results that pass alone and fail together: attributed to the second by the prefixes, fixed from the combined head, rounds 2', async () => {
    const t1 = ticket('T1', 1, { resultCommit: await result('T1', base, { 'math.js': ADD }) });
    const t2 = ticket('T2', 2, { resultCommit: await result('T2', base, { 'report.js': report('sum') }) });
    assert.ok((await check(t1.resultCommit ?? '')).ok && (await check(t2.resultCommit ?? '')).ok, 'each passes alone');
    const { d, runs, fixes } = deps([t2, t1], { maxFixRounds: 2, fix: async () => ({ 'report.js': report('add') }) });
    const v = await combineAndVerify(d);
    assert.deepEqual(
      runs.map((r) => `${r.phase}${r.ticketId ? `:${r.ticketId}` : ''}`),
      ['base', 'combined', 'ticket:task-T1', 'ticket:task-T2', 'combined'],
    );
    assert.equal(fixes.length, 1);
    assert.deepEqual([fixes[0]?.fixes.key, fixes[0]?.kind, fixes[0]?.round], ['T2', 'regression', 1]);
    assert.match(fixes[0]?.description ?? '', /passes with the results up to T1 and fails once T2 is added[\s\S]*m\.sum is not a function/);
    assert.deepEqual([v.rounds, v.fixRoundsUsed, v.failing.length, v.combined.results[0]?.status], [2, 1, 0, 'passed']);
    assert.equal((await git.readCommit({ fs, gitdir, oid: v.head })).commit.parent[0], fixes[0]?.base, 'the fix is stacked on the combined head');
    assert.equal(await readFileAt(gitdir, v.head, 'report.js'), report('add'));
    assert.deepEqual(v.layers.map((l) => l.ticket.key), ['T1', 'T2', 'T2-fix1']);
  });

  it('six tickets, the fifth breaks it: the prefixes are bisected (3 check runs, not 5), attributed to T5, fixed', async () => {
    const six = [ticket('T1', 1, { resultCommit: await result('T1', base, { 'math.js': ADD }) })];
    for (const i of [2, 3, 4, 6]) six.push(ticket(`T${i}`, i, { resultCommit: await result(`T${i}`, base, { [`notes${i}.txt`]: `${i}\n` }) }));
    six.push(ticket('T5', 5, { resultCommit: await result('T5', base, { 'report.js': report('sum') }) }));
    const { d, runs, fixes } = deps(six, { maxFixRounds: 2, fix: async () => ({ 'report.js': report('add') }) });
    const v = await combineAndVerify(d);
    assert.deepEqual(
      runs.map((r) => `${r.phase}${r.ticketId ? `:${r.ticketId}` : ''}`),
      ['base', 'combined', 'ticket:task-T3', 'ticket:task-T4', 'ticket:task-T5', 'combined'],
    );
    assert.deepEqual(fixes.map((f) => [f.fixes.key, f.kind, f.round]), [['T5', 'regression', 1]]);
    assert.match(fixes[0]?.description ?? '', /passes with the results up to T4 and fails once T5 is added/);
    assert.deepEqual([v.rounds, v.failing.length, v.layers.map((l) => l.ticket.key)], [2, 0, ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T5-fix1']]);
  });

  it(`the rounds are bounded: fix-ups that fix nothing stop after planner.maxFixRounds, and what fails is reported with its culprit`, async () => {
    const t1 = ticket('T1', 1, { resultCommit: await result('T1', base, { 'math.js': ADD }) });
    const t2 = ticket('T2', 2, { resultCommit: await result('T2', base, { 'report.js': report('sum') }) });
    let n = 0;
    const { d, fixes, runs } = deps([t1, t2], { maxFixRounds: 2, fix: async () => ({ [`noise${++n}.txt`]: 'x\n' }) });
    const v = await combineAndVerify(d);
    assert.equal(fixes.length, 2);
    assert.deepEqual(fixes.map((f) => [f.fixes.key, f.round]), [['T2', 1], ['T2', 2]]);
    assert.deepEqual([v.rounds, v.fixRoundsUsed, v.failing.map((c) => c.name), v.blame?.ticket.key], [3, 2, ['test'], 'T2']);
    assert.equal(runs.filter((r) => r.phase === 'combined').length, 3, 'the last round checks the proposed tree');
    assert.equal(v.combined.treeId, await treeIdOf(gitdir, v.head));
    // No rounds at all: nothing sent back, the failure reported after one round.
    const none = deps([t1, t2], { maxFixRounds: 0, fix: async () => assert.fail('no fix-up may run') });
    const w = await combineAndVerify(none.d);
    assert.deepEqual([w.rounds, w.fixRoundsUsed, w.blame?.ticket.key, none.fixes.length], [1, 0, 'T2', 0]);
    const rounds = new FixRounds(2);
    assert.deepEqual([rounds.take(), rounds.take(), rounds.take(), rounds.spent], [1, 2, undefined, 2]);
  });

  it('a conflict without a coder is left out and reported with its hunks; the rest is combined and checked', async () => {
    const t1 = ticket('T1', 1, { resultCommit: await result('T1', base, { 'math.js': 'exports.sum = (a, b) => b + a;\n' }) });
    const t2 = ticket('T2', 2, { resultCommit: await result('T2', base, { 'math.js': 'exports.sum = (a, b) => a + b + 0;\n' }) });
    const { d, fixes } = deps([t1, t2], { maxFixRounds: 2, canFix: false });
    const v = await combineAndVerify(d);
    assert.equal(fixes.length, 0);
    assert.equal(v.unresolved.length, 1);
    const u = v.unresolved[0];
    assert.deepEqual([u?.ticket.key, u?.files, u?.why], ['T2', ['math.js'], 'no coder model is configured']);
    assert.deepEqual(u?.hunks, [{ file: 'math.js', ticket: '@@ -1,1 +1,1 @@\n-exports.sum = (a, b) => a + b;\n+exports.sum = (a, b) => a + b + 0;', now: '@@ -1,1 +1,1 @@\n-exports.sum = (a, b) => a + b;\n+exports.sum = (a, b) => b + a;' }]);
    assert.equal(await readFileAt(gitdir, v.head, 'math.js'), 'exports.sum = (a, b) => b + a;\n');
    assert.deepEqual([v.rounds, v.combined.results[0]?.status], [1, 'passed']);
  });

  it('a conflict with rounds left goes to a fix-up from the stack so far; its result takes the ticket\'s place', async () => {
    const t1 = ticket('T1', 1, { resultCommit: await result('T1', base, { 'math.js': 'exports.sum = (a, b) => b + a;\n' }) });
    const t2 = ticket('T2', 2, { resultCommit: await result('T2', base, { 'math.js': 'exports.sum = (a, b) => a + b + 0;\n', 'report.js': report('sum') }) });
    const { d, fixes } = deps([t1, t2], { maxFixRounds: 1, fix: async () => ({ 'math.js': 'exports.sum = (a, b) => b + a + 0;\n', 'report.js': report('sum') }) });
    const v = await combineAndVerify(d);
    assert.deepEqual(fixes.map((f) => [f.fixes.key, f.kind, f.base]), [['T2', 'conflict', v.layers[0]?.head]]);
    assert.match(fixes[0]?.description ?? '', /T2's change there:\n@@ -1,1 \+1,1 @@/);
    assert.deepEqual(v.layers.map((l) => l.ticket.key), ['T1', 'T2-fix1']);
    assert.equal(v.unresolved.length, 0);
    assert.equal(await readFileAt(gitdir, v.head, 'math.js'), 'exports.sum = (a, b) => b + a + 0;\n');
  });
});
