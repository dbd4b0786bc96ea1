/**
 * A reviewable diff from blob-level changes (both sides' bytes, modes and blob ids): text files become
 * hunks (jsdiff, as every agent's diff), and what hunks cannot show becomes a whole-file entry — a
 * binary file (git's test: a NUL in the first 8000 bytes), a rename, a mode change, an empty file.
 * One function for every producer that has blobs (a plan's combined diff, OpenHands' working copy), so
 * a binary file never becomes text hunks.
 */
import type { EventPayload } from '@pushpals/protocol';
import { isBinary, type FileEntry } from '@pushpals/protocol/review';
import { diffPayload, type FileChange } from '../agents/builtin/changes';
import type { FileMode } from '../git/file-write';

export interface BlobSide {
  oid: string;
  mode: string;
  bytes: Uint8Array;
}

/** One path's change; `oldPath` for a rename (then both sides are present). */
export interface BlobChange {
  path: string;
  oldPath?: string;
  before?: BlobSide;
  after?: BlobSide;
}

const MODES: readonly string[] = ['100644', '100755', '120000'];
const mode = (m: string | undefined): FileMode | undefined => (m && MODES.includes(m) ? (m as FileMode) : undefined);
const text = (s: BlobSide | undefined): string | undefined => (s ? Buffer.from(s.bytes).toString('utf8') : undefined);

/** The entry's common fields: modes, sizes, blob ids of what is there. */
function sides(c: BlobChange): Omit<FileEntry, 'fileId' | 'kind' | 'change' | 'path'> {
  const { before: b, after: a } = c;
  const [om, nm] = [mode(b?.mode), mode(a?.mode)];
  return {
    ...(c.oldPath ? { oldPath: c.oldPath } : {}),
    ...(om ? { oldMode: om } : {}),
    ...(nm ? { newMode: nm } : {}),
    ...(b ? { oldSize: b.bytes.length, oldBlob: b.oid } : {}),
    ...(a ? { newSize: a.bytes.length, newBlob: a.oid } : {}),
  };
}

/** The `diff_ready` payload of these changes (path order; entries numbered f1, f2, …), or undefined when nothing changed. */
export function blobDiffPayload(taskId: string, changes: readonly BlobChange[]): EventPayload<'diff_ready'> | undefined {
  const texts: FileChange[] = [];
  const entries: Array<Omit<FileEntry, 'fileId'>> = [];
  for (const c of [...changes].sort((x, y) => x.path.localeCompare(y.path))) {
    const { before: b, after: a } = c;
    if (!b && !a) continue;
    const binary = (b !== undefined && isBinary(b.bytes)) || (a !== undefined && isBinary(a.bytes));
    const contentChanged = b?.oid !== a?.oid;
    if (c.oldPath && b && a) {
      entries.push({ kind: 'rename', change: 'renamed', path: c.path, ...sides(c) });
      if (!binary && contentChanged) texts.push({ path: c.path, oldPath: c.oldPath, before: text(b), after: text(a) });
      continue;
    }
    if (binary) {
      entries.push({ kind: 'binary', change: !b ? 'added' : !a ? 'deleted' : 'modified', path: c.path, ...sides(c) });
      continue;
    }
    if ((!b && a?.bytes.length === 0) || (!a && b?.bytes.length === 0)) {
      entries.push({ kind: 'empty', change: b ? 'deleted' : 'added', path: c.path, ...sides(c) });
      continue;
    }
    // A mode change, or a new file that is not a plain file (an executable script): the mode is decided apart from the text.
    if ((b && a && b.mode !== a.mode) || (!b && a && a.mode !== '100644')) entries.push({ kind: 'mode', change: b ? 'modified' : 'added', path: c.path, ...sides(c) });
    if (contentChanged) texts.push({ path: c.path, before: text(b), after: text(a) });
  }
  const hunked = diffPayload(taskId, texts);
  if (!hunked && !entries.length) return undefined;
  const fileChanges = entries.map((e, i) => ({ fileId: `f${i + 1}`, ...e }));
  const files = [...new Set([...(hunked?.files ?? []), ...entries.map((e) => e.path)])].sort();
  return { taskId, diff: hunked?.diff ?? '', files, hunks: hunked?.hunks ?? [], ...(fileChanges.length ? { fileChanges } : {}) };
}
