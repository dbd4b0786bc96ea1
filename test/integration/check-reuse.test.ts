/**
 * A base's checks reused across tasks, end to end: the real orchestrator, real Docker sandboxes, a real
 * git checkout, the scripted model as the coding agent. Two tasks in a row on the same base: the first
 * runs the base's check; the second's is reused — its `check_result` and evidence say from which task,
 * no second check command runs for the base and no second `check_run` row is written (a `check_reused`
 * row names the first one), and its receipt lists the first task's row and verifies with the real CLI.
 * A commit to the checkout makes the next task run the base's check again.
 * A base check that timed out is never kept: the next task on the same tree runs it again.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventMessage, Receipt } from '@pushpals/protocol';
import { git, makeFixtureRepo, ModelSuiteSession, runCliAsync, tempDir } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

// The base's sum is wrong: the check fails on it (what "failing before" shows), whatever a task does elsewhere.
const TEST_SCRIPT = `node -e "const sum = require('./src/sum.js'); if (sum(2, 3) !== 5) { console.error('sum(2, 3) is', sum(2, 3)); process.exit(1); } console.log('sum ok')"`;

interface Row {
  seq: number;
  ts: string;
  action: string;
  command: string | null;
  data: Record<string, unknown>;
}

describe('end to end: a base\'s checks reused by the next task on the same tree (real Docker, real git, the real CLI)', function () {
  this.timeout(300_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let checkout = '';
  let repoId = '';

  const rows = (taskId: string): Row[] => {
    const db = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      const all = db.prepare('SELECT seq, ts, action, command, data FROM audit_log WHERE task_id = ? ORDER BY seq').all(taskId) as Array<Omit<Row, 'data'> & { data: string | null }>;
      return all.map((r) => ({ ...r, data: JSON.parse(r.data ?? '{}') as Record<string, unknown> }));
    } finally {
      db.close();
    }
  };
  /** A task that writes one file and finishes; its events once it is idle. */
  const task = async (request: string, path: string, content: string): Promise<{ taskId: string; events: EventMessage[] }> => {
    m().script(request, [{ toolCalls: [{ name: 'write_file', arguments: { path, content } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const { taskId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), taskId, 180_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    return { taskId, events: c().forTask(taskId) };
  };
  const baseResult = (events: EventMessage[]) => ofType(events, 'check_result').find((e) => e.payload.phase === 'base')?.payload;
  const verifyReceipt = async (receipt: Receipt): Promise<{ status: number | null; out: string }> => {
    const file = join(tempDir('pushpals-e2e-reuse-receipt-'), 'receipt.json');
    writeFileSync(file, JSON.stringify(receipt, null, 2));
    const r = await runCliAsync(s.dataDir(), ['audit', 'verify-receipt', file]);
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  let first = '';

  before(async function () {
    await s.open('pushpals-e2e-reuse-', { sessionId: 's-reuse' });
    checkout = makeFixtureRepo({ testScript: TEST_SCRIPT, files: { 'src/sum.js': 'module.exports = (a, b) => a - b;\n' } });
    repoId = (await c().send('repo_add', { source: checkout })).repoId;
  });
  after(() => s.close());

  it('the first task runs the base\'s check (a check_run row, a command); the second reuses it: the event, the evidence and the summary say from which task, no second run', async function () {
    const one = await task('Reuse one: add a note', 'docs/one.md', '# One\n');
    first = one.taskId;
    const ran = baseResult(one.events);
    assert.ok(ran, trace(c(), first));
    assert.deepEqual([ran.status, ran.reusedFrom], ['failed', undefined]);
    const firstRows = rows(first);
    const firstBase = firstRows.filter((r) => r.action === 'check_run' && r.data.phase === 'base');
    assert.equal(firstBase.length, 1);

    const two = await task('Reuse two: add another note', 'docs/two.md', '# Two\n');
    const t = trace(c(), two.taskId);
    const reused = baseResult(two.events);
    assert.ok(reused, t);
    assert.equal(reused.reusedFrom?.taskId, first, t);
    assert.equal(reused.reusedFrom?.at, firstBase[0]!.ts, 'when the first task\'s check ran (its audit row\'s time)');
    assert.deepEqual([reused.status, reused.exitCode, reused.outputHash, reused.treeId], [ran.status, ran.exitCode, ran.outputHash, ran.treeId]);
    const diff = ofType(two.events, 'diff_ready')[0]?.payload;
    assert.equal(diff?.evidence?.before?.[0]?.reusedFrom?.taskId, first, t);
    assert.equal(diff?.evidence?.checks[0]?.reusedFrom, undefined, 'the proposed tree is new: its check ran');
    assert.match(ofType(two.events, 'task_completed')[0]?.payload.summary ?? '', new RegExp(`On the base: test failed \\(exit 1\\) \\[reused from task ${first}\\]\\.`));

    const twoRows = rows(two.taskId);
    assert.deepEqual(twoRows.filter((r) => r.action === 'check_run').map((r) => r.data.phase), ['combined'], 'no check_run row pretends the base\'s check ran');
    assert.equal(twoRows.filter((r) => r.action === 'command' && r.command === 'npm test').length, 1, 'npm test ran once: on the proposed tree');
    const marker = twoRows.filter((r) => r.action === 'check_reused');
    assert.equal(marker.length, 1);
    assert.deepEqual([(marker[0]!.data.reusedFrom as { seq: number }).seq, marker[0]!.data.phase], [firstBase[0]!.seq, 'base']);

    // The receipt lists the first task's check_run row for the base, marked, and the real CLI accepts it.
    const receipt = (await c().send('receipt_get', { taskId: two.taskId })).receipt;
    const base = receipt.checks.find((x) => x.phase === 'base');
    assert.deepEqual([base?.row.seq, base?.reusedFrom?.taskId, base?.status], [firstBase[0]!.seq, first, 'failed']);
    const ok = await verifyReceipt(receipt);
    assert.equal(ok.status, 0, ok.out);
    // Passed off as this task's own run (re-signing is not possible without the key, but even the field alone): rejected.
    const edited = structuredClone(receipt);
    delete edited.checks.find((x) => x.phase === 'base')!.reusedFrom;
    assert.equal((await verifyReceipt(edited)).status, 3);
  });

  it('a commit to the checkout: the next task\'s base is another tree, its check runs again', async function () {
    writeFileSync(join(checkout, 'src', 'sum.js'), 'module.exports = (a, b) => a + b;\n');
    git(checkout, 'commit', '-q', '-am', 'fix sum');
    const three = await task('Reuse three: add a third note', 'docs/three.md', '# Three\n');
    const t = trace(c(), three.taskId);
    const ran = baseResult(three.events);
    assert.ok(ran, t);
    assert.deepEqual([ran.status, ran.reusedFrom], ['passed', undefined], t);
    assert.equal(rows(three.taskId).filter((r) => r.action === 'check_run' && r.data.phase === 'base').length, 1);
    assert.equal(rows(three.taskId).filter((r) => r.action === 'check_reused').length, 0);
    // And the task after it reuses that new base's result.
    const four = await task('Reuse four: add a fourth note', 'docs/four.md', '# Four\n');
    assert.equal(baseResult(four.events)?.reusedFrom?.taskId, three.taskId, trace(c(), four.taskId));
  });
});

describe('end to end: a base check that timed out is not reused (real Docker)', function () {
  this.timeout(300_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';

  before(async function () {
    // Every sandbox command ends at 4 s: the repository's test sleeps for a minute.
    await s.open('pushpals-e2e-reuse-timeout-', { sessionId: 's-reuse-timeout', overrides: { sandbox: { commandTimeoutMs: 4000 } } });
    repoId = (await c().send('repo_add', { source: makeFixtureRepo({ testScript: 'sleep 60' }) })).repoId;
  });
  after(() => s.close());

  const task = async (request: string, path: string): Promise<EventMessage[]> => {
    m().script(request, [{ toolCalls: [{ name: 'write_file', arguments: { path, content: '# note\n' } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const { taskId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), taskId, 180_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    return c().forTask(taskId);
  };
  const base = (events: EventMessage[]) => ofType(events, 'check_result').find((e) => e.payload.phase === 'base')?.payload;

  it('the first task\'s base check is killed at the timeout; the next task on the same tree runs it again (a timeout says how busy the machine was)', async function () {
    const one = await task('Timeout one: add a note', 'docs/one.md');
    const first = base(one);
    assert.ok(first, JSON.stringify(ofType(one, 'check_result').map((e) => e.payload)));
    assert.deepEqual([first.status, first.exitCode, first.reusedFrom], ['failed', 137, undefined], 'killed at the timeout');
    const two = await task('Timeout two: add another note', 'docs/two.md');
    const again = base(two);
    assert.ok(again, JSON.stringify(ofType(two, 'check_result').map((e) => e.payload)));
    assert.deepEqual([again.status, again.exitCode, again.reusedFrom], ['failed', 137, undefined], 'ran again, not reused');
    assert.equal(again.treeId, first.treeId, 'the same base tree both times');
  });
});
