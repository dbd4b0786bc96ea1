/**
 * Apply to My Checkout for a whole-file change (binary, rename, mode, empty file): what to do with the
 * person's file, decided on bytes. No three-way text merge for these: when the person changed the file
 * too (it is neither the diff's before nor its after), it is a conflict and nothing is overwritten.
 * Pure: no vscode import.
 */
import type { FileEntry } from '@pushpals/protocol/client';
import type { MergeStatus } from './merge';

export interface WholeFileAction {
  status: MergeStatus;
  reason?: string;
  /** Write these bytes at path (created or replaced). */
  write?: { path: string; bytes: Uint8Array };
  /** Delete this path. */
  remove?: string;
  /** Set or clear the executable bits of this path. */
  chmod?: { path: string; executable: boolean };
}

const same = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean => a !== null && a !== undefined && b !== null && b !== undefined && Buffer.compare(a, b) === 0;
const CHANGED_TOO = 'your copy differs from both the diff\'s before and after: binary and whole files are not merged, so it is left as it is (take the task\'s branch to compare)';

/**
 * The action for one accepted change. `ours`: the person's bytes at the entry's path and, for a rename,
 * at its old path (null: absent). `before`/`after`: the diff's content (empty for an empty file).
 */
export function planWholeFile(e: FileEntry, ours: { path: Uint8Array | null; oldPath: Uint8Array | null }, before: Uint8Array | undefined, after: Uint8Array | undefined): WholeFileAction {
  const chmod = e.newMode && e.newMode !== e.oldMode && e.newMode !== '120000' ? { chmod: { path: e.path, executable: e.newMode === '100755' } } : {};
  if (e.newMode === '120000' || e.oldMode === '120000') return { status: 'refused', reason: 'a symbolic link: take it from the task\'s branch' };
  if (e.kind === 'mode') return ours.path === null ? { status: 'refused', reason: 'you deleted this file' } : { status: 'applied', ...chmod };
  if (e.kind === 'rename') {
    if (ours.oldPath === null && same(ours.path, after)) return { status: 'unchanged' };
    if (ours.path !== null) return { status: 'conflict', reason: `${e.path} exists in your copy already: not overwritten` };
    if (!same(ours.oldPath, before)) return { status: 'conflict', reason: ours.oldPath === null ? `you deleted ${e.oldPath ?? '?'}` : CHANGED_TOO };
    return { status: 'applied', write: { path: e.path, bytes: after ?? new Uint8Array() }, remove: e.oldPath ?? e.path, ...chmod };
  }
  const theirs = e.kind === 'empty' ? new Uint8Array() : after;
  const base = e.kind === 'empty' ? new Uint8Array() : before;
  if (e.change === 'deleted') {
    if (ours.path === null) return { status: 'unchanged' };
    return same(ours.path, base) ? { status: 'deleted', remove: e.path } : { status: 'conflict', reason: CHANGED_TOO };
  }
  if (same(ours.path, theirs)) return { status: 'unchanged' };
  if (e.change === 'added') return ours.path === null ? { status: 'applied', write: { path: e.path, bytes: theirs ?? new Uint8Array() }, ...chmod } : { status: 'conflict', reason: `${e.path} exists in your copy already: not overwritten` };
  if (ours.path === null) return { status: 'refused', reason: 'you deleted this file; the change edits it: restore it first if you want the change' };
  return same(ours.path, base) ? { status: 'applied', write: { path: e.path, bytes: theirs ?? new Uint8Array() }, ...chmod } : { status: 'conflict', reason: CHANGED_TOO };
}
