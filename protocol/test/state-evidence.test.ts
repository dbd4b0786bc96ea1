/**
 * Evidence in the shared client state: every check_result kept with its counts, phase and tree; the
 * diff's evidence kept on its review; `taskEvidence` picks what counts now (the committed tree, else
 * the diff's tree, else the latest) and sets it against the base; the texts surfaces show.
 */
import assert from 'node:assert/strict';
import { agoText, applyEvents, beforeText, comparisonReusedTooltip, comparisonText, countsText, createClientState, outcomeText, taskEvidence, type ClientState, type EventMessage, type EventPayload, type EventType, type TaskView } from '../src';

function stream() {
  let seq = 0;
  return <K extends EventType>(type: K, payload: EventPayload<K>): EventMessage<K> =>
    ({ protocolVersion: '1.0', id: `e${seq + 1}`, ts: '2025-01-01T00:00:00.000Z', sessionId: 's1', type, from: 'orchestrator', seq: ++seq, payload }) as unknown as EventMessage<K>;
}
const fold = (events: EventMessage[]): ClientState => {
  const s = createClientState();
  applyEvents(s, events);
  return s;
};
const taskOf = (s: ClientState, id = 't1'): TaskView => {
  const t = s.tasks.get(id);
  assert.ok(t);
  return t;
};

const BASE = 'b'.repeat(40);
const TREE = 'e'.repeat(40);
const SHA = 'c'.repeat(40);
const COMMIT_TREE = 'd'.repeat(40);
const hash = (c: string): string => `sha256:${c.repeat(64)}`;
type Check = EventPayload<'check_result'>;
const check = (over: Partial<Check>): Check => ({ taskId: 't1', name: 'test', command: 'npm test', status: 'passed', exitCode: 0, durationMs: 900, output: 'ok', ...over });
const diff = (evidence?: EventPayload<'diff_ready'>['evidence']): EventPayload<'diff_ready'> => ({
  taskId: 't1',
  diff: '--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-x\n+y\n',
  files: ['a.js'],
  hunks: [{ hunkId: 'h1', file: 'a.js', oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, header: '@@ -1 +1 @@' }],
  baseCommit: BASE,
  ...(evidence ? { evidence } : {}),
});
const EVIDENCE: NonNullable<EventPayload<'diff_ready'>['evidence']> = {
  treeId: TREE,
  checks: [
    { name: 'test', command: 'npm test', status: 'passed', exitCode: 0, durationMs: 800, counts: { passed: 12, failed: 0, skipped: 1 }, outputHash: hash('1') },
    { name: 'lint', command: 'npm run lint', status: 'passed', exitCode: 0, durationMs: 300 },
  ],
  before: [{ name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 700, counts: { passed: 9, failed: 3, skipped: 1 } }],
  rounds: 2,
};

describe('client state: checks as evidence (src/state/evidence.ts)', () => {
  it('keeps every check_result with its counts, phase, tree and excerpt; its note says where it ran and the counts', () => {
    const ev = stream();
    const s = fold([
      ev('task_created', { taskId: 't1', title: 'T', request: 'r', state: 'running' }),
      ev('check_result', check({ phase: 'base', commit: BASE, treeId: 'a'.repeat(40), status: 'failed', exitCode: 1, counts: { passed: 9, failed: 3, skipped: 1 }, excerpt: '1) adds\n  AssertionError', outputHash: hash('2') })),
    ]);
    const t = taskOf(s);
    assert.equal(t.checks.length, 1);
    assert.deepEqual([t.checks[0]!.phase, t.checks[0]!.counts, t.checks[0]!.excerpt, t.checks[0]!.seq], ['base', { passed: 9, failed: 3, skipped: 1 }, '1) adds\n  AssertionError', 2]);
    assert.equal(t.notes.at(-1)?.text, 'check test (on the base): 3 failing, 9 passed, 1 skipped (npm test)');
  });

  it('keeps the diff\'s evidence on its review; before vs after per check from it: "test: 12 passed, 1 skipped · was 3 failing on the base"', () => {
    const ev = stream();
    const t = taskOf(fold([ev('diff_ready', diff(EVIDENCE))]));
    assert.deepEqual(t.review?.evidence, EVIDENCE);
    const e = taskEvidence(t);
    assert.ok(e);
    assert.deepEqual([e.treeId, e.rounds], [TREE, 2]);
    assert.deepEqual(e.checks.map((c) => [c.name, c.change]), [['test', 'fixed'], ['lint', 'new']]);
    assert.equal(comparisonText(e.checks[0]!), 'test: 12 passed, 1 skipped · was 3 failing on the base');
    assert.equal(comparisonText(e.checks[1]!), 'lint: passed');
  });

  it('a check_result the client saw on the evidence tree is preferred to the summary (it has the output); a check on another tree is not evidence', () => {
    const ev = stream();
    const t = taskOf(fold([
      ev('check_result', check({ phase: 'combined', treeId: 'f'.repeat(40), status: 'failed', exitCode: 1 })),
      ev('check_result', check({ phase: 'combined', treeId: TREE, counts: { passed: 12, failed: 0, skipped: 1 }, output: '12 passing' })),
      ev('diff_ready', diff(EVIDENCE)),
    ]));
    const test = taskEvidence(t)!.checks[0]!;
    assert.deepEqual([test.after.output, test.after.phase, test.after.seq, test.change], ['12 passing', 'combined', 2, 'fixed']);
  });

  it('once the accepted hunks\' tree was checked (phase commit on the committed sha), that is what counts: a check broken there says so', () => {
    const ev = stream();
    const t = taskOf(fold([
      ev('check_result', check({ phase: 'base', commit: BASE, treeId: 'a'.repeat(40), counts: { passed: 10, failed: 0, skipped: 0 } })),
      ev('diff_ready', diff(EVIDENCE)),
      ev('check_result', check({ phase: 'commit', commit: SHA, treeId: COMMIT_TREE, status: 'failed', exitCode: 1, counts: { passed: 10, failed: 2, skipped: 0 }, excerpt: 'AssertionError: 3 !== 4' })),
      ev('committed', { taskId: 't1', sha: SHA, branch: 'pushpals/t1', message: 'm' }),
    ]));
    const e = taskEvidence(t)!;
    assert.deepEqual([e.treeId, e.phase], [COMMIT_TREE, 'commit']);
    assert.equal(e.checks.length, 1, 'only the checks that ran on the accepted hunks\' tree');
    assert.deepEqual([e.checks[0]!.change, e.checks[0]!.after.excerpt], ['broken', 'AssertionError: 3 !== 4']);
    assert.equal(comparisonText(e.checks[0]!), 'test: 2 failing, 10 passed · was passing on the base', 'the live base check wins over the summary');
  });

  it('checks that blocked the commit (no committed event) still count, after the diff; a check result on a task under review is a review change', () => {
    const ev = stream();
    const s = createClientState();
    applyEvents(s, [ev('diff_ready', diff(EVIDENCE))]);
    const changes = applyEvents(s, [ev('check_result', check({ phase: 'commit', commit: SHA, treeId: COMMIT_TREE, status: 'failed', exitCode: 1 }))]);
    assert.ok(changes.some((c) => c.kind === 'review' && c.taskId === 't1'), JSON.stringify(changes));
    const e = taskEvidence(taskOf(s))!;
    assert.deepEqual([e.phase, e.treeId, e.checks.map((c) => [c.name, c.change])], ['commit', COMMIT_TREE, [['test', 'still-failing']]]);
  });

  it('without a diff\'s evidence: the latest check not on the base, per name; no check at all: undefined', () => {
    const ev = stream();
    const t = taskOf(fold([
      ev('check_result', check({ phase: 'ticket', status: 'failed', exitCode: 2 })),
      ev('check_result', check({ phase: 'ticket', status: 'failed', exitCode: 1 })),
      ev('check_result', check({ phase: 'base', status: 'failed', exitCode: 1 })),
    ]));
    const e = taskEvidence(t)!;
    assert.deepEqual(e.checks.map((c) => [outcomeText(c.after), c.change]), [['failed (exit 1)', 'still-failing']]);
    assert.equal(taskEvidence(taskOf(fold([stream()('task_created', { taskId: 't1', title: 'T', request: 'r', state: 'running' })]))), undefined);
  });

  it('texts: counts, outcomes and the base in a few words', () => {
    assert.equal(countsText({ passed: 0, failed: 0, skipped: 0 }), 'no tests ran');
    assert.equal(outcomeText({ status: 'error' }), 'could not run');
    assert.equal(outcomeText({ status: 'passed' }), 'passed');
    assert.equal(beforeText({ status: 'failed' }), 'was failing on the base');
    assert.equal(beforeText({ status: 'error' }), 'could not run on the base');
  });

  it('a base result reused from an earlier task says so, with that task and its age; the note names the task; a fresh run says nothing of it', () => {
    const ev = stream();
    const ranAt = '2025-01-01T10:00:00.000Z';
    const now = Date.parse(ranAt) + 12 * 60_000 + 30_000;
    const reusedFrom = { taskId: 't_abc', at: ranAt };
    const s = fold([
      ev('task_created', { taskId: 't1', title: 'T', request: 'r', state: 'running' }),
      ev('check_result', check({ phase: 'base', commit: BASE, treeId: 'a'.repeat(40), status: 'failed', exitCode: 1, counts: { passed: 9, failed: 3, skipped: 0 }, reusedFrom })),
      ev('diff_ready', diff({ ...EVIDENCE, before: [{ ...EVIDENCE.before![0]!, reusedFrom }] })),
    ]);
    const t = taskOf(s);
    assert.equal(t.notes.find((n) => n.kind === 'check')?.text, 'check test (on the base): 3 failing, 9 passed (npm test) · reused from t_abc');
    const e = taskEvidence(t)!;
    assert.deepEqual(e.checks[0]!.before?.reusedFrom, reusedFrom, 'the live base check carries it');
    assert.equal(comparisonText(e.checks[0]!, now), 'test: 12 passed, 1 skipped · was 3 failing on the base (reused from t_abc, 12 min ago)');
    assert.deepEqual(comparisonReusedTooltip(e.checks[0]!), ['Base result reused from task t_abc (ran 2025-01-01T10:00:00.000Z), not run again']);
    assert.equal(comparisonText(e.checks[1]!, now), 'lint: passed');
    assert.deepEqual(comparisonReusedTooltip(e.checks[1]!), []);
    // Read from the diff's summary alone (the client did not see the base's check_result).
    const summaryOnly = taskEvidence(taskOf(fold([ev('diff_ready', diff({ ...EVIDENCE, before: [{ ...EVIDENCE.before![0]!, reusedFrom }] }))])))!;
    assert.equal(comparisonText(summaryOnly.checks[0]!, now), 'test: 12 passed, 1 skipped · was 3 failing on the base (reused from t_abc, 12 min ago)');
    // A reused result on the evidence tree itself says so as well.
    const afterReused = taskEvidence(taskOf(fold([ev('diff_ready', diff({ ...EVIDENCE, checks: [{ ...EVIDENCE.checks[1]!, reusedFrom }], before: [] }))])))!;
    assert.equal(comparisonText(afterReused.checks[0]!, now), 'lint: passed (reused from t_abc, 12 min ago)');
    assert.deepEqual(comparisonReusedTooltip(afterReused.checks[0]!), ['Result reused from task t_abc (ran 2025-01-01T10:00:00.000Z), not run again']);
  });

  it('ages in a few words', () => {
    const at = '2025-01-01T10:00:00.000Z';
    const t0 = Date.parse(at);
    assert.deepEqual([-5_000, 59_000, 60_000, 59 * 60_000, 60 * 60_000, 47 * 3_600_000, 72 * 3_600_000].map((d) => agoText(at, t0 + d)), ['just now', 'just now', '1 min ago', '59 min ago', '1 h ago', '47 h ago', '3 days ago']);
  });
});
