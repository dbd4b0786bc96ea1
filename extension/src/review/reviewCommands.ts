/**
 * The review's commands: open the review, decide hunks (one, a file's, a task's), move between hunks,
 * the side-by-side view, the commit, and bringing the result into the person's checkout. CodeLens,
 * the Review view's inline buttons, the chat's "Review Changes" and key bindings all run these.
 */
import * as vscode from 'vscode';
import { describeFileCount, describeFileEntry, describeReviewSize } from '@pushpals/protocol/client';
import { decideApproval } from '../approvals';
import type { Session } from '../session';
import { decisionIds, hunkAtOrAfter, noTextHunksNote, wholeFileChanges, type FileReview, type TaskReview } from './model';
import { mergeIntoWorkspace } from './applyMerge';
import type { MergeEditorService } from './mergeEditor';
import { REVIEW_SCHEME, parseReviewUri, reviewUri, sideUri, type HunkDecision, type ReviewService } from './reviewService';
import type { InlineReview } from './inlineView';

/** At most this many files open as tabs when a review opens; the Review view lists them all. */
const MAX_OPEN_FILES = 5;

interface Target {
  taskId?: string;
  file?: string;
  hunkId?: string;
}

const targetOf = (arg: unknown): Target => {
  if (typeof arg === 'string') return { taskId: arg };
  if (typeof arg !== 'object' || arg === null) return {};
  const o = arg as Record<string, unknown>;
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  return { ...(s('taskId') ? { taskId: s('taskId') } : {}), ...(s('file') ? { file: s('file') } : {}), ...(s('hunkId') ? { hunkId: s('hunkId') } : {}) };
};

/** The active inline review editor and where its cursor is. */
function activeReview(): { taskId: string; path: string; editor: vscode.TextEditor } | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.uri.scheme !== REVIEW_SCHEME) return undefined;
  const at = parseReviewUri(editor.document.uri);
  return at && { ...at, editor };
}

export function registerReviewCommands(session: Session, reviews: ReviewService, inline: InlineReview, merges: MergeEditorService): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: unknown[]) => unknown) => vscode.commands.registerCommand(id, fn);
  const fail = (what: string) => (e: unknown) => {
    void vscode.window.showErrorMessage(`PushPals: could not ${what} — ${(e as Error).message}`);
    return undefined;
  };

  async function pickTask(arg: unknown): Promise<string | undefined> {
    const t = targetOf(arg);
    if (t.taskId) return t.taskId;
    const active = activeReview();
    if (active) return active.taskId;
    const open = reviews.tasksWithReview().filter((x) => !x.review?.committed);
    const all = open.length ? open : reviews.tasksWithReview();
    if (all.length <= 1) {
      if (!all.length) void vscode.window.showInformationMessage('PushPals: no task has changes to review.');
      return all[0]?.taskId;
    }
    const pick = await vscode.window.showQuickPick(all.map((x) => ({ label: x.title, description: x.review ? `${describeFileCount(x.review.files.length)} · ${describeReviewSize(x.review)}` : '', taskId: x.taskId })), { title: 'PushPals: review which task?' });
    return pick?.taskId;
  }

  async function openFile(taskId: string, file: string, hunkId?: string, preview = false): Promise<vscode.TextEditor | undefined> {
    const r = await reviews.load(taskId);
    const f = r.byPath.get(file);
    const view = reviews.reviewOf(taskId);
    if (!f && view?.files.includes(file)) {
      const whole = wholeFileChanges(view, file);
      void vscode.window.showInformationMessage(whole.length ? `PushPals: ${file}: ${whole.map(describeFileEntry).join('; ')}. A whole-file change, nothing to show inline: decide it with Accept File / Reject File.` : `PushPals: ${noTextHunksNote(file)}`);
      return undefined;
    }
    if (!f) throw new Error(`${file} is not in the diff of task ${taskId}`);
    const doc = await vscode.workspace.openTextDocument(reviewUri(taskId, file));
    const h = hunkId ? f.hunks.find((x) => x.hunkId === hunkId) : f.hunks[0];
    const pos = new vscode.Position(h?.anchor ?? 0, 0);
    const editor = await vscode.window.showTextDocument(doc, { preview, preserveFocus: false, selection: new vscode.Range(pos, pos) });
    inline.decorate(editor);
    return editor;
  }

  /** Opens the review of a task: its files (the first MAX_OPEN_FILES as tabs). Returns what it opened and how long it took. */
  async function reviewChanges(arg: unknown): Promise<{ taskId: string; files: number; opened: number; ms: number } | undefined> {
    if (!session.connection.isReady) return undefined;
    const taskId = await pickTask(arg);
    if (!taskId) return undefined;
    const t0 = performance.now();
    const r = await reviews.load(taskId);
    const toOpen = r.files.slice(0, MAX_OPEN_FILES);
    // Later files first, so the first file ends up the active tab.
    for (const f of [...toOpen].reverse()) await openFile(taskId, f.path, undefined, false);
    const ms = performance.now() - t0;
    session.log.info(`review of ${taskId}: ${r.files.length} file(s), opened ${toOpen.length} in ${ms.toFixed(0)} ms`);
    return { taskId, files: r.files.length, opened: toOpen.length, ms };
  }

  async function decide(hunkIds: (r: TaskReview) => string[], arg: unknown, decision: HunkDecision, what: string): Promise<number | undefined> {
    const taskId = await pickTask(arg);
    if (!taskId) return undefined;
    try {
      const r = await reviews.load(taskId);
      const ids = hunkIds(r);
      if (!ids.length) return 0;
      return await reviews.decide(taskId, ids, decision);
    } catch (e) {
      return fail(`${decision} ${what}`)(e);
    }
  }

  /** The hunk the command is about: given, else the one at (or below) the cursor. */
  const hunkOf = (arg: unknown) => (r: TaskReview): string[] => {
    const t = targetOf(arg);
    if (t.hunkId) return [t.hunkId];
    const a = activeReview();
    const f = a && r.byPath.get(a.path);
    const h = f && hunkAtOrAfter(f, a.editor.selection.active.line);
    return h ? [h.hunkId] : [];
  };
  /** A file's hunks and whole-file changes (binary, rename, mode). */
  const fileOf = (arg: unknown) => (r: TaskReview): string[] => {
    const path = targetOf(arg).file ?? activeReview()?.path;
    const view = reviews.reviewOf(r.taskId);
    return path && view ? decisionIds(view, path) : [];
  };
  /** Every hunk and whole-file change of the task. */
  const allOf = (r: TaskReview): string[] => {
    const view = reviews.reviewOf(r.taskId);
    return view ? decisionIds(view) : [];
  };

  async function move(step: 1 | -1): Promise<void> {
    const a = activeReview();
    if (!a) return;
    const r = await reviews.load(a.taskId);
    const f = r.byPath.get(a.path);
    if (!f) return;
    const line = a.editor.selection.active.line;
    const anchors = f.hunks.map((h) => h.anchor);
    const next = step > 0 ? anchors.find((n) => n > line) : [...anchors].reverse().find((n) => n < line);
    if (next !== undefined) {
      const pos = new vscode.Position(next, 0);
      a.editor.selection = new vscode.Selection(pos, pos);
      a.editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return;
    }
    // Past the last (first) hunk of this file: the next (previous) file of the task.
    const i = r.files.indexOf(f);
    const other = r.files[(i + step + r.files.length) % r.files.length] as FileReview;
    const target = step > 0 ? other.hunks[0] : other.hunks.at(-1);
    await openFile(a.taskId, other.path, target?.hunkId);
  }

  async function commit(arg: unknown): Promise<unknown> {
    const taskId = await pickTask(arg);
    if (!taskId) return undefined;
    const pending = session.store.pendingFor(taskId).find((a) => a.kind === 'commit');
    if (pending) return decideApproval(session, { approvalId: pending.approvalId, ...(typeof (arg as { message?: unknown })?.message === 'string' ? { message: (arg as { message: string }).message } : {}) }, 'approve');
    try {
      await session.request('commit_request', { taskId });
      void vscode.window.showInformationMessage('PushPals: the commit approval is being prepared (secret scan first); it appears in the Approvals view.');
      return 'requested';
    } catch (e) {
      return fail('ask for the commit')(e);
    }
  }

  async function applyToCheckout(arg: unknown): Promise<unknown> {
    const taskId = await pickTask(arg);
    if (!taskId) return undefined;
    const review = reviews.reviewOf(taskId);
    if (!review) return undefined;
    const mode = typeof (arg as { mode?: unknown })?.mode === 'string' ? (arg as { mode: string }).mode : (await vscode.window.showQuickPick(
      [
        { label: 'Merge into my working tree', description: 'three-way: your edits are kept; overlaps open in the merge editor', mode: 'merge' },
        ...(review.committed ? [{ label: `Fetch branch ${review.committed.branch} into my repository`, description: 'a local branch; nothing is checked out', mode: 'branch' }] : []),
      ],
      { title: `PushPals: apply the accepted changes of "${reviews.task(taskId)?.title ?? taskId}"` },
    ))?.mode;
    if (mode === 'branch') {
      try {
        const r = await session.request('branch_fetch', { taskId });
        void vscode.window.showInformationMessage(`PushPals: ${r.branch} is a branch of ${r.repoPath} now (at ${r.sha.slice(0, 8)}). Check it out with \`git switch ${r.branch}\`.`);
        return r;
      } catch (e) {
        return fail('fetch the branch')(e);
      }
    }
    if (mode !== 'merge') return undefined;
    return mergeIntoWorkspace(session, reviews, merges, taskId).catch(fail('apply the changes'));
  }

  return [
    reg('pushpals.reviewChanges', (arg) => reviewChanges(arg).catch(fail('open the review'))),
    reg('pushpals.openReviewFile', (arg) => {
      const t = targetOf(arg);
      return t.taskId && t.file ? openFile(t.taskId, t.file, t.hunkId).then(() => true, fail('open the file')) : undefined;
    }),
    reg('pushpals.acceptHunk', (arg) => decide(hunkOf(arg), arg, 'accept', 'the hunk')),
    reg('pushpals.rejectHunk', (arg) => decide(hunkOf(arg), arg, 'reject', 'the hunk')),
    reg('pushpals.acceptFile', (arg) => decide(fileOf(arg), arg, 'accept', 'the file')),
    reg('pushpals.rejectFile', (arg) => decide(fileOf(arg), arg, 'reject', 'the file')),
    reg('pushpals.acceptAll', (arg) => decide(allOf, arg, 'accept', 'the task\'s changes')),
    reg('pushpals.rejectAll', (arg) => decide(allOf, arg, 'reject', 'the task\'s changes')),
    reg('pushpals.nextHunk', () => move(1)),
    reg('pushpals.previousHunk', () => move(-1)),
    reg('pushpals.openSideBySide', async (arg) => {
      const t = targetOf(arg);
      const taskId = t.taskId ?? activeReview()?.taskId;
      const file = t.file ?? activeReview()?.path;
      if (!taskId || !file) return undefined;
      await reviews.load(taskId);
      return vscode.commands.executeCommand('vscode.diff', sideUri(taskId, file, 'base'), sideUri(taskId, file, 'proposed'), `${file} (base ↔ proposed, PushPals)`);
    }),
    reg('pushpals.commitReview', (arg) => commit(arg)),
    reg('pushpals.applyToCheckout', (arg) => applyToCheckout(arg)),
    reg('pushpals.openMergeEditor', (arg) => {
      const t = targetOf(arg);
      return t.taskId && t.file ? merges.open(t.taskId, t.file).then(() => true, fail('open the merge editor')) : undefined;
    }),
    // The merge editor's own "Complete Merge" button is the git extension's (a proposed menu) and shows only
    // for git conflicts: this one, in the editor title of our merges (and Ctrl+Enter), runs the same action.
    reg('pushpals.completeMerge', () => merges.completeActive().catch(fail('complete the merge'))),
    // Internal: timings and counters for the tests and benchmarks.
    reg('pushpals._reviewInfo', () => ({ latencies: inline.latencies.slice(-500), decorationLatencies: inline.decorationLatencies.slice(-500), stats: inline.stats, loaded: reviews.tasksWithReview().map((t) => ({ taskId: t.taskId, hunks: t.review?.hunks.length ?? 0, loaded: reviews.peek(t.taskId) !== undefined })) })),
  ];
}
