/**
 * The inline review: each changed file opens as `pushpals-review:/<task>/<path>` — the base with the
 * proposed hunks in place, removed lines red, added lines green — with Accept / Reject CodeLens above
 * each hunk and Accept All / Reject All for the file and the task on the first line. A decision changes
 * only decorations and lenses (never the text), so it shows without moving a line. The side-by-side
 * view is `vscode.diff` over `pushpals-proposed:` documents (the base and the proposal).
 */
import * as vscode from 'vscode';
import { reviewCounts } from '@pushpals/protocol/client';
import { proposedContent } from './model';
import { PROPOSED_SCHEME, REVIEW_SCHEME, parseReviewUri, type ReviewService } from './reviewService';

export interface LatencySample {
  hunkId: string;
  /** From the decision command to the decorations applied and the lenses re-provided. */
  ms: number;
}

export class InlineReview implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly added = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly removed = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  /** At a decided hunk's first line: the decision, shown at once (CodeLens refresh is debounced by VS Code, >= 250 ms). */
  private readonly acceptedMark = vscode.window.createTextEditorDecorationType({ after: { contentText: '  ✓ accepted', color: new vscode.ThemeColor('gitDecoration.addedResourceForeground'), fontStyle: 'italic' } });
  private readonly rejectedMark = vscode.window.createTextEditorDecorationType({ after: { contentText: '  ✗ rejected', color: new vscode.ThemeColor('gitDecoration.deletedResourceForeground'), fontStyle: 'italic' } });
  /** A line that will not be in the result: a removed line of an accepted hunk, an added one of a rejected hunk. */
  private readonly dropped = vscode.window.createTextEditorDecorationType({ isWholeLine: true, textDecoration: 'line-through', opacity: '0.5' });
  private readonly disposables: vscode.Disposable[] = [];
  /** Decisions waiting for their lenses to be provided again (latency measurement). */
  private readonly awaitingLens = new Map<string, number>();
  readonly latencies: LatencySample[] = [];
  /** From the decision command to the decorations applied in the visible editors. */
  readonly decorationLatencies: LatencySample[] = [];
  /** How often decorations were applied, and the last time it took (ms). */
  readonly stats = { decorate: 0, lastDecorateMs: 0, lenses: 0 };

  constructor(private readonly reviews: ReviewService) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, this),
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, { provideTextDocumentContent: (uri) => this.sideContent(uri) }),
      vscode.languages.registerCodeLensProvider({ scheme: REVIEW_SCHEME }, this),
      vscode.window.onDidChangeVisibleTextEditors((eds) => eds.forEach((e) => this.decorate(e))),
      reviews.onDidChange((c) => this.onReviewChange(c.taskId, c.hunkIds)),
      this.lensesChanged,
      this.added,
      this.removed,
      this.dropped,
      this.acceptedMark,
      this.rejectedMark,
    );
  }

  private onReviewChange(taskId: string, hunkIds?: string[]): void {
    for (const e of vscode.window.visibleTextEditors) {
      const at = e.document.uri.scheme === REVIEW_SCHEME ? parseReviewUri(e.document.uri) : undefined;
      if (at && (at.taskId === taskId || !taskId)) this.decorate(e);
    }
    for (const id of hunkIds ?? []) {
      const started = this.reviews.decisionStarted.get(id);
      if (started === undefined) continue;
      this.awaitingLens.set(id, started);
      this.decorationLatencies.push({ hunkId: id, ms: performance.now() - started });
      if (this.decorationLatencies.length > 1000) this.decorationLatencies.shift();
    }
    this.lensesChanged.fire();
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const at = parseReviewUri(uri);
    if (!at) throw new Error(`not a review document: ${uri.toString()}`);
    const r = await this.reviews.load(at.taskId);
    const f = r.byPath.get(at.path);
    if (!f) throw new Error(`${at.path} is not in the diff of task ${at.taskId}`);
    return f.inline.text;
  }

  private async sideContent(uri: vscode.Uri): Promise<string> {
    const at = parseReviewUri(uri);
    if (!at) throw new Error(`not a review document: ${uri.toString()}`);
    const f = (await this.reviews.load(at.taskId)).byPath.get(at.path);
    if (!f) throw new Error(`${at.path} is not in the diff of task ${at.taskId}`);
    return (uri.query === 'base' ? f.base : proposedContent(f)) ?? '';
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const at = parseReviewUri(doc.uri);
    const review = at && this.reviews.reviewOf(at.taskId);
    const f = at && this.reviews.fileOf(at.taskId, at.path);
    if (!at || !review || !f) return [];
    this.stats.lenses++;
    const decisions = this.reviews.decisions(at.taskId);
    const top = new vscode.Range(0, 0, 0, 0);
    const arg = { taskId: at.taskId, file: at.path };
    const fileCounts = reviewCounts(review, at.path);
    const taskCounts = reviewCounts(review);
    const lenses: vscode.CodeLens[] = [];
    if (review.committed) {
      lenses.push(
        new vscode.CodeLens(top, { title: `$(git-commit) Committed ${review.committed.sha.slice(0, 8)} on ${review.committed.branch}`, command: '' }),
        new vscode.CodeLens(top, { title: 'Apply to My Checkout', command: 'pushpals.applyToCheckout', arguments: [{ taskId: at.taskId }] }),
      );
    } else {
      lenses.push(
        new vscode.CodeLens(top, { title: `${fileCounts.accepted + fileCounts.rejected}/${fileCounts.total} decided in this file · ${taskCounts.pending} left in the task`, command: '' }),
        new vscode.CodeLens(top, { title: 'Accept All in File', command: 'pushpals.acceptFile', arguments: [arg] }),
        new vscode.CodeLens(top, { title: 'Reject All in File', command: 'pushpals.rejectFile', arguments: [arg] }),
        new vscode.CodeLens(top, { title: 'Accept All (Task)', command: 'pushpals.acceptAll', arguments: [{ taskId: at.taskId }] }),
        new vscode.CodeLens(top, { title: 'Reject All (Task)', command: 'pushpals.rejectAll', arguments: [{ taskId: at.taskId }] }),
      );
    }
    f.hunks.forEach((h, i) => {
      const range = new vscode.Range(h.anchor, 0, h.anchor, 0);
      const harg = { taskId: at.taskId, hunkId: h.hunkId };
      const d = decisions.get(h.hunkId);
      const where = `hunk ${i + 1}/${f.hunks.length}`;
      if (review.committed) lenses.push(new vscode.CodeLens(range, { title: `${d === 'accept' ? '$(pass) Committed' : '$(circle-slash) Left out'} · ${where}`, command: '' }));
      else if (!d) {
        lenses.push(
          new vscode.CodeLens(range, { title: 'Accept', tooltip: 'Accept this hunk (Ctrl+Alt+P Y)', command: 'pushpals.acceptHunk', arguments: [harg] }),
          new vscode.CodeLens(range, { title: 'Reject', tooltip: 'Reject this hunk (Ctrl+Alt+P X)', command: 'pushpals.rejectHunk', arguments: [harg] }),
          new vscode.CodeLens(range, { title: `Side by Side · ${where}`, command: 'pushpals.openSideBySide', arguments: [arg] }),
        );
      } else {
        lenses.push(
          new vscode.CodeLens(range, { title: d === 'accept' ? '$(pass-filled) Accepted' : '$(circle-slash) Rejected', command: '' }),
          new vscode.CodeLens(range, d === 'accept' ? { title: 'Reject instead', command: 'pushpals.rejectHunk', arguments: [harg] } : { title: 'Accept instead', command: 'pushpals.acceptHunk', arguments: [harg] }),
          new vscode.CodeLens(range, { title: where, command: '' }),
        );
      }
      const started = this.awaitingLens.get(h.hunkId);
      if (started !== undefined && d !== undefined) {
        this.awaitingLens.delete(h.hunkId);
        this.reviews.decisionStarted.delete(h.hunkId);
        this.latencies.push({ hunkId: h.hunkId, ms: performance.now() - started });
        if (this.latencies.length > 1000) this.latencies.shift();
      }
    });
    return lenses;
  }

  /** Colours the hunks' lines by their decision (pending: red/green; decided: what leaves struck through). */
  decorate(editor: vscode.TextEditor): void {
    const at = editor.document.uri.scheme === REVIEW_SCHEME ? parseReviewUri(editor.document.uri) : undefined;
    const f = at && this.reviews.fileOf(at.taskId, at.path);
    if (!at || !f) return;
    const t0 = performance.now();
    const decisions = this.reviews.decisions(at.taskId);
    const added: vscode.Range[] = [];
    const removed: vscode.Range[] = [];
    const dropped: vscode.Range[] = [];
    const accepted: vscode.Range[] = [];
    const rejected: vscode.Range[] = [];
    const line = (n: number) => new vscode.Range(n, 0, n, 0);
    for (const h of f.hunks) {
      const d = decisions.get(h.hunkId);
      if (d) (d === 'accept' ? accepted : rejected).push(new vscode.Range(h.anchor, Number.MAX_SAFE_INTEGER, h.anchor, Number.MAX_SAFE_INTEGER));
      for (const n of h.added) (d === 'reject' ? dropped : added).push(line(n));
      for (const n of h.removed) (d === 'accept' ? dropped : d === 'reject' ? [] : removed).push(line(n));
    }
    editor.setDecorations(this.added, added);
    editor.setDecorations(this.removed, removed);
    editor.setDecorations(this.dropped, dropped);
    editor.setDecorations(this.acceptedMark, accepted);
    editor.setDecorations(this.rejectedMark, rejected);
    this.stats.decorate++;
    this.stats.lastDecorateMs = performance.now() - t0;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
