/**
 * Host-side file access to a task's working copy. The working copy is agent-written (hostile) data:
 * never follow its symlinks, never read unbounded files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Reads a regular file under `root` without following a symlink at the last component; undefined if absent or not a regular file. */
export function readWorkspaceFile(root: string, rel: string, maxBytes = 1024 * 1024): string | undefined {
  const file = path.join(root, rel);
  if (path.relative(root, file).startsWith('..')) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined; // missing, a symlink (ELOOP), or unreadable
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** chown -R without following symlinks (lchown), so the sandbox's uid can write its working copy. */
export function chownTree(root: string, uid: number, gid: number): void {
  fs.lchownSync(root, uid, gid);
  for (const ent of fs.readdirSync(root, { withFileTypes: true })) {
    const p = path.join(root, ent.name);
    if (ent.isDirectory()) chownTree(p, uid, gid);
    else fs.lchownSync(p, uid, gid);
  }
}
