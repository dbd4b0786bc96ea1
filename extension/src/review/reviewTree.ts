/**
 * The Review view: every task with a diff → its evidence (the checks on its tree, against the base) and
 * its changed files with their state (accepted / rejected / pending hunks) → the hunks. A whole-file
 * change (binary, rename, mode, empty file) shows with its kind ("binary, 12.3 KiB → 14.0 KiB",
 * "renamed from a.ts"): as the file itself when it has no hunks, else as a node beside them. Inline
 * Accept / Reject on files, hunks and whole-file changes; a click opens the file's inline review at the
 * hunk. Updated live from the reducer's review changes.
 */
import * as vscode from 'vscode';
import { describeFileEntry, reviewCounts, type ReviewFileView, type ReviewHunkView } from '@pushpals/protocol/client';
import { evidenceNodeView } from './evidenceNodes';
import type { MergeEditorService } from './mergeEditor';
import { noTextHunksNote, wholeFileChanges } from './model';
import type { ReviewService } from './reviewService';

export type ReviewNode =
  | { kind: 'task'; taskId: string }
  | { kind: 'evidence'; taskId: string }
  | { kind: 'check'; taskId: string; name: string }
  | { kind: 'file'; taskId: string; file: string }
  | { kind: 'hunk'; taskId: string; file: string; hunkId: string }
  | { kind: 'wholeFile'; taskId: string; file: string; fileId: string };

export class ReviewTreeProvider implements vscode.TreeDataProvider<ReviewNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subs: vscode.Disposable[];
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly reviews: ReviewService,
    private readonly merges: MergeEditorService,
  ) {
    // Coalesced: "Accept All" on 200 hunks is one refresh, not 200.
    const refresh = () => {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.changed.fire(undefined);
      }, 30);
    };
    this.subs = [reviews.onDidChange(refresh), merges.onDidChange(refresh)];
  }

  getChildren(node?: ReviewNode): ReviewNode[] {
    if (!node) return this.reviews.tasksWithReview().map((t) => ({ kind: 'task', taskId: t.taskId }));
    const review = this.reviews.reviewOf(node.taskId);
    if (!review) return [];
    if (node.kind === 'task') {
      const files = review.files.map((file): ReviewNode => ({ kind: 'file', taskId: node.taskId, file }));
      return this.evidence(node.taskId) ? [{ kind: 'evidence', taskId: node.taskId }, ...files] : files;
    }
    if (node.kind === 'evidence') return (this.evidence(node.taskId)?.checks ?? []).map((c) => ({ kind: 'check', taskId: node.taskId, name: c.name }));
    if (node.kind === 'file') {
      const hunks = review.hunks.filter((h) => h.file === node.file).map((h): ReviewNode => ({ kind: 'hunk', taskId: node.taskId, file: node.file, hunkId: h.hunkId }));
      // A file with hunks lists its whole-file changes (a rename, a mode change) first; one without IS its change.
      return hunks.length ? [...wholeFileChanges(review, node.file).map((f): ReviewNode => ({ kind: 'wholeFile', taskId: node.taskId, file: node.file, fileId: f.fileId })), ...hunks] : [];
    }
    return [];
  }

  getParent(node: ReviewNode): ReviewNode | undefined {
    if (node.kind === 'hunk' || node.kind === 'wholeFile') return { kind: 'file', taskId: node.taskId, file: node.file };
    if (node.kind === 'check') return { kind: 'evidence', taskId: node.taskId };
    if (node.kind === 'file' || node.kind === 'evidence') return { kind: 'task', taskId: node.taskId };
    return undefined;
  }

  getTreeItem(node: ReviewNode): vscode.TreeItem {
    const task = this.reviews.task(node.taskId);
    const review = task?.review;
    if (node.kind === 'task') {
      const item = new vscode.TreeItem(task?.title ?? node.taskId, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `review:${node.taskId}`;
      const c = review ? reviewCounts(review) : undefined;
      item.description = review?.committed ? `committed ${review.committed.sha.slice(0, 8)}` : c ? `${c.accepted} accepted · ${c.rejected} rejected · ${c.pending} pending` : '';
      item.iconPath = new vscode.ThemeIcon(review?.committed ? 'git-commit' : c && c.pending === 0 ? 'check-all' : 'diff');
      item.contextValue = review?.committed ? 'reviewTask.committed' : 'reviewTask';
      item.command = { command: 'pushpals.reviewChanges', title: 'Review Changes', arguments: [{ taskId: node.taskId }] };
      return item;
    }
    if (node.kind === 'evidence') {
      const e = this.evidence(node.taskId);
      const item = new vscode.TreeItem('Evidence', vscode.TreeItemCollapsibleState.Expanded);
      item.id = `review:${node.taskId}:evidence`;
      item.description = e?.description ?? '';
      item.tooltip = e?.tooltip ?? '';
      item.iconPath = new vscode.ThemeIcon(e?.failing ? 'beaker-stop' : 'beaker');
      item.contextValue = 'reviewEvidence';
      return item;
    }
    if (node.kind === 'check') {
      const c = this.evidence(node.taskId)?.checks.find((x) => x.name === node.name);
      const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
      item.id = `review:${node.taskId}:check:${node.name}`;
      item.description = c?.description ?? '';
      item.tooltip = c?.tooltip ?? '';
      item.iconPath = new vscode.ThemeIcon(c?.icon ?? 'circle-large-outline');
      item.contextValue = 'reviewCheck';
      return item;
    }
    if (node.kind === 'file') {
      const c = review ? reviewCounts(review, node.file) : { accepted: 0, rejected: 0, pending: 0, total: 0 };
      if (review && c.total === 0) return this.fileWithoutHunks(node.taskId, node.file);
      const only = review && !review.hunks.some((h) => h.file === node.file) ? wholeFileChanges(review, node.file) : [];
      if (only.length) return this.wholeFileItem(node.taskId, node.file, only, review?.committed !== undefined);
      const item = new vscode.TreeItem(node.file, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `review:${node.taskId}:${node.file}`;
      item.resourceUri = vscode.Uri.file(`/${node.file}`);
      item.description = c.pending ? `${c.pending} of ${c.total} pending` : c.accepted === c.total ? 'accepted' : c.rejected === c.total ? 'rejected' : `${c.accepted} accepted · ${c.rejected} rejected`;
      item.iconPath = new vscode.ThemeIcon(c.pending ? 'circle-large-outline' : c.rejected === c.total ? 'circle-slash' : 'pass');
      item.contextValue = review?.committed ? 'reviewFile.committed' : 'reviewFile';
      item.command = { command: 'pushpals.openReviewFile', title: 'Open', arguments: [{ taskId: node.taskId, file: node.file }] };
      // After "Apply to My Checkout": a file waiting for its merge says so, and a click opens the merge editor.
      const merge = this.merges.stateOf(node.taskId, node.file);
      if (merge === 'conflict') {
        item.description = 'conflict — merge';
        item.iconPath = new vscode.ThemeIcon('git-merge', new vscode.ThemeColor('gitDecoration.conflictingResourceForeground'));
        item.contextValue += '.merge';
        item.tooltip = 'Your copy has edits on the same lines: open the merge editor to choose (your file is unchanged until you complete the merge).';
        item.command = { command: 'pushpals.openMergeEditor', title: 'Open Merge Editor', arguments: [{ taskId: node.taskId, file: node.file }] };
      } else if (merge === 'merged') item.description = `${item.description as string} · merged`;
      return item;
    }
    if (node.kind === 'wholeFile') {
      const f = review?.fileChanges?.find((x) => x.fileId === node.fileId);
      const item = new vscode.TreeItem(f ? describeFileEntry(f) : node.fileId, vscode.TreeItemCollapsibleState.None);
      item.id = `review:${node.taskId}:${node.fileId}`;
      item.description = decisionText(f?.decision);
      item.iconPath = decisionIcon(f?.decision);
      // Decided like a hunk: the hunk's inline Accept / Reject send its fileId.
      item.contextValue = review?.committed ? 'reviewHunk.committed' : 'reviewHunk';
      item.command = { command: 'pushpals.openReviewFile', title: 'Open', arguments: [{ taskId: node.taskId, file: node.file }] };
      return item;
    }
    const h = review?.hunks.find((x) => x.hunkId === node.hunkId) as ReviewHunkView | undefined;
    const item = new vscode.TreeItem(h?.header ?? node.hunkId, vscode.TreeItemCollapsibleState.None);
    item.id = `review:${node.taskId}:${node.hunkId}`;
    item.description = decisionText(h?.decision);
    item.iconPath = decisionIcon(h?.decision);
    item.contextValue = review?.committed ? 'reviewHunk.committed' : 'reviewHunk';
    item.command = { command: 'pushpals.openReviewFile', title: 'Open', arguments: [{ taskId: node.taskId, file: node.file, hunkId: node.hunkId }] };
    return item;
  }

  private evidence(taskId: string): ReturnType<typeof evidenceNodeView> {
    const t = this.reviews.task(taskId);
    return t ? evidenceNodeView(t) : undefined;
  }

  /** A file whose only change is whole-file (a binary file, a pure rename, a mode change): its kind, its decision; Accept File / Reject File decide it. */
  private wholeFileItem(taskId: string, file: string, changes: ReviewFileView[], committed: boolean): vscode.TreeItem {
    const item = new vscode.TreeItem(file, vscode.TreeItemCollapsibleState.None);
    item.id = `review:${taskId}:${file}`;
    item.resourceUri = vscode.Uri.file(`/${file}`);
    const decisions = [...new Set(changes.map((f) => f.decision))];
    item.description = `${changes.map(describeFileEntry).join(' · ')} — ${decisions.length === 1 ? decisionText(decisions[0]) : 'partly decided'}`;
    item.tooltip = `${file}: ${changes.map(describeFileEntry).join('; ')}. A whole-file change: accepted, it is committed byte-exactly; it has no lines to review inline.`;
    item.iconPath = changes.some((f) => f.kind === 'binary') ? new vscode.ThemeIcon('file-binary') : decisionIcon(decisions.length === 1 ? decisions[0] : undefined);
    item.contextValue = committed ? 'reviewFile.committed' : 'reviewFile.whole';
    item.command = { command: 'pushpals.openReviewFile', title: 'Open', arguments: [{ taskId, file }] };
    return item;
  }

  /** A binary file or a pure rename of an older orchestrator's diff (no whole-file change for it): listed so the change is not invisible, with what that means. */
  private fileWithoutHunks(taskId: string, file: string): vscode.TreeItem {
    const item = new vscode.TreeItem(file, vscode.TreeItemCollapsibleState.None);
    item.id = `review:${taskId}:${file}`;
    item.resourceUri = vscode.Uri.file(`/${file}`);
    item.description = 'binary or renamed — not reviewable inline';
    item.tooltip = noTextHunksNote(file);
    item.iconPath = new vscode.ThemeIcon('file-binary');
    item.contextValue = 'reviewFileWithoutHunks';
    item.command = { command: 'pushpals.openReviewFile', title: 'Open', arguments: [{ taskId, file }] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.pending);
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

const decisionText = (d: string | undefined): string => (d === 'accept' ? 'accepted' : d === 'reject' ? 'rejected' : 'pending');
const decisionIcon = (d: string | undefined): vscode.ThemeIcon => new vscode.ThemeIcon(d === 'accept' ? 'pass-filled' : d === 'reject' ? 'circle-slash' : 'circle-large-outline');
