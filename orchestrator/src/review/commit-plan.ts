/**
 * What committing a review would do: each changed path's content at the base and with exactly the
 * accepted hunks and whole-file changes applied (diff-result.ts), the lines that adds (for the secret
 * scan), and the exact diff committed (whole-file changes as git's header lines: binary, rename, mode).
 */
import { fileDiff } from '@pushpals/protocol/review';
import { structuredPatch } from 'diff';
import { PushPalsError } from '../errors';
import type { FileWrite } from '../git/file-write';
import { diffResult, entryDiff } from './diff-result';
import { acceptedItems, reviewItems, type ReviewState } from './review-state';
import { branchHead } from './task-branch';

export interface CommitPlan {
  /** The commit the diff applies to. */
  base: string;
  /** The task branch's head now: the commit's parent (the base until something was committed). */
  parent: string;
  /** path → content as committed (null: deleted). Only files that change. */
  changes: Map<string, FileWrite | null>;
  /** The exact diff of the commit, git-style. */
  diff: string;
  files: string[];
  /** Accepted hunk and whole-file change ids. */
  accepted: string[];
  rejected: number;
  /** What is accepted of how many, hunks and whole-file changes apart (for the approval's words). */
  counts: { hunks: number; hunksTotal: number; wholeFiles: number; wholeFilesTotal: number };
  /** Text as committed, with the 1-based lines the commit adds there: what the secret scan reads (binary content is not text). */
  scan: Array<{ file: string; content: string; addedLines: Set<number> }>;
}

export async function planCommit(mirror: string, taskId: string, r: ReviewState): Promise<CommitPlan> {
  const head = await branchHead(mirror, taskId);
  const base = r.diff.baseCommit ?? head;
  if (!base) throw new PushPalsError('conflict', `the diff of task ${taskId} names no base commit and pushpals/${taskId} does not exist: it cannot be committed`);
  const accepted = new Set(acceptedItems(r));
  const result = await diffResult(mirror, base, r.diff, (id) => accepted.has(id));
  const texts = result.texts.filter((t) => t.before !== t.after);
  const scan = texts.flatMap((t) => (t.after === null ? [] : [{ file: t.path, content: t.after, addedLines: addedLineNumbers(t.before ?? '', t.after) }]));
  for (const b of result.newTextBlobs) scan.push({ file: b.path, content: b.content, addedLines: addedLineNumbers('', b.content) });
  const diff = [...result.entries.map(entryDiff), ...texts.map((t) => fileDiff(t.path, t.before, t.after))].join('');
  const hunks = r.diff.hunks.filter((h) => accepted.has(h.hunkId)).length;
  const counts = { hunks, hunksTotal: r.diff.hunks.length, wholeFiles: accepted.size - hunks, wholeFilesTotal: r.diff.fileChanges?.length ?? 0 };
  return { base, parent: head ?? base, changes: result.changes, diff, files: [...result.changes.keys()], accepted: [...accepted], rejected: reviewItems(r).length - accepted.size, counts, scan };
}
function addedLineNumbers(before: string, after: string): Set<number> {
  const out = new Set<number>();
  for (const h of structuredPatch('a', 'b', before, after, undefined, undefined, { context: 0 }).hunks) {
    let line = h.newStart;
    for (const l of h.lines) {
      if (l.startsWith('+')) out.add(line++);
      else if (l.startsWith(' ')) line++;
    }
  }
  return out;
}
