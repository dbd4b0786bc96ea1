/**
 * A task that fails waits for nobody: an approval it asked for and still pending (a time limit, a crash
 * or a lost lease ended the task first) is denied by the orchestrator, announced as `denied`, so no
 * inbox offers it and a late "approve" cannot act on it. Real server, real SQLite file, real WebSocket.
 */
import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import type { TaskAgent } from '../../src/agents/types';
import { CommandError, WsTestClient } from '../helpers/ws-client';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { until } from '../helpers/wait';

describe('a failed task\'s pending approvals', () => {
  let app: App;
  let c: WsTestClient;
  const agent: TaskAgent = {
    id: 'worker:test',
    canHandle: (t) => t.request.startsWith('test:'),
    async run(ctx) {
      // Asks, then fails before anyone decides (as a time limit would end it).
      void ctx.requestApproval({ key: 'push', kind: 'command', title: 'Run git push', reason: 'publishes', risk: 'high', command: 'git push' }).catch(() => undefined);
      await until(() => app.services.approvals.pending(ctx.task.id).length === 1);
      if (ctx.task.request === 'test:complete') return { status: 'completed', summary: 'done without it' };
      return { status: 'failed', error: { code: 'timeout', message: 'the task hit its time limit' } };
    },
  };
  before(async () => {
    app = await startApp({}, { setup: (s) => s.registerAgent(agent, { first: true }) });
    c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.start();
  });
  after(async () => {
    c.close();
    await app.close();
    removeTempDirs();
  });

  it('are denied by the orchestrator ("the task failed"), announced, and a late approve is refused', async () => {
    const { taskId } = await c.send('task_new', { request: 'test:fail' });
    const asked = await c.waitFor('approval_required', (p) => p.taskId === taskId);
    await c.waitFor('task_failed', (p) => p.taskId === taskId);
    const denied = await c.waitFor('denied', (p) => p.approvalId === asked.payload.approvalId);
    assert.equal(denied.payload.by, 'orchestrator');
    const rec = app.services.approvals.get(asked.payload.approvalId);
    assert.deepEqual([rec?.state, rec?.decisionReason], ['denied', 'the task failed']);
    await assert.rejects(c.send('approval_decide', { approvalId: asked.payload.approvalId, decision: 'approve' }), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict');
  });

  it('a task that completes keeps its pending approvals (a commit approval is asked after the task ends)', async () => {
    const { taskId } = await c.send('task_new', { request: 'test:complete' });
    const asked = await c.waitFor('approval_required', (p) => p.taskId === taskId);
    await c.waitFor('task_completed', (p) => p.taskId === taskId);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(app.services.approvals.get(asked.payload.approvalId)?.state, 'pending');
  });
});
