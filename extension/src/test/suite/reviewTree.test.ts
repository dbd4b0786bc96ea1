/**
 * The Review view's "Evidence" node, inside the real extension host: events folded by the real
 * StateStore (the shared reducer), the real ReviewService and ReviewTreeProvider; only the session is
 * reduced to its store (the tree never talks to the orchestrator).
 */
import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import type { EventMessage } from '@pushpals/protocol/client';
import { evidenceNodeView } from '../../review/evidenceNodes';
import { MergeEditorService } from '../../review/mergeEditor';
import { ReviewService } from '../../review/reviewService';
import { ReviewTreeProvider, type ReviewNode } from '../../review/reviewTree';
import { planWholeFile } from '../../review/wholeFileMerge';
import type { Session } from '../../session';
import { StateStore } from '../../stateStore';

let seq = 0;
function ev(type: string, payload: Record<string, unknown>): EventMessage {
  return { protocolVersion: '1.0', id: `e${++seq}`, ts: new Date().toISOString(), sessionId: 's1', type, from: 'orchestrator', seq, payload } as unknown as EventMessage;
}
interface ReviewTreeParts {
  store: StateStore;
  reviews: ReviewService;
  tree: ReviewTreeProvider;
  dispose(): void;
}

/** The real store, review service and tree, fresh for a test; `scheme`: the merge editor's own (the activated extension registered `pushpals-merge`). */
function newReviewTree(scheme: string): ReviewTreeParts {
  const store = new StateStore();
  const reviews = new ReviewService({ store } as unknown as Session);
  const merges = new MergeEditorService({ info: () => undefined, warn: () => undefined }, scheme);
  const tree = new ReviewTreeProvider(reviews, merges);
  return {
    store,
    reviews,
    tree,
    dispose: () => {
      tree.dispose();
      merges.dispose();
      reviews.dispose();
    },
  };
}

const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const SHA = 'c'.repeat(40);

describe('review tree: the Evidence node', () => {
  let store: StateStore;
  let tree: ReviewTreeProvider;
  let parts: ReviewTreeParts;
  beforeEach(() => {
    ({ store, tree } = parts = newReviewTree('pushpals-merge-evidence-test'));
    store.apply(ev('task_created', { taskId: 't1', title: 'Fix the adder', request: 'fix', state: 'running' }));
  });
  afterEach(() => parts.dispose());
  const diff = (evidence?: Record<string, unknown>) =>
    ev('diff_ready', { taskId: 't1', diff: 'd', files: ['src/add.js'], hunks: [{ hunkId: 'h1', file: 'src/add.js', oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, header: '@@ -1 +1 @@' }], baseCommit: 'b'.repeat(40), ...(evidence ? { evidence } : {}) });

  it('under the task, before its files: the tree id (short) and each check with its counts and the base', () => {
    store.apply(diff({
      treeId: TREE,
      checks: [
        { name: 'test', command: 'npm test', status: 'passed', exitCode: 0, durationMs: 5, counts: { passed: 12, failed: 0, skipped: 1 } },
        { name: 'lint', command: 'npm run lint', status: 'failed', exitCode: 1, durationMs: 5 },
      ],
      before: [{ name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 5, counts: { passed: 10, failed: 3, skipped: 0 } }],
    }));
    const task = tree.getChildren()[0]!;
    const children = tree.getChildren(task);
    assert.deepEqual(children.map((n) => n.kind), ['evidence', 'file']);
    const evidence = tree.getTreeItem(children[0]!);
    assert.equal(evidence.label, 'Evidence');
    assert.equal(evidence.description, 'tree 4b825dc642cb · 1 failing');
    const checks = tree.getChildren(children[0]!);
    assert.deepEqual(checks.map((n) => tree.getTreeItem(n)).map((i) => [i.label, i.description, (i.iconPath as vscode.ThemeIcon).id]), [
      ['test', '12 passed, 1 skipped · was 3 failing on the base', 'pass'],
      ['lint', 'failed (exit 1)', 'error'],
    ]);
    assert.deepEqual(tree.getParent(checks[0]!), { kind: 'evidence', taskId: 't1' } satisfies ReviewNode);
  });

  it('a base result reused from an earlier task says so with its age; the check\'s tooltip names that task and when it ran', () => {
    const ranAt = new Date(Date.now() - 12 * 60_000 - 5_000).toISOString();
    store.apply(diff({
      treeId: TREE,
      checks: [{ name: 'test', command: 'npm test', status: 'passed', exitCode: 0, durationMs: 5, counts: { passed: 12, failed: 0, skipped: 0 } }],
      before: [{ name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 5, counts: { passed: 9, failed: 3, skipped: 0 }, reusedFrom: { taskId: 't_abc', at: ranAt } }],
    }));
    const evidence = tree.getChildren(tree.getChildren()[0]!)[0]!;
    const item = tree.getTreeItem(tree.getChildren(evidence)[0]!);
    assert.equal(item.description, '12 passed · was 3 failing on the base (reused from t_abc, 12 min ago)');
    assert.ok(String(item.tooltip).split('\n').includes(`Base result reused from task t_abc (ran ${ranAt}), not run again`), String(item.tooltip));
  });

  it('a check on the accepted hunks\' tree replaces the diff\'s evidence and refreshes the view; a task without checks has no Evidence node', async () => {
    store.apply(diff());
    assert.deepEqual(tree.getChildren(tree.getChildren()[0]!).map((n) => n.kind), ['file']);
    const refreshed = new Promise<void>((resolve) => tree.onDidChangeTreeData(() => resolve()));
    store.apply(ev('check_result', { taskId: 't1', name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 5, output: 'x', counts: { passed: 4, failed: 1, skipped: 0 }, phase: 'commit', commit: SHA, treeId: TREE, excerpt: 'AssertionError: 3 !== 4' }));
    await refreshed;
    const view = evidenceNodeView(store.tasks.get('t1')!);
    assert.equal(view?.description, 'tree 4b825dc642cb · 1 failing');
    assert.match(view?.checks[0]?.tooltip ?? '', /\$ npm test\non the accepted hunks' tree\nAssertionError: 3 !== 4/);
    assert.deepEqual(tree.getChildren(tree.getChildren()[0]!).map((n) => n.kind), ['evidence', 'file']);
  });
});

describe('review tree: whole-file changes (binary, rename, mode)', () => {
  let store: StateStore;
  let reviews: ReviewService;
  let tree: ReviewTreeProvider;
  let parts: ReviewTreeParts;
  beforeEach(() => {
    ({ store, reviews, tree } = parts = newReviewTree('pushpals-merge-whole-test'));
    store.apply(ev('task_created', { taskId: 't2', title: 'Logo, rename, chmod', request: 'r', state: 'running' }));
    store.apply(ev('diff_ready', {
      taskId: 't2',
      diff: 'd',
      files: ['logo.png', 'run.sh', 'src/b.ts'],
      hunks: [{ hunkId: 'h1', file: 'src/b.ts', oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, header: '@@ -1 +1 @@' }],
      baseCommit: 'b'.repeat(40),
      fileChanges: [
        { fileId: 'f1', kind: 'binary', change: 'modified', path: 'logo.png', oldSize: 12595, newSize: 14336, oldBlob: '1'.repeat(40), newBlob: '2'.repeat(40) },
        { fileId: 'f2', kind: 'mode', change: 'modified', path: 'run.sh', oldMode: '100644', newMode: '100755' },
        { fileId: 'f3', kind: 'rename', change: 'renamed', path: 'src/b.ts', oldPath: 'src/a.ts' },
      ],
    }));
  });
  afterEach(() => parts.dispose());

  it('a file that only changed whole shows its kind and is decided with Accept File / Reject File; a rename with edits lists the rename beside its hunks', () => {
    const files = tree.getChildren(tree.getChildren()[0]!);
    const items = files.map((n) => tree.getTreeItem(n));
    assert.deepEqual(items.map((i) => [i.label, i.description, i.contextValue]), [
      ['logo.png', 'binary, 12.3 KiB → 14.0 KiB — pending', 'reviewFile.whole'],
      ['run.sh', 'mode 100644 → 100755 (executable) — pending', 'reviewFile.whole'],
      ['src/b.ts', '2 of 2 pending', 'reviewFile'],
    ]);
    const under = tree.getChildren(files[2]!);
    assert.deepEqual(under.map((n) => n.kind), ['wholeFile', 'hunk']);
    assert.equal(tree.getTreeItem(under[0]!).label, 'renamed from src/a.ts');
    assert.equal(tree.getTreeItem(under[0]!).contextValue, 'reviewHunk', 'decided like a hunk: the same inline Accept / Reject');
    store.apply(ev('hunk_decided', { taskId: 't2', hunkId: 'f1', decision: 'accept', by: 'phone' }));
    store.apply(ev('hunk_decided', { taskId: 't2', hunkId: 'f3', decision: 'reject', by: 'user' }));
    assert.equal(tree.getTreeItem(files[0]!).description, 'binary, 12.3 KiB → 14.0 KiB — accepted', 'seen live, whoever decided');
    assert.equal(tree.getTreeItem(under[0]!).description, 'rejected');
    assert.deepEqual([...reviews.decisions('t2')], [['f1', 'accept'], ['f3', 'reject']]);
  });

  it('Apply to My Checkout plans a binary file on bytes: written only over the diff\'s before, a copy changed too is a conflict', () => {
    const e = { fileId: 'f1', kind: 'binary' as const, change: 'modified' as const, path: 'logo.png', oldMode: '100644' as const, newMode: '100644' as const };
    const before = Buffer.from([0x89, 0x50, 0, 1]);
    const after = Buffer.from([0x89, 0x50, 0, 2, 3]);
    assert.deepEqual(planWholeFile(e, { path: before, oldPath: null }, before, after), { status: 'applied', write: { path: 'logo.png', bytes: after } });
    assert.equal(planWholeFile(e, { path: after, oldPath: null }, before, after).status, 'unchanged');
    const mine = planWholeFile(e, { path: Buffer.from([9, 0, 9]), oldPath: null }, before, after);
    assert.deepEqual([mine.status, mine.write], ['conflict', undefined], 'the person\'s own change is never overwritten');
    const rename = planWholeFile({ fileId: 'f3', kind: 'rename', change: 'renamed', path: 'b.bin', oldPath: 'a.bin' }, { path: null, oldPath: before }, before, before);
    assert.deepEqual([rename.status, rename.write?.path, rename.remove], ['applied', 'b.bin', 'a.bin']);
    assert.deepEqual(planWholeFile({ fileId: 'f2', kind: 'mode', change: 'modified', path: 'run.sh', oldMode: '100644', newMode: '100755' }, { path: before, oldPath: null }, undefined, undefined), { status: 'applied', chmod: { path: 'run.sh', executable: true } });
  });
});
