/**
 * The shared reducer's grants and the one approval inbox: grant_added/grant_revoked fold into
 * `grants`, `activeGrants` by the clock, an approval a grant decided leaves a note on its task (no
 * prompt was ever shown), and the inbox (`pendingApprovals`, `taskCounts.awaiting`) lists only live
 * approvals — never one whose task failed or was cancelled — with the plan of a ticket's task.
 */
import assert from 'node:assert/strict';
import {
  activeGrants,
  applyEvent,
  applyEvents,
  approvalContext,
  createClientState,
  isLiveApproval,
  pendingApprovals,
  taskCounts,
  type ClientState,
  type EventMessage,
  type EventPayload,
  type EventType,
  type GrantInfo,
} from '../src';

function stream() {
  let seq = 0;
  return <K extends EventType>(type: K, payload: EventPayload<K>): EventMessage<K> =>
    ({ protocolVersion: '1.0', id: `e${seq + 1}`, ts: '2026-01-01T00:00:00.000Z', sessionId: 's1', type, from: 'orchestrator', seq: ++seq, payload }) as unknown as EventMessage<K>;
}
const fold = (events: EventMessage[]): ClientState => {
  const s = createClientState();
  applyEvents(s, events);
  return s;
};
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const grant = (id: string, hours: number, over: Partial<GrantInfo> = {}): GrantInfo => ({
  grantId: id, scope: 'repo', repoId: 'r1', actions: ['commit'], createdAt: new Date(T0).toISOString(), expiresAt: new Date(T0 + hours * 3600_000).toISOString(), createdBy: 'user', ...over,
});

describe('client state: grants and the approval inbox', () => {
  it('grant_added / grant_revoked: active grants by the clock, soonest to expire first; a revoke is reported once', () => {
    const ev = stream();
    const s = createClientState();
    const changes = applyEvents(s, [ev('grant_added', { grant: grant('g8', 8) }), ev('grant_added', { grant: grant('g1', 1, { scope: 'task', taskId: 't1', repoId: undefined }) })]);
    assert.deepEqual(changes, [{ kind: 'grant', grantId: 'g8' }, { kind: 'grant', grantId: 'g1' }]);
    assert.deepEqual(activeGrants(s, T0).map((g) => g.grantId), ['g1', 'g8']);
    assert.deepEqual(activeGrants(s, T0 + 3600_000).map((g) => g.grantId), ['g8'], 'g1 expired at its expiresAt');
    assert.deepEqual(applyEvent(s, ev('grant_revoked', { grantId: 'g8', by: 'user', revokedAt: new Date(T0 + 60_000).toISOString() })), [{ kind: 'grant', grantId: 'g8' }]);
    assert.deepEqual(applyEvent(s, ev('grant_revoked', { grantId: 'g8', by: 'user', revokedAt: new Date(T0 + 90_000).toISOString() })), []);
    assert.equal(s.grants.get('g8')?.revokedAt, new Date(T0 + 60_000).toISOString());
    assert.deepEqual(activeGrants(s, T0).map((g) => g.grantId), ['g1'], 'a revoked grant is not active');
  });

  it('an approval a grant decided (approved by grant:<id>, never asked) leaves a note on the task and no prompt', () => {
    const ev = stream();
    const s = fold([ev('task_created', { taskId: 't1', title: 'T', request: 'r', state: 'completed' }), ev('approved', { approvalId: 'a9', taskId: 't1', by: 'grant:g8' })]);
    assert.deepEqual(s.tasks.get('t1')?.notes.map((n) => [n.kind, n.text]), [['grant', 'auto-approved by grant:g8']]);
    assert.deepEqual(pendingApprovals(s), []);
    assert.equal(s.approvals.size, 0);
    // A person's approval of an unseen request (a replay filtered by task) leaves no grant note.
    const s2 = fold([ev('approved', { approvalId: 'a1', taskId: 't2', by: 'user' })]);
    assert.deepEqual(s2.tasks.get('t2')?.notes, []);
  });

  it('the inbox lists live approvals only: not those of a failed or cancelled task; a completed task\'s commit approval is live', () => {
    const ev = stream();
    const ask = (approvalId: string, taskId: string, kind: 'command' | 'commit' = 'command') => ev('approval_required', { approvalId, taskId, kind, title: approvalId, reason: 'r', risk: 'low' });
    const s = fold([
      ev('task_created', { taskId: 'run', title: 'R', request: 'r', state: 'running' }),
      ev('task_created', { taskId: 'fail', title: 'F', request: 'f', state: 'running' }),
      ev('task_created', { taskId: 'gone', title: 'G', request: 'g', state: 'running' }),
      ev('task_created', { taskId: 'done', title: 'D', request: 'd', state: 'running' }),
      ask('a-run', 'run'), ask('a-fail', 'fail'), ask('a-gone', 'gone'),
      ev('task_completed', { taskId: 'done', summary: 'ok' }),
      ask('a-commit', 'done', 'commit'),
      ev('task_failed', { taskId: 'fail', error: { code: 'internal', message: 'its job failed for good' } }),
      ev('task_cancelled', { taskId: 'gone', by: 'user' }),
    ]);
    assert.deepEqual(pendingApprovals(s).map((a) => a.approvalId), ['a-run', 'a-commit']);
    assert.equal(taskCounts(s).awaiting, 2, 'the status bar counts the same live approvals');
    const stale = s.approvals.get('a-fail');
    assert.ok(stale);
    assert.equal(stale.status, 'pending', 'still pending on the orchestrator until it expires');
    assert.equal(isLiveApproval(s, stale), false);
  });

  it('approvalContext: the task, and the plan when the task is a ticket of one', () => {
    const ev = stream();
    const s = fold([
      ev('task_created', { taskId: 'plan', title: 'Add a CLI', request: 'add a cli', state: 'running' }),
      ev('task_created', { taskId: 'tk', title: 'Parse the flags', request: 'Ticket T2: Parse the flags', state: 'queued', parentId: 'plan' }),
      ev('task_created', { taskId: 'solo', title: 'Fix it', request: 'fix', state: 'running' }),
      ev('approval_required', { approvalId: 'a1', taskId: 'tk', kind: 'command', title: 'Run npm test', reason: 'r', risk: 'medium' }),
      ev('approval_required', { approvalId: 'a2', taskId: 'solo', kind: 'command', title: 'Run make', reason: 'r', risk: 'low' }),
    ]);
    const [a1, a2] = pendingApprovals(s);
    assert.ok(a1 && a2);
    const c1 = approvalContext(s, a1);
    assert.deepEqual([c1.task?.title, c1.plan?.title], ['Parse the flags', 'Add a CLI']);
    const c2 = approvalContext(s, a2);
    assert.deepEqual([c2.task?.title, c2.plan], ['Fix it', undefined]);
  });
});
