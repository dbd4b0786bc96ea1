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
import type { Session } from '../../session';
import { StateStore } from '../../stateStore';

let seq = 0;
function ev(type: string, payload: Record<string, unknown>): EventMessage {
  return { protocolVersion: '1.0', id: `e${++seq}`, ts: new Date().toISOString(), sessionId: 's1', type, from: 'orchestrator', seq, payload } as unknown as EventMessage;
}
const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const SHA = 'c'.repeat(40);

describe('review tree: the Evidence node', () => {
  let store: StateStore;
  let reviews: ReviewService;
  let tree: ReviewTreeProvider;
  let merges: MergeEditorService;
  beforeEach(() => {
    store = new StateStore();
    reviews = new ReviewService({ store } as unknown as Session);
    // Its own scheme: the activated extension has registered `pushpals-merge` already.
    merges = new MergeEditorService({ info: () => undefined, warn: () => undefined }, 'pushpals-merge-evidence-test');
    tree = new ReviewTreeProvider(reviews, merges);
    store.apply(ev('task_created', { taskId: 't1', title: 'Fix the adder', request: 'fix', state: 'running' }));
  });
  afterEach(() => {
    tree.dispose();
    merges.dispose();
    reviews.dispose();
  });
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
