/**
 * What a path becomes in a commit PushPals writes: text (UTF-8), or a blob the clone already holds (a
 * binary file, a rename's content: byte-exact, never through a string), with a mode or the old one's.
 */
import * as fs from 'node:fs';
import git from 'isomorphic-git';

export type FileMode = '100644' | '100755' | '120000';

export type FileWrite = string | { text: string; mode?: FileMode } | { oid: string; mode?: FileMode };

/**
 * The tree entry for `w` (its blob written when it is text). Without a mode a changed file stays
 * executable if it was; anything else (a new file, a symlink replaced by content) is a regular file.
 */
export async function blobEntry(gitdir: string, w: FileWrite, previousMode: string | undefined): Promise<{ oid: string; mode: string }> {
  const kept = previousMode === '100755' ? '100755' : '100644';
  if (typeof w === 'string') return { oid: await git.writeBlob({ fs, gitdir, blob: Buffer.from(w, 'utf8') }), mode: kept };
  const oid = 'oid' in w ? w.oid : await git.writeBlob({ fs, gitdir, blob: Buffer.from(w.text, 'utf8') });
  return { oid, mode: w.mode ?? kept };
}

/** The text of a write, when it is text (the secret scan reads only those). */
export const textOf = (w: FileWrite): string | undefined => (typeof w === 'string' ? w : 'text' in w ? w.text : undefined);
