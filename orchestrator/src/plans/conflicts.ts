/**
 * What a conflict is, in terms a person or a coding agent can act on: for each file both changed,
 * the ticket's hunk (against the commit it started from) and what the combined result so far has
 * at the same lines. Read from the orchestrator's clone as data (isomorphic-git, jsdiff).
 */
import { structuredPatch, type StructuredPatchHunk } from 'diff';
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { readFileAt } from '../git/commits';

export interface ConflictHunk {
  file: string;
  /** The ticket's change there, as a unified hunk against the commit it started from. */
  ticket: string;
  /** What the combined result so far made of the same lines (a unified hunk against the same commit), or what is there. */
  now: string;
}

const hunkText = (h: StructuredPatchHunk): string => `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n${h.lines.join('\n')}`;
const hunksOf = (file: string, a: string, b: string): StructuredPatchHunk[] => structuredPatch(file, file, a, b, undefined, undefined, { context: 0 }).hunks;
/** Old-side line ranges that overlap or touch (git's merge conflicts on adjacent changes too). */
const near = (a: StructuredPatchHunk, b: StructuredPatchHunk): boolean => a.oldStart <= b.oldStart + b.oldLines && b.oldStart <= a.oldStart + a.oldLines;

/** The conflicting hunks of `ticketCommit`'s change against `head`, file by file (`files`: as the merge named them; empty: every file it changed). */
export async function conflictHunks(mirror: string, ticketCommit: string, head: string, files: readonly string[]): Promise<ConflictHunk[]> {
  const { commit } = await git.readCommit({ fs, gitdir: mirror, oid: ticketCommit });
  const parent = commit.parent[0];
  if (!parent) return [];
  let paths = [...files];
  if (!paths.length) {
    const changed = await git.walk({
      fs,
      gitdir: mirror,
      trees: [git.TREE({ ref: parent }), git.TREE({ ref: ticketCommit })],
      map: async (path, [a, b]) => (path !== '.' && (await a?.type()) !== 'tree' && (await b?.type()) !== 'tree' && (await a?.oid()) !== (await b?.oid()) ? path : undefined),
    });
    paths = (changed as Array<string | undefined>).filter((p): p is string => typeof p === 'string');
  }
  const out: ConflictHunk[] = [];
  for (const file of paths.slice(0, 50)) {
    const [was, theirs, now] = await Promise.all([readFileAt(mirror, parent, file), readFileAt(mirror, ticketCommit, file), readFileAt(mirror, head, file)]);
    const mine = hunksOf(file, was ?? '', theirs ?? '');
    const current = hunksOf(file, was ?? '', now ?? '');
    for (const h of mine) {
      const overlapping = current.filter((c) => near(h, c));
      if (!overlapping.length && current.length) continue; // this hunk of the ticket applies: not part of the conflict
      out.push({ file, ticket: hunkText(h), now: overlapping.length ? overlapping.map(hunkText).join('\n') : now === undefined ? '(the file is deleted)' : '(unchanged)' });
    }
  }
  return out;
}

/** The hunks as text for a prompt or a log, bounded. */
export function describeHunks(key: string, hunks: readonly ConflictHunk[], max = 12_000): string {
  const text = hunks.map((h) => `--- ${h.file}\n${key}'s change there:\n${h.ticket}\nWhat is there now (the combined result so far, against the same lines):\n${h.now}`).join('\n\n');
  return text.length > max ? `${text.slice(0, max)}\n[... ${text.length - max} characters cut ...]` : text;
}
