/**
 * What a diff under review makes of its base, given which hunks and whole-file changes are accepted:
 * each changed path's new content (text with the accepted hunks applied, or a blob byte-exactly, with
 * its mode), the text files' before/after (for the commit's diff and the secret scan) and the accepted
 * whole-file changes. The one place that reads `diff_ready.fileChanges`: the commit of a review, the
 * evidence tree (everything accepted) and a ticket's commit all go through it.
 */
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { EventPayload } from '@pushpals/protocol';
import { applyAccepted, isBinary, splitDiff, ReviewDiffError, type FileEntry } from '@pushpals/protocol/review';
import { PushPalsError } from '../errors';
import type { FileWrite } from '../git/file-write';
import { readBlobBytes, readFileAt } from './task-branch';

export interface DiffResult {
  /** path → content as committed (null: deleted). Only paths that change. */
  changes: Map<string, FileWrite | null>;
  /** Text files as the result has them: content at the base (a rename's: at its old path) and after. */
  texts: Array<{ path: string; before: string | null; after: string | null }>;
  /** The accepted whole-file changes. */
  entries: FileEntry[];
  /** Blobs written whole that are not binary and not the base's own content: the secret scan reads them as added text. */
  newTextBlobs: Array<{ path: string; content: string }>;
}

type Diff = Pick<EventPayload<'diff_ready'>, 'diff' | 'hunks' | 'fileChanges'>;

/** The blob id at `path` in `commit`, or undefined. */
async function blobIdAt(mirror: string, commit: string, path: string): Promise<string | undefined> {
  return git.readBlob({ fs, gitdir: mirror, oid: commit, filepath: path }).then((r) => r.oid, () => undefined);
}

/** A whole-file change that no longer fits the base (its old blob is not there): a conflict, never an overwrite. */
async function checkBase(mirror: string, base: string, e: FileEntry): Promise<void> {
  const at = await blobIdAt(mirror, base, e.oldPath ?? e.path);
  if (at !== e.oldBlob) throw new PushPalsError('conflict', `${e.oldPath ?? e.path} is not what the diff's ${e.kind} change was made from (base ${base.slice(0, 8)})`, { file: e.path });
}

export async function diffResult(mirror: string, base: string, diff: Diff, accepted: (id: string) => boolean): Promise<DiffResult> {
  let files;
  try {
    files = splitDiff(diff.diff, diff.hunks);
  } catch (e) {
    throw new PushPalsError('internal', `the diff under review is inconsistent: ${(e as Error).message}`);
  }
  const entries = diff.fileChanges ?? [];
  const of = (kind: FileEntry['kind'], path: string) => entries.find((e) => e.kind === kind && e.path === path);
  const out: DiffResult = { changes: new Map(), texts: [], entries: [], newTextBlobs: [] };
  const used = new Set<string>();
  const take = (e: FileEntry | undefined): FileEntry | undefined => {
    if (!e) return undefined;
    used.add(e.fileId);
    if (!accepted(e.fileId)) return undefined;
    out.entries.push(e);
    return e;
  };

  // Text files: the accepted hunks; a rename's hunks apply to its old content, a mode change goes with the text.
  for (const f of files) {
    const rename = take(of('rename', f.path));
    const renamed = of('rename', f.path);
    const modeChange = take(of('mode', f.path));
    const from = renamed?.oldPath ?? f.path;
    const before = await readFileAt(mirror, base, from);
    let after: string | null;
    try {
      after = applyAccepted(before, f, accepted);
    } catch (e) {
      if (e instanceof ReviewDiffError) throw new PushPalsError('conflict', `${e.message} (base ${base.slice(0, 8)})`, { file: f.path });
      throw e;
    }
    const target = rename ? f.path : from;
    const newMode = modeChange?.newMode ?? rename?.newMode;
    if (rename) out.changes.set(from, null);
    // Nothing to write: no accepted change of this file (a rejected new file stays absent, whatever its mode).
    if ((after === before && !rename && !newMode) || (after === null && before === null)) continue;
    out.changes.set(target, after === null ? null : newMode ? { text: after, mode: newMode } : after);
    out.texts.push({ path: target, before, after });
  }

  // Whole-file changes without hunks: written byte-exactly from the clone's blobs.
  for (const e of entries) {
    if (used.has(e.fileId) || !take(e)) continue;
    await checkBase(mirror, base, e);
    if (e.change === 'deleted') {
      out.changes.set(e.path, null);
      continue;
    }
    if (e.kind === 'empty') {
      out.changes.set(e.path, { text: '', ...(e.newMode ? { mode: e.newMode } : {}) });
      continue;
    }
    const oid = e.newBlob ?? e.oldBlob;
    if (!oid) throw new PushPalsError('internal', `the ${e.kind} change of ${e.path} names no content`, { file: e.path });
    const bytes = await readBlobBytes(mirror, oid);
    if (oid !== e.oldBlob && !isBinary(bytes)) out.newTextBlobs.push({ path: e.path, content: Buffer.from(bytes).toString('utf8') });
    if (e.oldPath) out.changes.set(e.oldPath, null);
    out.changes.set(e.path, { oid, ...(e.newMode ? { mode: e.newMode } : {}) });
  }
  return out;
}

/** The git-style header lines of an accepted whole-file change, for the commit's diff. */
export function entryDiff(e: FileEntry): string {
  const from = e.oldPath ?? e.path;
  const lines = [`diff --git a/${from} b/${e.path}`];
  if (e.change === 'added') lines.push(`new file mode ${e.newMode ?? '100644'}`);
  else if (e.change === 'deleted') lines.push(`deleted file mode ${e.oldMode ?? '100644'}`);
  else if (e.oldMode && e.newMode && e.oldMode !== e.newMode) lines.push(`old mode ${e.oldMode}`, `new mode ${e.newMode}`);
  if (e.kind === 'rename') lines.push(`rename from ${from}`, `rename to ${e.path}`);
  const blobs = `index ${(e.oldBlob ?? '0'.repeat(40)).slice(0, 12)}..${(e.newBlob ?? '0'.repeat(40)).slice(0, 12)}`;
  if (e.kind === 'binary') lines.push(blobs, `Binary files ${e.change === 'added' ? '/dev/null' : `a/${from}`} and ${e.change === 'deleted' ? '/dev/null' : `b/${e.path}`} differ`);
  return `${lines.join('\n')}\n`;
}
