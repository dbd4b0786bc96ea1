/**
 * The approval command against the REAL orchestrator's heuristic lane (sandbox + policy + approvals):
 * "Apply a patch to fix the README" raises approval_required; `pushpals.approve` (the command every
 * surface calls) approves it; the store, Approvals view key and status bar follow; a second run is
 * denied with `pushpals.deny`; deciding an already-decided approval is reported, not re-sent.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { debugInfo, Fatal, liveOrchestrator, waitFor } from '../helpers';

interface Outcome {
  approvalId: string;
  decision: string;
  state: string;
}

describe('approval command (real orchestrator)', function () {
  this.timeout(180000);
  liveOrchestrator();

  async function runPatchTask(): Promise<{ taskId: string; approvalId: string }> {
    const taskId = (await vscode.commands.executeCommand('pushpals.newTask', 'Apply a patch to fix the README')) as string | undefined;
    assert.ok(taskId, 'pushpals.newTask returned no task id (see the PushPals log)');
    const approvalId = await waitFor(
      'approval_required for the README patch (needs the orchestrator heuristic lane + Docker)',
      async () => {
        const d = await debugInfo();
        const t = d.tasks.find((x) => x.taskId === taskId);
        if (t?.state === 'failed') throw new Fatal(`task ${taskId} failed instead of asking for approval: ${d.tasks.length} task(s); is the heuristic lane (sandbox + Docker) wired into the orchestrator?`);
        return d.pendingApprovals.at(-1);
      },
      120000,
      100,
    );
    return { taskId, approvalId };
  }

  it('approve: the command decides, every surface sees the decision, the task completes', async () => {
    const { taskId, approvalId } = await runPatchTask();
    const d = await debugInfo();
    assert.equal(d.statusBar?.background, 'statusBarItem.warningBackground', 'status bar warns while an approval waits');
    assert.match(d.statusBarText, /awaiting approval/);
    const outcome = (await vscode.commands.executeCommand('pushpals.approve', approvalId)) as Outcome;
    assert.deepEqual(outcome, { approvalId, decision: 'approve', state: 'approved' });
    await waitFor('approval no longer pending', async () => !(await debugInfo()).pendingApprovals.includes(approvalId));
    await waitFor('task completed', async () => (await debugInfo()).tasks.find((t) => t.taskId === taskId)?.state === 'completed', 60000);
    const again = (await vscode.commands.executeCommand('pushpals.approve', approvalId)) as Outcome;
    assert.equal(again.state, 'already-decided');
  });

  it('deny: the command denies, nothing is applied, the warning colour goes away', async () => {
    const { taskId, approvalId } = await runPatchTask();
    const outcome = (await vscode.commands.executeCommand('pushpals.deny', { approvalId })) as Outcome;
    assert.equal(outcome.state, 'denied');
    await waitFor('task left awaiting_approval', async () => {
      const t = (await debugInfo()).tasks.find((x) => x.taskId === taskId);
      return t && t.state !== 'awaiting_approval' && t.state !== 'running' ? t : undefined;
    }, 60000);
    const d = await debugInfo();
    assert.equal(d.pendingApprovals.length, 0);
    assert.notEqual(d.statusBar?.background, 'statusBarItem.warningBackground');
  });
});
