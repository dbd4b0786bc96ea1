/**
 * The shared client-state reducer (src/state): what each event does to tasks, steps, tool calls,
 * approvals, notes, agents and the timeline; dedupe by seq; determinism; the selectors.
 */
import assert from 'node:assert/strict';
import {
  DEFAULT_STEP,
  applyEvent,
  applyEvents,
  commandText,
  createClientState,
  decisionStatus,
  isActive,
  openReviews,
  pendingApprovals,
  reviewCounts,
  describeChangeCounts,
  describeFileCount,
  describeReviewSize,
  taskCounts,
  taskList,
  type ClientState,
  type EventMessage,
  type EventPayload,
  type EventType,
  type TaskView,
} from '../src';
import { eventFixtures } from './typed-fixtures';
import { describeFileEntry, isBinary } from '../src/review';

/** Builds a stream of events with increasing seqs. */
function stream() {
  let seq = 0;
  return <K extends EventType>(type: K, payload: EventPayload<K>, from = 'orchestrator'): EventMessage<K> =>
    ({ protocolVersion: '1.0', id: `e${seq + 1}`, ts: '2025-01-01T00:00:00.000Z', sessionId: 's1', type, from, seq: ++seq, payload }) as unknown as EventMessage<K>;
}

const fold = (events: EventMessage[]): ClientState => {
  const s = createClientState();
  applyEvents(s, events);
  return s;
};
const taskOf = (s: ClientState, id: string): TaskView => {
  const t = s.tasks.get(id);
  assert.ok(t, `task ${id} missing`);
  return t;
};

describe('client state reducer (src/state)', () => {
  describe('tasks', () => {
    it('task_base records what the working copy started from (commit, branch, uncommitted) and the repository', () => {
      const ev = stream();
      const base = { commit: 'a'.repeat(40), branch: 'main', uncommitted: true, files: 2 };
      const s = fold([ev('task_created', { taskId: 't1', title: 'T', request: 'r', state: 'queued' }), ev('task_base', { taskId: 't1', repoId: 'repo-1', base })]);
      assert.deepEqual(taskOf(s, 't1').base, base);
      assert.equal(taskOf(s, 't1').repoId, 'repo-1');
    });

    it('task_created sets title, request, state, parent and repo; the task enters the timeline once', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 'p', title: 'Plan', request: 'do it', state: 'queued', repoId: 'r1' }),
        ev('task_created', { taskId: 'c', title: 'Child', request: 'part', state: 'queued', parentId: 'p' }),
      ]);
      const p = taskOf(s, 'p');
      assert.deepEqual([p.title, p.request, p.state, p.repoId, p.createdSeq, p.updatedSeq], ['Plan', 'do it', 'queued', 'r1', 1, 1]);
      assert.equal(taskOf(s, 'c').parentId, 'p');
      assert.deepEqual(s.timeline.map((i) => i.key), ['task:p', 'task:c']);
    });

    it('follows a task through started → progress → completed', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'queued' }),
        ev('task_started', { taskId: 't', agentId: 'worker:1' }),
        ev('task_progress', { taskId: 't', message: 'half way', percent: 50 }),
        ev('task_completed', { taskId: 't', summary: 'all done' }),
      ]);
      const t = taskOf(s, 't');
      assert.deepEqual([t.state, t.agentId, t.progress, t.percent, t.summary, t.updatedSeq], ['completed', 'worker:1', 'half way', 50, 'all done', 4]);
      assert.deepEqual(t.notes.map((n) => [n.kind, n.text]), [['progress', 'half way']]);
    });

    it('task_failed keeps the typed error; task_cancelled notes its reason', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 'f', title: 'F', request: 'r', state: 'queued' }),
        ev('task_failed', { taskId: 'f', error: { code: 'command_failed', message: 'exit 1' } }),
        ev('task_created', { taskId: 'c', title: 'C', request: 'r', state: 'queued' }),
        ev('task_cancelled', { taskId: 'c', by: 'user', reason: 'not needed' }),
      ]);
      assert.deepEqual(taskOf(s, 'f').error, { code: 'command_failed', message: 'exit 1' });
      assert.equal(taskOf(s, 'f').state, 'failed');
      assert.equal(taskOf(s, 'c').state, 'cancelled');
      assert.deepEqual(taskOf(s, 'c').notes.map((n) => n.text), ['cancelled: not needed']);
    });

    it('task_paused / task_resumed mark the task paused and not (state unchanged, a note each); a finished task is not paused', () => {
      const ev = stream();
      const s = createClientState();
      applyEvents(s, [ev('task_created', { taskId: 'p', title: 'P', request: 'r', state: 'queued' }), ev('task_started', { taskId: 'p', agentId: 'worker:1' })]);
      applyEvent(s, ev('task_paused', { taskId: 'p', by: 'user' }));
      assert.deepEqual([taskOf(s, 'p').state, taskOf(s, 'p').paused], ['running', true]);
      applyEvent(s, ev('task_resumed', { taskId: 'p', by: 'user' }));
      assert.deepEqual([taskOf(s, 'p').state, taskOf(s, 'p').paused], ['running', false]);
      applyEvent(s, ev('task_paused', { taskId: 'p', by: 'user' }));
      applyEvent(s, ev('task_cancelled', { taskId: 'p', by: 'user' }));
      assert.deepEqual([taskOf(s, 'p').state, taskOf(s, 'p').paused], ['cancelled', undefined]);
      assert.deepEqual(taskOf(s, 'p').notes.map((n) => n.text), ['paused by user', 'resumed by user', 'paused by user']);
    });

    it('an event for an unseen task creates a placeholder (running, titled by its id) that task_created fills in', () => {
      const ev = stream();
      const s = createClientState();
      applyEvent(s, ev('task_progress', { taskId: 'late', message: 'working' }));
      assert.deepEqual([taskOf(s, 'late').title, taskOf(s, 'late').state, taskOf(s, 'late').request], ['late', 'running', '']);
      applyEvent(s, ev('task_created', { taskId: 'late', title: 'Late', request: 'req', state: 'queued' }));
      assert.deepEqual([taskOf(s, 'late').title, taskOf(s, 'late').state, taskOf(s, 'late').request], ['Late', 'queued', 'req']);
      assert.equal(s.timeline.length, 1, 'still one timeline entry');
    });
  });

  describe('steps and tool calls', () => {
    it('tool calls before any named step land in the default step; a new step name opens a step, a repeated one does not', () => {
      const ev = stream();
      const s = fold([
        ev('tool_call', { taskId: 't', toolCallId: 'c1', tool: 'run_command', args: { command: 'git status' } }),
        ev('task_progress', { taskId: 't', message: 'testing', step: 'Test' }),
        ev('tool_call', { taskId: 't', toolCallId: 'c2', tool: 'run_command', args: { command: ['npm', 'test'] }, policy: { verdict: 'ask', reason: 'runs code' } }),
        ev('task_progress', { taskId: 't', message: 'still testing', step: 'Test' }),
        ev('tool_call', { taskId: 't', toolCallId: 'c3', tool: 'read_file', args: { path: 'README.md' } }),
      ]);
      const t = taskOf(s, 't');
      assert.deepEqual(t.steps.map((st) => [st.name, st.toolCalls.map((c) => c.toolCallId)]), [[DEFAULT_STEP, ['c1']], ['Test', ['c2', 'c3']]]);
      assert.deepEqual(t.toolCalls.map((c) => c.command), ['git status', 'npm test', 'read_file README.md']);
      assert.equal(t.toolCalls[1]?.verdict, 'ask');
      assert.equal(t.toolCalls[0]?.verdict, undefined);
      assert.strictEqual(t.steps[1]?.toolCalls[0], t.toolCalls[1], 'steps and the flat list share the objects');
      assert.deepEqual(t.notes.map((n) => n.text), ['Test: testing', 'Test: still testing']);
    });

    it('tool_result attaches to its call; a result without a seen call is kept as a call of its own', () => {
      const ev = stream();
      const s = fold([
        ev('tool_call', { taskId: 't', toolCallId: 'c1', tool: 'run_command', args: { command: 'ls' } }),
        ev('tool_result', { taskId: 't', toolCallId: 'c1', tool: 'run_command', ok: true, exitCode: 0, stdout: 'a\n', truncated: false, durationMs: 5 }),
        ev('tool_result', { taskId: 't', toolCallId: 'c9', tool: 'run_command', ok: false, exitCode: 2, truncated: false, durationMs: 1 }),
      ]);
      const t = taskOf(s, 't');
      assert.equal(t.toolCalls[0]?.result?.stdout, 'a\n');
      assert.deepEqual(t.toolCalls.map((c) => [c.toolCallId, c.command, c.result?.exitCode]), [['c1', 'ls', 0], ['c9', 'run_command', 2]]);
      assert.equal(t.steps[0]?.toolCalls.length, 2);
    });
  });

  describe('approvals', () => {
    const setup = () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'queued' }),
        ev('task_started', { taskId: 't', agentId: 'worker:1' }),
        ev('approval_required', { approvalId: 'a1', taskId: 't', kind: 'command', title: 'Run npm test', reason: 'runs code', risk: 'medium', command: 'npm test', expiresAt: '2025-01-01T00:05:00.000Z' }),
      ]);
      return { ev, s };
    };

    it('approval_required makes the task await approval and reports the new approval', () => {
      const ev = stream();
      const s = fold([ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'running' })]);
      const changes = applyEvent(s, { ...ev('approval_required', { approvalId: 'a1', taskId: 't', kind: 'patch', title: 'Patch', reason: 'fix', risk: 'low', patch: '+x' }), seq: 2 });
      const a = s.approvals.get('a1');
      assert.ok(a);
      assert.deepEqual([a.status, a.kind, a.patch, a.taskId, a.seq], ['pending', 'patch', '+x', 't', 2]);
      assert.equal(taskOf(s, 't').state, 'awaiting_approval');
      assert.strictEqual(taskOf(s, 't').approvals[0], a);
      assert.deepEqual(changes.map((c) => c.kind), ['task', 'approval']);
    });

    it('a pr approval keeps its proposed title, body and the number it updates (what a client offers to edit)', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'running' }),
        ev('approval_required', { approvalId: 'a2', taskId: 't', kind: 'pr', title: 'Update pull request #3', reason: 'r', risk: 'low', message: 'Fix\n\nBody', pullRequest: { title: 'Fix', body: 'Body', number: 3 } }),
      ]);
      assert.deepEqual(s.approvals.get('a2')?.pullRequest, { title: 'Fix', body: 'Body', number: 3 });
    });

    it('approved: the approval records who, the task runs again; the change carries the previous status', () => {
      const { ev, s } = setup();
      const changes = applyEvent(s, ev('approved', { approvalId: 'a1', taskId: 't', by: 'user' }));
      assert.deepEqual([s.approvals.get('a1')?.status, s.approvals.get('a1')?.by, taskOf(s, 't').state], ['approved', 'user', 'running']);
      assert.deepEqual(changes.find((c) => c.kind === 'approval'), { kind: 'approval', approval: s.approvals.get('a1'), previous: 'pending' });
    });

    it('denied by a person is "denied"; denied by the orchestrator for expiry is "expired"', () => {
      const a = setup();
      applyEvent(a.s, a.ev('denied', { approvalId: 'a1', taskId: 't', by: 'user', reason: 'no' }));
      assert.equal(a.s.approvals.get('a1')?.status, 'denied');
      const b = setup();
      applyEvent(b.s, b.ev('denied', { approvalId: 'a1', taskId: 't', by: 'orchestrator', reason: 'expired' }));
      assert.deepEqual([b.s.approvals.get('a1')?.status, b.s.approvals.get('a1')?.by], ['expired', 'orchestrator']);
      // Only that exact pair means expiry: the orchestrator refusing for another reason is a denial.
      const c = setup();
      applyEvent(c.s, c.ev('denied', { approvalId: 'a1', taskId: 't', by: 'orchestrator', reason: 'policy changed' }));
      assert.equal(c.s.approvals.get('a1')?.status, 'denied');
    });

    it('the first decision wins: a later decision event leaves the approval as it was', () => {
      const { ev, s } = setup();
      applyEvent(s, ev('approved', { approvalId: 'a1', taskId: 't', by: 'user' }));
      const changes = applyEvent(s, ev('denied', { approvalId: 'a1', taskId: 't', by: 'phone' }));
      assert.deepEqual([s.approvals.get('a1')?.status, s.approvals.get('a1')?.by], ['approved', 'user']);
      assert.equal(changes.some((c) => c.kind === 'approval'), false);
    });

    it('a second approval_required with the same id changes nothing (also after a decision)', () => {
      const { ev, s } = setup();
      applyEvent(s, ev('approved', { approvalId: 'a1', taskId: 't', by: 'user' }));
      const changes = applyEvent(s, ev('approval_required', { approvalId: 'a1', taskId: 't', kind: 'command', title: 'again', reason: 'r', risk: 'high' }));
      assert.deepEqual(changes, []);
      assert.deepEqual([s.approvals.get('a1')?.status, s.approvals.get('a1')?.title, taskOf(s, 't').approvals.length, taskOf(s, 't').state], ['approved', 'Run npm test', 1, 'running']);
    });

    it('with two pending approvals the task awaits until both are decided', () => {
      const { ev, s } = setup();
      applyEvent(s, ev('approval_required', { approvalId: 'a2', taskId: 't', kind: 'patch', title: 'P', reason: 'r', risk: 'low' }));
      applyEvent(s, ev('approved', { approvalId: 'a1', taskId: 't', by: 'user' }));
      assert.equal(taskOf(s, 't').state, 'awaiting_approval');
      assert.deepEqual(pendingApprovals(s).map((a) => a.approvalId), ['a2']);
      applyEvent(s, ev('denied', { approvalId: 'a2', taskId: 't', by: 'user' }));
      assert.equal(taskOf(s, 't').state, 'running');
    });

    it('an approval for a finished task does not reopen it', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'queued' }),
        ev('task_completed', { taskId: 't', summary: 's' }),
        ev('approval_required', { approvalId: 'a1', taskId: 't', kind: 'command', title: 'x', reason: 'r', risk: 'low' }),
      ]);
      assert.equal(taskOf(s, 't').state, 'completed');
      assert.equal(pendingApprovals(s).length, 1);
    });

    it('decisionStatus classifies decision events', () => {
      const ev = stream();
      assert.equal(decisionStatus(ev('approved', { approvalId: 'a', taskId: 't', by: 'orchestrator' })), 'approved');
      assert.equal(decisionStatus(ev('denied', { approvalId: 'a', taskId: 't', by: 'orchestrator', reason: 'expired' })), 'expired');
      assert.equal(decisionStatus(ev('denied', { approvalId: 'a', taskId: 't', by: 'user', reason: 'expired' })), 'denied');
    });
  });

  describe('messages, notes and agents', () => {
    it('chat messages, untied errors and warnings join the timeline in seq order; untied debug/info logs do not', () => {
      const ev = stream();
      const s = createClientState();
      const changes = applyEvents(s, [
        ev('user_message', { text: 'hi' }, 'user'),
        ev('assistant_message', { text: 'hello', taskId: 't' }, 'orchestrator'),
        ev('log', { level: 'info', message: 'quiet' }),
        ev('log', { level: 'warn', message: 'loud' }),
        ev('error', { error: { code: 'internal', message: 'boom' } }),
      ]);
      assert.deepEqual(s.timeline.map((i) => [i.kind, i.kind === 'task' ? i.task.taskId : i.text, i.seq]), [
        ['user', 'hi', 1],
        ['assistant', 'hello', 2],
        ['log', 'loud', 4],
        ['error', 'boom (internal)', 5],
      ]);
      assert.deepEqual(s.timeline[0], { kind: 'user', key: 'm:1', id: 'e1', seq: 1, text: 'hi', from: 'user', ts: '2025-01-01T00:00:00.000Z' });
      assert.equal((s.timeline[1] as { taskId?: string }).taskId, 't');
      assert.equal(changes.length, 4, 'the info log changed nothing visible');
      assert.equal(s.applied, 5, 'but it was applied');
    });

    it('task-tied errors, logs, diffs, checks and git events become notes of the task', () => {
      const ev = stream();
      const sha = 'a'.repeat(40);
      const s = fold([
        ev('error', { taskId: 't', error: { code: 'timeout', message: 'slow' } }),
        ev('log', { taskId: 't', level: 'debug', message: 'detail' }),
        ev('diff_ready', { taskId: 't', diff: '--- a\n+++ b\n', files: ['README.md'], hunks: [] }),
        ev('check_result', { taskId: 't', name: 'tests', command: 'npm test', status: 'passed', durationMs: 10, output: '' }),
        ev('egress_blocked', { taskId: 't', host: 'x.invalid', port: 443, reason: 'not in the egress allowlist', command: 'npm ci' }),
        ev('committed', { taskId: 't', sha, branch: 'pushpals/t', message: 'fix' }),
        ev('pushed', { taskId: 't', remote: 'origin', branch: 'pushpals/t', sha }),
        ev('pr_opened', { taskId: 't', url: 'https://example.com/pr/3', number: 3, title: 'Fix' }),
        ev('pr_opened', { taskId: 't', url: 'https://example.com/pr/3', number: 3, title: 'Fix it', updated: true }),
      ]);
      assert.deepEqual(taskOf(s, 't').notes.map((n) => [n.kind, n.text, n.level]), [
        ['error', 'slow (timeout)', undefined],
        ['log', 'detail', 'debug'],
        ['diff', 'diff ready: README.md (0 hunks)', undefined],
        ['check', 'check tests: passed (npm test)', undefined],
        ['network', 'blocked: x.invalid:443 (not in the egress allowlist)', 'warn'],
        ['git', 'committed aaaaaaaa on pushpals/t', undefined],
        ['git', 'pushed pushpals/t to origin', undefined],
        ['git', 'PR #3 opened: https://example.com/pr/3', undefined],
        ['git', 'PR #3 updated: https://example.com/pr/3', undefined],
      ]);
      assert.deepEqual(taskOf(s, 't').delivery, { pushed: { remote: 'origin', branch: 'pushpals/t', sha, seq: 7 }, pr: { url: 'https://example.com/pr/3', number: 3, title: 'Fix it', seq: 9 } });
    });

    it('agent_status keeps the latest status per agent', () => {
      const ev = stream();
      const s = fold([
        ev('agent_status', { agentId: 'worker:1', status: 'busy', taskId: 't' }),
        ev('agent_status', { agentId: 'worker:2', status: 'busy' }),
        ev('agent_status', { agentId: 'worker:2', status: 'idle' }),
      ]);
      assert.deepEqual(s.agents.get('worker:1'), { status: 'busy', taskId: 't' });
      assert.deepEqual(s.agents.get('worker:2'), { status: 'idle' });
      assert.equal(taskCounts(s).busyAgents, 1);
    });
  });

  describe('order, duplicates, determinism', () => {
    const history = () => {
      const ev = stream();
      return [
        ev('user_message', { text: 'fix the readme' }, 'user'),
        ev('task_created', { taskId: 't', title: 'Fix', request: 'fix the readme', state: 'queued' }),
        ev('task_started', { taskId: 't', agentId: 'worker:1' }),
        ev('tool_call', { taskId: 't', toolCallId: 'c1', tool: 'run_command', args: { command: 'git status' } }),
        ev('tool_result', { taskId: 't', toolCallId: 'c1', tool: 'run_command', ok: true, truncated: false, durationMs: 3 }),
        ev('approval_required', { approvalId: 'a1', taskId: 't', kind: 'patch', title: 'Patch', reason: 'r', risk: 'low' }),
        ev('approved', { approvalId: 'a1', taskId: 't', by: 'user' }),
        ev('task_completed', { taskId: 't', summary: 'fixed' }),
      ] as EventMessage[];
    };

    it('an event at or below the last seq is a duplicate: counted, changes nothing', () => {
      const events = history();
      const s = fold(events);
      const before = structuredClone(s);
      for (const e of events) assert.deepEqual(applyEvent(s, e), []);
      assert.equal(s.duplicates, events.length);
      assert.deepEqual({ ...s, duplicates: 0 }, { ...before, duplicates: 0 });
    });

    it('a replay overlapping live events gives the same state as the plain history', () => {
      const events = history();
      const overlapped = [...events.slice(0, 5), ...events.slice(2, 6), ...events.slice(4)];
      const a = fold(events);
      const b = fold(overlapped);
      assert.equal(b.duplicates, overlapped.length - events.length);
      assert.deepEqual({ ...b, duplicates: 0 }, { ...a, duplicates: 0 });
      assert.equal(b.applied, events.length);
      assert.equal(b.lastSeq, events.length);
    });

    it('the same events give the same state, applied one by one or in one batch', () => {
      const events = history();
      const one = createClientState();
      for (const e of events) applyEvent(one, e);
      assert.deepEqual(one, fold(events));
      assert.deepEqual(fold(history()), fold(events));
    });

    it('every event type of the protocol applies without throwing; types no surface shows change nothing but lastSeq', () => {
      const s = createClientState();
      let seq = 0;
      for (const e of Object.values(eventFixtures)) applyEvent(s, { ...e, seq: ++seq } as EventMessage);
      assert.equal(s.applied, Object.keys(eventFixtures).length);
      const quiet = createClientState();
      for (const type of ['job_enqueued', 'job_claimed', 'job_completed', 'job_failed', 'delegate_request', 'delegate_response', 'repo_added', 'scan_result', 'suggestions', 'done'] as const) {
        assert.deepEqual(applyEvent(quiet, { ...eventFixtures[type], seq: ++seq } as EventMessage), [], type);
      }
      assert.deepEqual([quiet.tasks.size, quiet.timeline.length, quiet.approvals.size], [0, 0, 0]);
    });
  });

  describe('selectors', () => {
    it('taskCounts follows tasks through their life; awaiting counts pending approvals', () => {
      const ev = stream();
      const s = createClientState();
      const counts = (): number[] => {
        const c = taskCounts(s);
        return [c.queued, c.running, c.awaiting, c.completed, c.failed, c.total];
      };
      applyEvent(s, ev('task_created', { taskId: 't1', title: 'A', request: 'a', state: 'queued' }));
      assert.deepEqual(counts(), [1, 0, 0, 0, 0, 1]);
      applyEvent(s, ev('task_started', { taskId: 't1', agentId: 'worker:1' }));
      assert.deepEqual(counts(), [0, 1, 0, 0, 0, 1]);
      applyEvent(s, ev('approval_required', { approvalId: 'a1', taskId: 't1', kind: 'patch', title: 'P', reason: 'r', risk: 'medium' }));
      assert.deepEqual(counts(), [0, 0, 1, 0, 0, 1]);
      applyEvent(s, ev('approved', { approvalId: 'a1', taskId: 't1', by: 'user' }));
      assert.deepEqual(counts(), [0, 1, 0, 0, 0, 1]);
      applyEvent(s, ev('task_completed', { taskId: 't1', summary: 'done' }));
      applyEvent(s, ev('task_created', { taskId: 't2', title: 'B', request: 'b', state: 'queued' }));
      applyEvent(s, ev('task_failed', { taskId: 't2', error: { code: 'internal', message: 'boom' } }));
      assert.deepEqual(counts(), [0, 0, 0, 1, 1, 2]);
    });

    it('taskList is newest first; pendingApprovals oldest first, optionally of one task', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 'old', title: 'O', request: 'o', state: 'running' }),
        ev('task_created', { taskId: 'new', title: 'N', request: 'n', state: 'running' }),
        ev('approval_required', { approvalId: 'b', taskId: 'new', kind: 'command', title: 'b', reason: 'r', risk: 'low' }),
        ev('approval_required', { approvalId: 'a', taskId: 'old', kind: 'command', title: 'a', reason: 'r', risk: 'low' }),
      ]);
      assert.deepEqual(taskList(s).map((t) => t.taskId), ['new', 'old']);
      assert.deepEqual(pendingApprovals(s).map((a) => a.approvalId), ['b', 'a']);
      assert.deepEqual(pendingApprovals(s, 'old').map((a) => a.approvalId), ['a']);
    });

    it('isActive: queued, running, awaiting approval', () => {
      assert.deepEqual(
        (['queued', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled'] as const).filter(isActive),
        ['queued', 'running', 'awaiting_approval'],
      );
    });

    it('commandText: a string command, an argv, `tool path`, or the tool', () => {
      assert.equal(commandText('run_command', { command: 'git status' }), 'git status');
      assert.equal(commandText('run_command', { cmd: ['ls', '-la', 3] }), 'ls -la 3');
      assert.equal(commandText('read_file', { path: 'a.txt' }), 'read_file a.txt');
      assert.equal(commandText('write_file', { file: 'b.txt' }), 'write_file b.txt');
      assert.equal(commandText('noop', { other: 1 }), 'noop');
    });
  });

  describe('review (diff_ready, hunk_decided, committed)', () => {
    const hunk = (hunkId: string, file: string) => ({ hunkId, file, oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, header: '@@ -1,1 +1,1 @@' });
    const diff = (taskId: string, ids: Array<[string, string]>) => ({ taskId, diff: 'd', files: [...new Set(ids.map((x) => x[1]))], hunks: ids.map(([id, f]) => hunk(id, f)) });

    it('diff_ready opens the review; hunk_decided records the latest decision per hunk with who made it', () => {
      const ev = stream();
      const s = createClientState();
      applyEvents(s, [ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'running' }), ev('diff_ready', { ...diff('t', [['h1', 'a.md'], ['h2', 'a.md'], ['h3', 'b.md']]), baseCommit: 'a'.repeat(40) })]);
      const r = taskOf(s, 't').review;
      assert.ok(r);
      assert.equal(r.baseCommit, 'a'.repeat(40));
      assert.deepEqual(reviewCounts(r), { accepted: 0, rejected: 0, pending: 3, total: 3 });
      assert.deepEqual(applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'h1', decision: 'accept', by: 'user' })), [{ kind: 'review', taskId: 't', hunkIds: ['h1'] }]);
      applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'h3', decision: 'accept', by: 'user' }));
      applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'h3', decision: 'reject', by: 'phone' }));
      assert.deepEqual(reviewCounts(r), { accepted: 1, rejected: 1, pending: 1, total: 3 });
      assert.deepEqual(reviewCounts(r, 'b.md'), { accepted: 0, rejected: 1, pending: 0, total: 1 });
      assert.equal(r.hunks[2]?.by, 'phone');
      assert.deepEqual(openReviews(s).map((t) => t.taskId), ['t']);
    });

    it('whole-file changes (binary, rename) are decided by fileId like hunks and counted with them, under both paths of a rename', () => {
      const ev = stream();
      const fileChanges = [
        { fileId: 'f1', kind: 'binary' as const, change: 'modified' as const, path: 'logo.png', oldSize: 12595, newSize: 14336 },
        { fileId: 'f2', kind: 'rename' as const, change: 'renamed' as const, path: 'b.ts', oldPath: 'a.ts' },
      ];
      const s = fold([ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'running' }), ev('diff_ready', { ...diff('t', [['h1', 'a.md']]), fileChanges })]);
      const r = taskOf(s, 't').review!;
      assert.deepEqual(reviewCounts(r), { accepted: 0, rejected: 0, pending: 3, total: 3 });
      assert.deepEqual(applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'f1', decision: 'accept', by: 'user' })), [{ kind: 'review', taskId: 't', hunkIds: ['f1'] }]);
      applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'f2', decision: 'reject', by: 'phone' }));
      assert.deepEqual([r.fileChanges?.[0]?.decision, r.fileChanges?.[1]?.decision, r.fileChanges?.[1]?.by], ['accept', 'reject', 'phone']);
      assert.deepEqual(reviewCounts(r, 'a.ts'), { accepted: 0, rejected: 1, pending: 0, total: 1 });
      // Said apart where a count is shown (the chat card, the note, the review picker): 1 hunk, 2 whole-file changes.
      assert.equal(describeReviewSize(r), '1 hunk, 2 whole-file changes');
      assert.equal(taskOf(s, 't').notes.find((n) => n.kind === 'diff')?.text, 'diff ready: a.md (1 hunk, 2 whole-file changes)');
      assert.deepEqual([describeChangeCounts(3, 0), describeChangeCounts(0, 1), describeChangeCounts(0, 0), describeChangeCounts(2, 1)], ['3 hunks', '1 whole-file change', '0 hunks', '2 hunks, 1 whole-file change']);
      assert.deepEqual([describeFileCount(1), describeFileCount(2)], ['1 file', '2 files']);
      assert.deepEqual([describeFileEntry(fileChanges[0]!), describeFileEntry(fileChanges[1]!)], ['binary, 12.3 KiB → 14.0 KiB', 'renamed from a.ts']);
      assert.deepEqual([isBinary(Buffer.from('PNG\0')), isBinary(Buffer.concat([Buffer.alloc(8000, 65), Buffer.from([0])]))], [true, false], "git's rule: a NUL in the first 8000 bytes");
    });

    it('a decision on a hunk of no diff under review changes nothing; a newer diff_ready starts the review again', () => {
      const ev = stream();
      const s = fold([ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'running' }), ev('diff_ready', diff('t', [['h1', 'a.md']]))]);
      assert.deepEqual(applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'nope', decision: 'accept', by: 'user' })), []);
      assert.deepEqual(applyEvent(s, ev('hunk_decided', { taskId: 'other', hunkId: 'h1', decision: 'accept', by: 'user' })), []);
      applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'h1', decision: 'accept', by: 'user' }));
      applyEvent(s, ev('diff_ready', diff('t', [['h1', 'a.md'], ['h2', 'c.md']])));
      assert.deepEqual(reviewCounts(taskOf(s, 't').review!), { accepted: 0, rejected: 0, pending: 2, total: 2 });
    });

    it('committed closes the review: later decisions change nothing, the note names the sha', () => {
      const ev = stream();
      const s = fold([
        ev('task_created', { taskId: 't', title: 'T', request: 'r', state: 'running' }),
        ev('diff_ready', diff('t', [['h1', 'a.md'], ['h2', 'a.md']])),
        ev('hunk_decided', { taskId: 't', hunkId: 'h1', decision: 'accept', by: 'user' }),
        ev('hunk_decided', { taskId: 't', hunkId: 'h2', decision: 'reject', by: 'user' }),
        ev('committed', { taskId: 't', sha: 'b'.repeat(40), branch: 'pushpals/t', message: 'Fix', hunks: ['h1'] }),
      ]);
      const r = taskOf(s, 't').review!;
      assert.equal(r.committed?.sha, 'b'.repeat(40));
      assert.deepEqual(r.committed?.hunks, ['h1']);
      assert.deepEqual(applyEvent(s, ev('hunk_decided', { taskId: 't', hunkId: 'h2', decision: 'accept', by: 'user' })), []);
      assert.equal(r.hunks[1]?.decision, 'reject');
      assert.deepEqual(openReviews(s), []);
      assert.ok(taskOf(s, 't').notes.some((n) => n.kind === 'git' && n.text.includes('bbbbbbbb')));
    });
  });
});
