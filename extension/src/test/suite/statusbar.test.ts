/**
 * Status bar logic: the pure statusView() over task counts and connection states, the store's counts
 * from protocol events, and the live item while a real task runs and finishes.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { EventMessage, TaskCounts } from '@pushpals/protocol/client';
import { statusView } from '../../statusModel';
import { StateStore } from '../../stateStore';
import { debugInfo, Fatal, liveOrchestrator, waitFor } from '../helpers';

const zero: TaskCounts = { running: 0, awaiting: 0, failed: 0, queued: 0, completed: 0, total: 0, busyAgents: 0 };
const connected = { state: 'connected' as const };
let seq = 0;
function ev(type: string, payload: Record<string, unknown>): EventMessage {
  return { protocolVersion: '1.0', id: `e${++seq}`, ts: new Date().toISOString(), sessionId: 's1', type, from: 'orchestrator', seq, payload } as unknown as EventMessage;
}

describe('status bar logic', () => {
  it('idle when connected and nothing runs', () => {
    const v = statusView(connected, zero);
    assert.equal(v.text, '$(check) PushPals: idle');
    assert.equal(statusView(connected, zero, 'myrepo').text, '$(check) PushPals: idle · myrepo');
    assert.equal(v.background, undefined);
    assert.equal(v.busy, false);
  });
  it('spinner and count while tasks run', () => {
    const v = statusView(connected, { ...zero, running: 2, total: 2 });
    assert.equal(v.text, '$(sync~spin) PushPals: 2 running');
    assert.equal(v.busy, true);
  });
  it('warning colour and bell when something awaits approval', () => {
    const v = statusView(connected, { ...zero, running: 1, awaiting: 1, total: 2 });
    assert.equal(v.text, '$(bell-dot) PushPals: 1 running, 1 awaiting approval');
    assert.equal(v.background, 'statusBarItem.warningBackground');
  });
  it('counts live work only: queued tasks show, finished ones (failed included) only in the tooltip', () => {
    const v = statusView(connected, { ...zero, failed: 3, completed: 4, total: 7 });
    assert.equal(v.text, '$(check) PushPals: idle');
    assert.match(v.tooltip, /3 failed, 4 completed/);
    assert.equal(statusView(connected, { ...zero, running: 1, queued: 2, total: 3 }).text, '$(sync~spin) PushPals: 1 running, 2 queued');
  });
  it('an approval whose task failed or was cancelled is not counted (nobody waits for it any more)', () => {
    const s = new StateStore();
    s.apply(ev('task_created', { taskId: 'f1', title: 'F', request: 'f', state: 'running' }));
    s.apply(ev('approval_required', { approvalId: 'af', taskId: 'f1', kind: 'command', title: 'Run', reason: 'r', risk: 'low' }));
    assert.equal(s.counts().awaiting, 1);
    s.apply(ev('task_failed', { taskId: 'f1', error: { code: 'internal', message: 'its job failed for good' } }));
    assert.equal(s.counts().awaiting, 0);
    assert.deepEqual(s.pendingApprovals(), []);
    assert.equal(statusView(connected, s.counts()).text, '$(check) PushPals: idle');
  });
  it('connection states: reconnecting spins, failures are red and say the fix', () => {
    assert.equal(statusView({ state: 'reconnecting', detail: 'x' }, zero).busy, true);
    const f = statusView({ state: 'failed', fatal: 'auth', detail: 'refused' }, zero);
    assert.equal(f.background, 'statusBarItem.errorBackground');
    assert.match(f.tooltip, /Connect…/);
    assert.match(statusView({ state: 'idle' }, zero).text, /debug-disconnect/);
  });
  it('the store counts tasks through their life (created → started → approval → approved → completed; failed)', () => {
    const s = new StateStore();
    s.apply(ev('task_created', { taskId: 't1', title: 'A', request: 'a', state: 'queued' }));
    assert.equal(s.counts().queued, 1);
    s.apply(ev('task_started', { taskId: 't1', agentId: 'worker:1' }));
    assert.equal(s.counts().running, 1);
    s.apply(ev('approval_required', { approvalId: 'a1', taskId: 't1', kind: 'patch', title: 'Patch', reason: 'r', risk: 'medium' }));
    assert.deepEqual([s.counts().running, s.counts().awaiting], [0, 1]);
    s.apply(ev('approved', { approvalId: 'a1', taskId: 't1', by: 'user' }));
    assert.deepEqual([s.counts().running, s.counts().awaiting], [1, 0]);
    s.apply(ev('task_completed', { taskId: 't1', summary: 'done' }));
    s.apply(ev('task_created', { taskId: 't2', title: 'B', request: 'b', state: 'queued' }));
    s.apply(ev('task_failed', { taskId: 't2', error: { code: 'internal', message: 'boom' } }));
    const c = s.counts();
    assert.deepEqual([c.running, c.awaiting, c.failed, c.completed, c.total], [0, 0, 1, 1, 2]);
  });
  it('the store notifies once per batch, not for duplicates, and on reset', () => {
    const s = new StateStore();
    const calls: string[][] = [];
    s.onChange((changes) => calls.push(changes.map((x) => x.kind)));
    const batch = [ev('task_created', { taskId: 'b1', title: 'A', request: 'a', state: 'queued' }), ev('agent_status', { agentId: 'worker:1', status: 'busy' })];
    s.applyAll(batch);
    s.applyAll(batch);
    s.reset();
    assert.deepEqual(calls, [['task', 'agent'], ['reset']]);
    assert.equal(s.tasks.size, 0);
  });

  describe('live (real orchestrator)', function () {
    this.timeout(150000);
    liveOrchestrator();

    it('shows the running task, then returns to idle; click opens the task quick pick', async () => {
      const taskId = (await vscode.commands.executeCommand('pushpals.newTask', 'Run git status on this repo')) as string;
      assert.ok(taskId);
      await waitFor('task completed', async () => {
        const t = (await debugInfo()).tasks.find((x) => x.taskId === taskId);
        if (t?.state === 'failed') throw new Fatal(`task ${taskId} failed (is the heuristic lane wired into the orchestrator?)`);
        return t?.state === 'completed';
      }, 120000);
      await waitFor('status bar idle', async () => /PushPals: idle/.test((await debugInfo()).statusBarText), 10000);
      const texts = (await debugInfo()).statusBarHistory;
      assert.ok(texts.some((t) => /1 running/.test(t)), `never showed "1 running": ${texts.join(' | ')}`);
      const cmds = await vscode.commands.getCommands(true);
      assert.ok(cmds.includes('pushpals.showTasks'));
    });
  });
});
