/**
 * Auto-commit grants and the one approval inbox, against the REAL orchestrator (spawned) in the real
 * extension host: "Grant Auto-Commit…" (answers passed as the argument, as a task's context menu or a
 * script would) makes a grant every surface sees (`grant_added` → the Grants view), "Revoke" ends it
 * (`grant_revoked` → gone from the view; a second revoke changes nothing); two README patches waiting at
 * once are both in the inbox and "Approve Selected" decides both (one approval_decide each); a row
 * names the task, or the ticket and its plan.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ApprovalView } from '@pushpals/protocol/client';
import type { Session } from '../../session';
import { StateStore } from '../../stateStore';
import { approvalOrigin } from '../../views/approvalsTree';
import { timeLeft } from '../../views/grantsTree';
import { debugInfo, Fatal, liveOrchestrator, waitFor } from '../helpers';

let seq = 0;
const ev = (type: string, payload: Record<string, unknown>) =>
  ({ protocolVersion: '1.0', id: `g${++seq}`, ts: new Date().toISOString(), sessionId: 's1', type, from: 'orchestrator', seq, payload }) as never;

describe('auto-commit grants and the approval inbox (real orchestrator)', function () {
  this.timeout(240000);
  liveOrchestrator();

  it('a row says where the approval comes from: the task, or the ticket and its plan', () => {
    const store = new StateStore();
    store.applyAll([
      ev('task_created', { taskId: 'plan', title: 'Add a CLI', request: 'add a cli', state: 'running' }),
      ev('task_created', { taskId: 'tk', title: 'Parse the flags', request: 'Ticket T2', state: 'running', parentId: 'plan' }),
      ev('approval_required', { approvalId: 'a1', taskId: 'tk', kind: 'command', title: 'Run npm test', reason: 'r', risk: 'medium' }),
      ev('approval_required', { approvalId: 'a2', taskId: 'plan', kind: 'plan', title: 'Plan', reason: 'r', risk: 'low' }),
    ]);
    const session = { store } as unknown as Session;
    const [a1, a2] = store.pendingApprovals() as [ApprovalView, ApprovalView];
    assert.equal(approvalOrigin(session, a1), 'ticket "Parse the flags" of plan "Add a CLI"');
    assert.equal(approvalOrigin(session, a2), 'task "Add a CLI"');
    assert.equal(timeLeft(new Date(Date.now() + (7 * 60 + 59) * 60000 + 30000).toISOString()), '7 h 59 min left');
  });

  it('Grant Auto-Commit… for a task and for the repository: the Grants view lists them; Revoke removes one', async () => {
    const taskId = (await vscode.commands.executeCommand('pushpals.newTask', 'Run git status on this repo')) as string | undefined;
    assert.ok(taskId, 'pushpals.newTask returned no task id');
    const repo = await waitFor('the window to be bound to its repository', async () => (await debugInfo()).repo);

    const forTask = (await vscode.commands.executeCommand('pushpals.grantAutoCommit', { taskId, actions: ['commit', 'push'], ttlMinutes: 90 })) as string | undefined;
    assert.ok(forTask, 'no grant id (see the PushPals log)');
    const forRepo = (await vscode.commands.executeCommand('pushpals.grantAutoCommit', { repo: repo.repoId, actions: ['commit'], ttlMinutes: 480 })) as string | undefined;
    assert.ok(forRepo);
    const d = await waitFor('both grants in the Grants view', async () => {
      const x = await debugInfo();
      return x.grantsView.length === 2 ? x : undefined;
    });
    assert.deepEqual(d.grantsView, [forTask, forRepo], 'the soonest to expire first');
    const t = d.grants.find((g) => g.grantId === forTask);
    assert.deepEqual([t?.scope, t?.taskId, t?.actions], ['task', taskId, ['commit', 'push']]);
    assert.equal(d.grants.find((g) => g.grantId === forRepo)?.repoId, repo.repoId);

    assert.equal(await vscode.commands.executeCommand('pushpals.revokeGrant', { grantId: forRepo }), true);
    await waitFor('the revoked grant to leave the view', async () => {
      const x = await debugInfo();
      return x.grantsView.length === 1 && x.grantsView[0] === forTask;
    });
    assert.ok((await debugInfo()).grants.find((g) => g.grantId === forRepo)?.revokedAt, 'kept, marked revoked');
    assert.equal(await vscode.commands.executeCommand('pushpals.revokeGrant', forRepo), false, 'revoking again changes nothing');
    assert.equal(await vscode.commands.executeCommand('pushpals.revokeGrant', forTask), true);
    await waitFor('the Grants view to be empty', async () => (await debugInfo()).grantsView.length === 0);
  });

  it('two approvals waiting at once are both in the inbox; Approve Selected decides each of them', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const taskId = (await vscode.commands.executeCommand('pushpals.newTask', 'Apply a patch to fix the README')) as string | undefined;
      assert.ok(taskId, `task ${n}: no id`);
      ids.push(taskId);
    }
    const pending = await waitFor(
      'two README patch approvals (needs the heuristic lane + Docker)',
      async () => {
        const x = await debugInfo();
        for (const id of ids) if (x.tasks.find((t) => t.taskId === id)?.state === 'failed') throw new Fatal(`task ${id} failed instead of asking`);
        const mine = x.approvals.filter((a) => ids.includes(a.taskId) && a.status === 'pending').map((a) => a.approvalId);
        return mine.length === 2 ? { x, mine } : undefined;
      },
      150000,
      100,
    );
    assert.deepEqual([...pending.x.approvalsView].sort(), [...pending.mine].sort(), 'the inbox lists both, across tasks');
    assert.match(pending.x.statusBarText, /2 awaiting approval/);
    const outcomes = (await vscode.commands.executeCommand('pushpals.approveSelected', pending.mine.map((approvalId) => ({ approvalId })))) as Array<{ approvalId: string; state: string }>;
    assert.deepEqual(outcomes.map((o) => o.state), ['approved', 'approved']);
    await waitFor('the inbox to be empty and the tasks to finish', async () => {
      const x = await debugInfo();
      return x.approvalsView.length === 0 && ids.every((id) => x.tasks.find((t) => t.taskId === id)?.state === 'completed');
    }, 90000);
    const x = await debugInfo();
    assert.deepEqual(x.approvals.filter((a) => ids.includes(a.taskId)).map((a) => a.status), ['approved', 'approved']);
    assert.doesNotMatch(x.statusBarText, /awaiting approval/);
  });
});
