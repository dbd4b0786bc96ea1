/**
 * The "expired" approval state against the REAL orchestrator with a short approval timeout
 * (`<dataDir>/config.json`: approvals.timeoutMs 3000, sweepMs 500). Nobody decides the README patch's
 * approval; the orchestrator expires it (a `denied` event by `orchestrator`, reason `expired`). The
 * extension must show it as expired everywhere: the store, the status bar (no longer "awaiting
 * approval", no warning colour), the Approvals view (empty), the `pushpals.pendingApprovals` key, and
 * Approve/Deny afterwards answer "expired" instead of deciding. (The chat block: the VSIX UI test.)
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { debugInfo, type DebugInfo, Fatal, liveOrchestrator, waitFor } from '../helpers';

interface Outcome {
  approvalId: string;
  decision: string;
  state: string;
}

const TIMEOUT_MS = 3000;

describe('approval expiry (real orchestrator, approvals.timeoutMs 3000)', function () {
  this.timeout(180000);
  liveOrchestrator({ config: { approvals: { timeoutMs: TIMEOUT_MS, sweepMs: 500 } } });

  it('an approval nobody decides shows as expired on every surface; Approve/Deny afterwards say so', async () => {
    const taskId = (await vscode.commands.executeCommand('pushpals.newTask', 'Apply a patch to fix the README')) as string | undefined;
    assert.ok(taskId, 'pushpals.newTask returned no task id (see the PushPals log)');

    // While it waits: pending, in the Approvals view, status bar warns. One snapshot (the window is 3 s).
    const pending = await waitFor<{ d: DebugInfo; approvalId: string }>(
      'approval_required for the README patch (needs the orchestrator heuristic lane + Docker)',
      async () => {
        const d = await debugInfo();
        const t = d.tasks.find((x) => x.taskId === taskId);
        if (t?.state === 'failed') throw new Fatal(`task ${taskId} failed instead of asking for approval`);
        const a = d.approvals.find((x) => x.taskId === taskId);
        if (a && a.status !== 'pending') throw new Fatal(`the approval was ${a.status} before the test saw it pending (status bar history: ${d.statusBarHistory.join(' | ')})`);
        return a ? { d, approvalId: a.approvalId } : undefined;
      },
      120000,
      50,
    );
    const { approvalId } = pending;
    assert.deepEqual(pending.d.pendingApprovals, [approvalId]);
    assert.deepEqual(pending.d.approvalsView, [approvalId], 'the Approvals view lists the pending approval');
    const t0 = Date.now();

    // The orchestrator's sweep expires it: the extension must not keep it pending.
    const expired = await waitFor(
      'the approval to show as expired',
      async () => {
        const d = await debugInfo();
        const a = d.approvals.find((x) => x.approvalId === approvalId);
        if (a && a.status !== 'pending' && a.status !== 'expired') throw new Fatal(`the approval became ${a.status}, not expired`);
        return a?.status === 'expired' ? d : undefined;
      },
      TIMEOUT_MS + 15000,
    );
    const waited = Date.now() - t0;
    assert.ok(waited < TIMEOUT_MS + 5000, `expired only after ${waited} ms`);
    assert.equal(expired.approvals.find((x) => x.approvalId === approvalId)?.by, 'orchestrator');
    assert.deepEqual(expired.pendingApprovals, []);
    assert.deepEqual(expired.approvalsView, [], 'the Approvals view is empty once the approval expired');
    assert.equal(expired.counts.awaiting, 0);
    assert.doesNotMatch(expired.statusBarText, /awaiting approval/);
    assert.notEqual(expired.statusBar?.background, 'statusBarItem.warningBackground', 'no warning colour once nothing awaits approval');
    assert.ok(expired.statusBarHistory.some((t) => /awaiting approval/.test(t)), `the status bar showed "awaiting approval" before: ${expired.statusBarHistory.join(' | ')}`);

    // The task goes on without the patch (the agent reports it was not applied).
    const task = await waitFor('the task to finish after the expiry', async () => {
      const t = (await debugInfo()).tasks.find((x) => x.taskId === taskId);
      return t && (t.state === 'completed' || t.state === 'failed' || t.state === 'cancelled') ? t : undefined;
    }, 60000);
    assert.equal(task.state, 'completed', `task ended ${task.state}`);

    // Deciding afterwards: the commands answer "expired" (and say so), nothing is sent as a decision.
    const approve = (await vscode.commands.executeCommand('pushpals.approve', approvalId)) as Outcome;
    assert.deepEqual(approve, { approvalId, decision: 'approve', state: 'expired' });
    const deny = (await vscode.commands.executeCommand('pushpals.deny', { approvalId })) as Outcome;
    assert.deepEqual(deny, { approvalId, decision: 'deny', state: 'expired' });
    const after = await debugInfo();
    assert.equal(after.approvals.find((x) => x.approvalId === approvalId)?.status, 'expired', 'still expired after Approve/Deny');
    assert.doesNotMatch(after.statusBarText, /awaiting approval/);
  });
});
