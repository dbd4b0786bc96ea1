/**
 * A pending approval survives an orchestrator restart. The real orchestrator is closed while
 * a README patch waits for approval, started again on the same data dir, and the approval is still
 * pending (status and a fresh client's replay say so); approving it then applies the patch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '@pushpals/orchestrator';
import { E2E_WAIT_MS, containersOf, FIXTURE_README, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, sleep, startInProcessOrchestrator, tempDir, WsTestClient } from '../helpers/e2e-env';
import { ofType, seqOf, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const FIXED_README = '# Demo project\n\nThe project says hello.\n\nRun the tests with npm test.\n';

describe('end to end: a pending patch approval survives an orchestrator restart', function () {
  let dataDir = '';
  let app: App | undefined;
  const clients: WsTestClient[] = [];

  before(async function () {
    await requireDocker();
    dataDir = tempDir('pushpals-e2e-restart-');
  });

  after(async function () {
    for (const cl of clients) cl.close();
    await app?.close();
    if (dataDir) removeContainersOf(dataDir);
    removeTempDirs();
  });

  it('pending before the restart, still pending after it (status_get, replay), and approving it then applies the patch', async function () {
    const repoPath = makeFixtureRepo();
    app = await startInProcessOrchestrator(dataDir);
    const first = await WsTestClient.connect(app.wsUrl, app.token, 'test-session', E2E_WAIT_MS);
    clients.push(first);
    await first.start(0);
    const { repoId } = await first.send('repo_add', { source: repoPath });
    const { taskId } = await first.send('task_new', { request: 'Apply a patch to fix the README', repoId });
    const ar = await first.waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    const { approvalId } = ar.payload;
    const readme = join(dataDir, 'workspaces', taskId, 'README.md');
    assert.equal(readFileSync(readme, 'utf8'), FIXTURE_README);
    const token = app.token;

    // Restart: close everything, start again on the same data dir.
    first.close();
    const t0 = Date.now();
    await app.close();
    const closeMs = Date.now() - t0;
    const left = containersOf(dataDir);
    assert.deepEqual(left, [], `the waiting task's sandbox survived close() (${closeMs} ms): ${left.join(' ')}`);
    app = await startInProcessOrchestrator(dataDir);
    assert.equal(app.token, token, 'the token must persist across restarts (stored in the data dir)');

    const second = await WsTestClient.connect(app.wsUrl, app.token, 'test-session-after-restart', E2E_WAIT_MS);
    clients.push(second);
    await second.send('hello', { clientName: 'pushpals-tests', clientVersion: '0.0.0' });
    const sub = await second.send('subscribe', { afterSeq: 0 });
    await second.waitForEvent((e) => seqOf(e) >= sub.headSeq, `the replay up to seq ${sub.headSeq}`, 10_000);

    // The replay shows the request and no decision.
    const replayed = ofType(second.events, 'approval_required').filter((e) => e.payload.approvalId === approvalId);
    assert.equal(replayed.length, 1, 'the approval_required is not in the replay');
    assert.equal(ofType(second.events, 'approved').filter((e) => e.payload.approvalId === approvalId).length, 0, 'the approval was approved by the restart');
    assert.equal(ofType(second.events, 'denied').filter((e) => e.payload.approvalId === approvalId).length, 0, 'the approval was denied/expired by the restart');

    // status_get: still pending; the re-run task waits for it again (same approval, no new request).
    let state = '';
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = await second.send('status_get', { taskId });
      const task = s.tasks[0];
      assert.ok(task, `status_get does not know ${taskId}`);
      assert.equal(task.pendingApprovals, 1, `after restart: ${JSON.stringify(task)}`);
      state = task.state;
      if (state === 'awaiting_approval' || Date.now() > deadline) break;
      await sleep(200);
    }
    assert.equal(state, 'awaiting_approval', `the task was not resumed to wait for its approval within 30 s after restart:\n${trace(second, taskId)}`);
    assert.equal(readFileSync(readme, 'utf8'), FIXTURE_README, 'the README changed without approval');

    const r = await second.send('approval_decide', { approvalId, decision: 'approve' });
    assert.deepEqual(r, { approvalId, state: 'approved' });
    const end = await waitTerminal(second, taskId);
    await waitIdle(second, taskId).catch(() => undefined);
    const t = trace(second, taskId);
    assert.equal(end.type, 'task_completed', `the approved patch did not complete the task after restart:\n${t}`);
    const evs = second.forTask(taskId);
    const approved = ofType(evs, 'approved').filter((e) => e.payload.approvalId === approvalId);
    assert.equal(approved.length, 1, t);
    const results = ofType(evs, 'tool_result');
    assert.equal(results.length, 1, `expected exactly one tool_result (the apply step):\n${t}`);
    assert.equal(results[0]?.payload.ok, true, t);
    assert.ok(seqOf(results[0]!) > seqOf(approved[0]!), t);
    assert.equal(ofType(evs, 'approval_required').length, 1, `the re-run asked again instead of finding its approval:\n${t}`);
    assert.equal(readFileSync(readme, 'utf8'), FIXED_README);

    second.close();
    await app.close();
    const leftAtEnd = containersOf(dataDir);
    assert.deepEqual(leftAtEnd, [], `sandbox containers left behind: ${leftAtEnd.join(' ')}`);
  });
});
