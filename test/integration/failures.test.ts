/**
 * End to end, the unhappy paths over the wire: failing tests fail the task honestly (with the
 * real output and exit code, audited); a command past its timeout is killed; a pending approval
 * expires (configurable) and then nothing runs; cancelling a task that waits for approval denies it,
 * removes its sandbox and leaves the working copy untouched.
 */
import assert from 'node:assert/strict';
import { CommandError, containersOf, containersOfTask, makeFixtureRepo, sleep, SuiteSession, workingCopyDeleted } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const COMMAND_TIMEOUT_MS = 3000;
const APPROVAL_TIMEOUT_MS = 4000;

describe('end to end: failures, timeouts, expiry and cancellation over the wire', function () {
  const s = new SuiteSession();
  const { c } = s;

  const addRepo = async (testScript?: string): Promise<string> => (await c().send('repo_add', { source: makeFixtureRepo(testScript ? { testScript } : {}) })).repoId;

  before(async function () {
    await s.open('pushpals-e2e-failures-', {
      sandbox: { commandTimeoutMs: COMMAND_TIMEOUT_MS },
      approvals: { timeoutMs: APPROVAL_TIMEOUT_MS, sweepMs: 500 },
    });
  });

  after(async function () {
    await s.close();
  });

  it('a task with no repository registered is refused when it is created (says to register one); no task exists', async function () {
    await assert.rejects(c().send('task_new', { request: 'Run git status on this repo' }), (e: unknown) => {
      assert.ok(e instanceof CommandError, String(e));
      assert.equal(e.info.code, 'not_found');
      assert.match(e.info.message, /repo add/);
      assert.deepEqual(e.info.details?.choices, []);
      return true;
    });
    assert.equal((await c().send('status_get', {})).tasks.length, 0);
    assert.equal(ofType(c().events, 'task_created').length, 0);
  });

  it('"Run the tests" with failing tests: tool_result not ok with the real exit code and output, task_failed, audited', async function () {
    const repoId = await addRepo(`node -e "console.log('2 passing'); console.error('1 failing: expected 1 to equal 2'); process.exit(1)"`);
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId });
    const end = await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    assert.equal(end.type, 'task_failed', `failing tests must fail the task:\n${t}`);
    assert.equal((end.payload as { error: { code: string } }).error.code, 'command_failed', t);
    const result = ofType(c().forTask(taskId), 'tool_result')[0];
    assert.ok(result, t);
    assert.equal(result.payload.ok, false);
    assert.equal(result.payload.exitCode, 1, t);
    assert.match(result.payload.stdout ?? '', /2 passing/);
    assert.match(result.payload.stderr ?? '', /1 failing/);
    const entry = (await c().send('audit_get', { taskId })).entries.find((e) => e.action === 'command');
    assert.equal(entry?.exitCode, 1);
    assert.match(entry?.stderr ?? '', /1 failing/);
  });

  it(`a command past its timeout (sandbox.commandTimeoutMs = ${COMMAND_TIMEOUT_MS} ms) is killed, reported and the task fails`, async function () {
    const repoId = await addRepo('sleep 120');
    const t0 = Date.now();
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId });
    const end = await waitTerminal(c(), taskId, 60_000);
    const took = Date.now() - t0;
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    assert.equal(end.type, 'task_failed', t);
    assert.equal((end.payload as { error: { code: string } }).error.code, 'timeout', t);
    assert.ok(took < 30_000, `the timed-out command took ${took} ms to come back`);
    const result = ofType(c().forTask(taskId), 'tool_result')[0];
    assert.ok(result, t);
    assert.equal(result.payload.ok, false);
    assert.match(result.payload.output ?? '', /timeout/i, `the tool_result must say it timed out:\n${t}`);
    assert.ok(result.payload.durationMs >= COMMAND_TIMEOUT_MS - 100 && result.payload.durationMs < 20_000, `durationMs ${result.payload.durationMs}`);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], "the task's sandbox survived the timed-out task");
  });

  it(`a pending approval expires after approvals.timeoutMs (${APPROVAL_TIMEOUT_MS} ms): denied (expired), deciding it afterwards says expired, nothing is applied`, async function () {
    const repoId = await addRepo();
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    assert.ok(ar.payload.expiresAt, 'approval_required must carry expiresAt when approvals expire');
    const left = Date.parse(ar.payload.expiresAt) - Date.parse(ar.ts);
    assert.ok(Math.abs(left - APPROVAL_TIMEOUT_MS) < 2000, `expiresAt is ${left} ms after the request, configured ${APPROVAL_TIMEOUT_MS}`);
    const denied = await c().waitFor('denied', (p) => p.approvalId === ar.payload.approvalId, APPROVAL_TIMEOUT_MS + 15_000);
    assert.match(denied.payload.reason ?? '', /expire/i);
    const late = await c().send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'approve' });
    assert.deepEqual(late, { approvalId: ar.payload.approvalId, state: 'expired' });
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    assert.equal(ofType(c().forTask(taskId), 'approved').length, 0, t);
    assert.equal(ofType(c().forTask(taskId), 'tool_result').length, 0, `something ran after the approval expired:\n${t}`);
    assert.ok(await workingCopyDeleted(s.dataDir(), taskId), 'the finished task\'s working copy was not deleted');
  });

  it('task_cancel on a task waiting for approval: task_cancelled, the approval is denied, its sandbox is removed, nothing is applied', async function () {
    const repoId = await addRepo();
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], 'a task waiting for approval holds no sandbox (it starts on the first command)');
    const r = await c().send('task_cancel', { taskId, reason: 'changed my mind' });
    assert.equal(r.state, 'cancelled');
    await c().waitFor('task_cancelled', (p) => p.taskId === taskId, 10_000);
    const denied = await c().waitFor('denied', (p) => p.approvalId === ar.payload.approvalId, 10_000);
    assert.equal(denied.payload.taskId, taskId);
    await assert.rejects(
      c().send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'approve' }),
      (e: unknown) => e instanceof CommandError && e.info.code === 'conflict',
      'approving a cancelled task\'s approval must be a conflict',
    );
    const deadline = Date.now() + 15_000;
    while (containersOfTask(s.dataDir(), taskId).length > 0 && Date.now() < deadline) await sleep(200);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], "the cancelled task's sandbox was not removed within 15 s");
    await sleep(500);
    const t = trace(c(), taskId);
    assert.equal(ofType(c().forTask(taskId), 'tool_result').length, 0, t);
    assert.equal(ofType(c().forTask(taskId), 'task_completed').length, 0, `a cancelled task completed:\n${t}`);
    assert.ok(await workingCopyDeleted(s.dataDir(), taskId), 'the cancelled task\'s working copy was not deleted');
  });

  it('with several repositories registered, a task that names none (or an unknown one) is refused when it is created, listing the choices; no task is created', async function () {
    const before = (await c().send('status_get', {})).tasks.length;
    const registered = (await c().send('repo_list', {})).repos.map((r) => r.repoId).sort();
    assert.ok(registered.length > 1, 'the earlier tests registered several repositories');
    for (const [payload, code] of [[{}, 'invalid_message'], [{ repoId: 'repo-does-not-exist' }, 'not_found'], [{ repo: 'no-such-name' }, 'not_found']] as const) {
      await assert.rejects(c().send('task_new', { request: 'Run git status on this repo', ...payload }), (e: unknown) => {
        assert.ok(e instanceof CommandError, String(e));
        assert.equal(e.info.code, code, e.info.message);
        assert.equal(e.info.path, '/payload/repo');
        assert.deepEqual((e.info.details?.choices as Array<{ repoId: string }>).map((x) => x.repoId).sort(), registered);
        return true;
      });
    }
    assert.equal((await c().send('status_get', {})).tasks.length, before, 'a refused task was created anyway');
  });

  it('no sandbox container survives close()', async function () {
    await s.app().close();
    assert.deepEqual(containersOf(s.dataDir()), []);
  });
});
