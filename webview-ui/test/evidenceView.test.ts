/**
 * The task card's evidence block (src/evidenceView.ts), from events folded with the shared reducer as
 * the chat folds them: counts against the base, where the checks ran, a failing check's excerpt (or
 * the end of its output), nothing for a task without checks.
 */
import assert from 'node:assert/strict';
import type { EventMessage, EventPayload, EventType } from '@pushpals/protocol/client';
import { applyEvents, createClientState, type TaskView } from '@pushpals/protocol/state';
import { EXCERPT_TAIL_LINES, evidenceBlock } from '../src/evidenceView';

let seq = 0;
const ev = <K extends EventType>(type: K, payload: EventPayload<K>): EventMessage =>
  ({ protocolVersion: '1.0', id: `e${seq + 1}`, ts: '2025-01-01T00:00:00.000Z', sessionId: 's1', type, from: 'orchestrator', seq: ++seq, payload }) as unknown as EventMessage;
/** The task after its creation and then `events()` (made after it, so their seqs follow). */
const taskAfter = (events: () => EventMessage[]): TaskView => {
  const s = createClientState();
  const created = ev('task_created', { taskId: 't1', title: 'Fix', request: 'fix it', state: 'running' });
  applyEvents(s, [created, ...events()]);
  return s.tasks.get('t1')!;
};
const BASE = 'b'.repeat(40);
const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const diff = (evidence: EventPayload<'diff_ready'>['evidence']): EventPayload<'diff_ready'> => ({ taskId: 't1', diff: 'd', files: ['a.js'], hunks: [], baseCommit: BASE, evidence });

describe('chat task card: checks as evidence', () => {
  it('one line per check with its counts and the base, titled with where and which tree; passing checks have no excerpt', () => {
    const t = taskAfter(() => [
      ev('diff_ready', diff({
        treeId: TREE,
        checks: [{ name: 'test', command: 'npm test', status: 'passed', exitCode: 0, durationMs: 5, counts: { passed: 12, failed: 0, skipped: 1 } }],
        before: [{ name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 5, counts: { passed: 10, failed: 3, skipped: 0 } }],
        rounds: 2,
      })),
    ]);
    const b = evidenceBlock(t);
    assert.deepEqual(b, { title: 'Checks on tree 4b825dc642cb', rounds: 2, rows: [{ name: 'test', text: 'test: 12 passed, 1 skipped · was 3 failing on the base', status: 'passed', change: 'fixed' }] });
  });

  it('the checks on the accepted hunks\' tree, labelled so; a failing one carries its excerpt, else the last lines of its output', () => {
    const output = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n');
    const sha = 'c'.repeat(40);
    const t = taskAfter(() => [
      ev('diff_ready', diff(undefined)),
      ev('check_result', { taskId: 't1', name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 5, output: 'x', excerpt: '1) adds\n   AssertionError: 3 !== 4', counts: { passed: 4, failed: 1, skipped: 0 }, phase: 'commit', commit: sha, treeId: TREE }),
      ev('check_result', { taskId: 't1', name: 'lint', command: 'npm run lint', status: 'failed', exitCode: 2, durationMs: 5, output, phase: 'commit', commit: sha, treeId: TREE }),
      ev('committed', { taskId: 't1', sha, branch: 'pushpals/t1', message: 'm' }),
    ]);
    const b = evidenceBlock(t)!;
    assert.equal(b.title, 'Checks on the accepted hunks\' tree 4b825dc642cb');
    assert.deepEqual(b.rows.map((r) => [r.text, r.phase, r.change]), [
      ['test: 1 failing, 4 passed', 'on the accepted hunks\' tree', 'new'],
      ['lint: failed (exit 2)', 'on the accepted hunks\' tree', 'new'],
    ]);
    assert.equal(b.rows[0]!.excerpt, '1) adds\n   AssertionError: 3 !== 4');
    assert.equal(b.rows[1]!.excerpt?.split('\n').length, EXCERPT_TAIL_LINES);
    assert.equal(b.rows[1]!.excerpt?.split('\n').at(-1), 'line 40');
  });

  it('a base result reused from an earlier task says which and how long ago, with the task and its time in the row\'s tooltip', () => {
    const ranAt = '2025-01-01T10:00:00.000Z';
    const reusedFrom = { taskId: 't_abc', at: ranAt };
    const t = taskAfter(() => [
      ev('diff_ready', diff({
        treeId: TREE,
        checks: [
          { name: 'test', command: 'npm test', status: 'passed', exitCode: 0, durationMs: 5, counts: { passed: 12, failed: 0, skipped: 0 } },
          { name: 'lint', command: 'npm run lint', status: 'passed', exitCode: 0, durationMs: 5 },
        ],
        before: [{ name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 5, counts: { passed: 9, failed: 3, skipped: 0 }, reusedFrom }],
      })),
    ]);
    const b = evidenceBlock(t, Date.parse(ranAt) + 12 * 60_000)!;
    assert.deepEqual(b.rows.map((r) => [r.text, r.tooltip]), [
      ['test: 12 passed · was 3 failing on the base (reused from t_abc, 12 min ago)', 'Base result reused from task t_abc (ran 2025-01-01T10:00:00.000Z), not run again'],
      ['lint: passed', undefined],
    ]);
  });

  it('a task without checks has no evidence block', () => {
    assert.equal(evidenceBlock(taskAfter(() => [ev('diff_ready', diff(undefined))])), undefined);
  });
});
