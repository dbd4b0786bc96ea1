/**
 * What the review surfaces show for one task's diff, built once per `diff_ready`: each file's base
 * (from `review_get`), its hunks under their review ids, the inline document (base + removed + added
 * lines) and where each hunk sits in it. Decisions are NOT here: they live in the shared reducer's state
 * (`TaskView.review`), so every surface reads the same ones. No vscode import: unit-testable.
 */
import type * as Review from '@pushpals/protocol/review';
import type { FilePatch, InlineDocument, InlineHunk } from '@pushpals/protocol/review';
import type { CommandResult, ReviewFileView, ReviewView } from '@pushpals/protocol/client';

let reviewLib: typeof Review | undefined;
/** The diff library loads on the first review, not at activation (it is most of the review's code). */
function lib(): typeof Review {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (reviewLib ??= require('@pushpals/protocol/review') as typeof Review);
}

export interface FileReview {
  path: string;
  base: string | null;
  patch: FilePatch;
  inline: InlineDocument;
  /** The hunks of this file in order, with where they sit in the inline document. */
  hunks: InlineHunk[];
}

export interface TaskReview {
  taskId: string;
  diffSeq: number;
  baseCommit: string;
  files: FileReview[];
  byPath: Map<string, FileReview>;
  /** hunkId → its file. */
  fileOfHunk: Map<string, FileReview>;
}

export function buildTaskReview(taskId: string, review: ReviewView, got: CommandResult<'review_get'>): TaskReview {
  if (got.diffSeq !== review.diffSeq) throw new Error(`the orchestrator's diff (#${got.diffSeq}) is not the one shown (#${review.diffSeq}): reload the review`);
  const bases = new Map(got.files.map((f) => [f.path, f.base]));
  const { splitDiff, inlineDocument } = lib();
  const files = splitDiff(review.diff, review.hunks).map((patch): FileReview => {
    const base = bases.get(patch.path) ?? null;
    const inline = inlineDocument(base, patch);
    return { path: patch.path, base, patch, inline, hunks: inline.hunks };
  });
  const fileOfHunk = new Map<string, FileReview>();
  for (const f of files) for (const h of f.hunks) fileOfHunk.set(h.hunkId, f);
  return { taskId, diffSeq: review.diffSeq, baseCommit: got.baseCommit, files, byPath: new Map(files.map((f) => [f.path, f])), fileOfHunk };
}

/**
 * Why a changed file can have no hunks in a diff from before whole-file changes (protocol 1.3): git's diff
 * of a binary file or of a pure rename carries no text lines, so there was nothing to decide — and the
 * commit left it out. Said wherever such a file shows.
 */
export function noTextHunksNote(path: string): string {
  return `${path} changed, but its diff has no text lines (a binary file, or a rename without edits) and the orchestrator that made it lists no whole-file change for it: it cannot be reviewed here, and neither the commit nor Apply to My Checkout includes it. Take it from the task's branch (Apply to My Checkout → Fetch branch) if you want it.`;
}

/** The whole-file changes (binary, rename, mode, empty file) of one path: its new path or a rename's old one. */
export function wholeFileChanges(review: ReviewView, file: string): ReviewFileView[] {
  return (review.fileChanges ?? []).filter((f) => f.path === file || f.oldPath === file);
}

/** Files of the diff with neither a hunk nor a whole-file change (an older orchestrator's binary files, pure renames). */
export function filesWithoutHunks(review: ReviewView): string[] {
  const covered = new Set([...review.hunks.map((h) => h.file), ...(review.fileChanges ?? []).map((f) => f.path)]);
  return review.files.filter((f) => !covered.has(f));
}

/** Everything a file's or a task's Accept / Reject decides: its hunks and its whole-file changes. */
export function decisionIds(review: ReviewView, file?: string): string[] {
  const hunks = review.hunks.filter((h) => file === undefined || h.file === file).map((h) => h.hunkId);
  return [...hunks, ...(file === undefined ? (review.fileChanges ?? []) : wholeFileChanges(review, file)).map((f) => f.fileId)];
}

/** The file with every hunk accepted: the agent's proposal. */
export function proposedContent(f: FileReview): string | null {
  return lib().applyAccepted(f.base, f.patch, () => true);
}

/** The file with the accepted hunks only (`decision(hunkId)` from the reducer's state). */
export function acceptedContent(f: FileReview, decision: (hunkId: string) => string | undefined): string | null {
  return lib().applyAccepted(f.base, f.patch, (id) => decision(id) === 'accept');
}

/** The hunk whose lines contain `line` (0-based, inline document), else the next one below, else the last. */
export function hunkAtOrAfter(f: FileReview, line: number): InlineHunk | undefined {
  for (const h of f.hunks) {
    const last = Math.max(h.anchor, ...h.removed, ...h.added);
    if (line <= last) return h;
  }
  return f.hunks.at(-1);
}
