/**
 * What committing a review would do: each changed file's content at the base and with exactly the
 * accepted hunks applied, the lines that adds (for the secret scan), and the exact diff committed.
 */
import { applyAccepted, fileDiff, splitDiff, ReviewDiffError } from '@pushpals/protocol/review';
import { structuredPatch } from 'diff';
import { PushPalsError } from '../errors';
import { acceptedHunks, type ReviewState } from './review-state';
import { branchHead, readFileAt } from './task-branch';

export interface CommitPlan {
  /** The commit the diff applies to. */
  base: string;
  /** The task branch's head now: the commit's parent (the base until something was committed). */
  parent: string;
  /** path → content as committed (null: deleted). Only files that change. */
  changes: Map<string, string | null>;
  /** The exact diff of the commit, git-style. */
  diff: string;
  files: string[];
  accepted: string[];
  rejected: number;
  /** path → 1-based lines the commit adds there. */
  addedLines: Map<string, Set<number>>;
}

export async function planCommit(mirror: string, taskId: string, r: ReviewState): Promise<CommitPlan> {
  const head = await branchHead(mirror, taskId);
  const base = r.diff.baseCommit ?? head;
  if (!base) throw new PushPalsError('conflict', `the diff of task ${taskId} names no base commit and pushpals/${taskId} does not exist: it cannot be committed`);
  const accepted = new Set(acceptedHunks(r));
  let files;
  try {
    files = splitDiff(r.diff.diff, r.diff.hunks);
  } catch (e) {
    throw new PushPalsError('internal', `the diff under review is inconsistent: ${(e as Error).message}`);
  }
  const changes = new Map<string, string | null>();
  const addedLines = new Map<string, Set<number>>();
  const diffs: string[] = [];
  for (const f of files) {
    const before = await readFileAt(mirror, base, f.path);
    let after: string | null;
    try {
      after = applyAccepted(before, f, (id) => accepted.has(id));
    } catch (e) {
      if (e instanceof ReviewDiffError) throw new PushPalsError('conflict', `${e.message} (base ${base.slice(0, 8)})`, { file: f.path });
      throw e;
    }
    if (after === before) continue;
    changes.set(f.path, after);
    diffs.push(fileDiff(f.path, before, after));
    addedLines.set(f.path, addedLineNumbers(before ?? '', after ?? ''));
  }
  return { base, parent: head ?? base, changes, diff: diffs.join(''), files: [...changes.keys()], accepted: [...accepted], rejected: r.diff.hunks.length - accepted.size, addedLines };
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
