/**
 * Tasks waiting for a person do not block the others: with as many README patches pending approval
 * as the queue has workers (config queue.concurrency), a "Run git status" task still runs at once,
 * and the pending ones then complete when approved.
 */
import assert from 'node:assert/strict';
import type { App } from '@pushpals/orchestrator';
import { closeSession, containersOf, makeFixtureRepo, openSession, type WsTestClient } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

describe('end to end: pending approvals do not block other tasks', function () {
  let dataDir = '';
  let app: App | undefined;
  let client: WsTestClient | undefined;

  before(async function () {
    const session = await openSession('pushpals-e2e-concurrency-');
    ({ dataDir, app, client } = session);
  });

  after(async function () {
    await closeSession({ app, client, dataDir });
  });

  it('with queue.concurrency README patches waiting for approval, "Run git status" still completes within 30 s; approving the others completes them', async function () {
    assert.ok(app && client);
    const cl = client;
    const { repoId } = await cl.send('repo_add', { source: makeFixtureRepo() });
    const n = app.services.config.queue.concurrency;
    const waiting: Array<{ taskId: string; approvalId: string }> = [];
    for (let i = 0; i < n; i++) {
      const { taskId } = await cl.send('task_new', { request: 'Apply a patch to fix the README', repoId });
      const ar = await cl.waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
      waiting.push({ taskId, approvalId: ar.payload.approvalId });
    }
    const { taskId } = await cl.send('task_new', { request: 'Run git status on this repo', repoId });
    try {
      await waitTerminal(cl, taskId, 30_000);
    } catch (e) {
      const s = await cl.send('status_get', {});
      assert.fail(
        `"Run git status" did not finish while ${n} task(s) waited for approval (queue.concurrency = ${n}): a task waiting for a person holds a worker slot ` +
          `(and a sandbox container: ${containersOf(dataDir).length} running), so new work starves until someone decides.\n` +
          `status: ${JSON.stringify(s.tasks.map((x) => [x.title, x.state]))}\n${String(e)}`,
      );
    }
    const result = ofType(cl.forTask(taskId), 'tool_result')[0];
    assert.equal(result?.payload.exitCode, 0, trace(cl, taskId));

    for (const w of waiting) await cl.send('approval_decide', { approvalId: w.approvalId, decision: 'approve' });
    for (const w of waiting) {
      const end = await waitTerminal(cl, w.taskId);
      await waitIdle(cl, w.taskId);
      assert.equal(end.type, 'task_completed', trace(cl, w.taskId));
    }
  });
});
