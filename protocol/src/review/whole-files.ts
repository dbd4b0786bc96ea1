/**
 * Whole-file changes of a diff (`diff_ready.fileChanges`): git's binary test and how an entry is named
 * in a review. Pure, shared by the orchestrator (which builds entries and commits them) and the clients
 * (which show them and write an accepted binary file into a checkout).
 */
import type { EventPayload } from '../messages';

export type FileEntry = NonNullable<EventPayload<'diff_ready'>['fileChanges']>[number];

/** How far git looks for a NUL byte to call content binary (xdiff's FIRST_FEW_BYTES). */
export const BINARY_PROBE_BYTES = 8000;

/** Binary the way git decides it: a NUL byte in the first 8000 bytes. */
export function isBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_PROBE_BYTES).includes(0);
}

/** "12.3 KiB": bytes in binary units with one decimal (whole bytes under 1 KiB). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let n = bytes / 1024;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(1)} ${units[i]}`;
}

const size = (n: number | undefined): string => (n === undefined ? '?' : formatSize(n));

/** One line for a review: "binary, 12.3 KiB → 14.0 KiB", "renamed from a.ts", "mode 100644 → 100755". */
export function describeFileEntry(e: FileEntry): string {
  const mode = e.oldMode && e.newMode && e.oldMode !== e.newMode ? `, mode ${e.oldMode} → ${e.newMode}` : '';
  switch (e.kind) {
    case 'binary':
      if (e.change === 'added') return `binary, added (${size(e.newSize)})${mode}`;
      if (e.change === 'deleted') return `binary, deleted (${size(e.oldSize)})`;
      return `binary, ${size(e.oldSize)} → ${size(e.newSize)}${mode}`;
    case 'rename': {
      const changed = e.oldBlob && e.newBlob && e.oldBlob !== e.newBlob ? ' (content changed)' : '';
      return `renamed from ${e.oldPath ?? '?'}${changed}${mode}`;
    }
    case 'mode':
      return `mode ${e.oldMode ?? '?'} → ${e.newMode ?? '?'}${e.newMode === '100755' ? ' (executable)' : ''}`;
    case 'empty':
      return e.change === 'deleted' ? 'empty file, deleted' : 'empty file, added';
  }
}
