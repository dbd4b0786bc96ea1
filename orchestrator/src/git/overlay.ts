/**
 * Lays the person's uncommitted work (uncommitted.ts) over a task's fresh working copy: their files
 * copied in (symlinks as symlinks, never followed), deleted files deleted, and their staged entries
 * written to the copy's index, so `git status` in the sandbox shows what theirs shows. The copy is
 * ours until the sandbox starts, but a committed symlink may sit where the person now has a
 * directory: every path component is checked, and anything that is not a real directory is
 * replaced, never followed.
 */
import { constants, promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import git, { type FsClient } from 'isomorphic-git';
import { PushPalsError } from '../errors';
import type { UncommittedChange } from './uncommitted';

/** The path's components, refused when one could leave the copy or reach its `.git`. */
function components(rel: string): string[] {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.toLowerCase() === '.git')) {
    throw new PushPalsError('invalid_message', `refusing the path "${rel.slice(0, 200)}" from the working tree: it names .git, "..", or an empty component`);
  }
  return parts;
}

/** The parent directory of `rel` inside `root`, made of real directories (anything else in the way is removed); those made go to `made`. */
function realParent(root: string, parts: string[], made: string[]): string {
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = join(cur, p);
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) fs.rmSync(cur, { force: true });
    if (!st || !st.isDirectory()) {
      fs.mkdirSync(cur);
      made.push(cur);
    }
  }
  return cur;
}

/** The parent of `rel` if every component is a real directory; undefined otherwise (nothing to delete there). */
function existingParent(root: string, parts: string[]): string | undefined {
  let cur = root;
  for (const p of parts.slice(0, -1)) {
    cur = join(cur, p);
    if (!fs.lstatSync(cur, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  }
  return cur;
}

/** Copies one working-tree entry of `src` to the same place in `dst` (what it creates goes to `made`); false if it vanished meanwhile. */
async function copyEntry(src: string, dst: string, rel: string, made: string[]): Promise<boolean> {
  const parts = components(rel);
  const from = join(src, rel);
  const st = fs.lstatSync(from, { throwIfNoEntry: false });
  const to = join(realParent(dst, parts, made), parts[parts.length - 1] as string);
  fs.rmSync(to, { recursive: true, force: true });
  if (!st) return false;
  if (st.isSymbolicLink()) {
    fs.symlinkSync(fs.readlinkSync(from), to);
    made.push(to);
    return true;
  }
  if (!st.isFile()) return false;
  const input = await fsp.open(from, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!input) return false;
  try {
    const now = await input.stat();
    if (!now.isFile()) return false;
    const output = await fsp.open(to, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, now.mode & 0o111 ? 0o755 : 0o644);
    made.push(to);
    await pipeline(input.createReadStream({ autoClose: false }), output.createWriteStream());
    return true;
  } finally {
    await input.close();
  }
}

/** What applyUncommitted did: how many paths it changed, and every file and directory it created (for their owner). */
export interface OverlayResult {
  paths: number;
  written: string[];
}

/**
 * Applies `changes` read from the working tree `src` to the working copy `dst` (git dir
 * `dst/.git`); staged blobs the copy lacks are read from `objectsFrom` (the mirror). `gitFs` is the
 * fs isomorphic-git uses on the copy (one that sees a copy's shared objects, see working-copy.ts),
 * so a blob already in the shared store is not written again.
 */
export async function applyUncommitted(src: string, dst: string, changes: UncommittedChange[], objectsFrom: string, gitFs: FsClient = fs): Promise<OverlayResult> {
  let n = 0;
  const written: string[] = [];
  for (const c of changes.filter((x) => x.work === 'delete')) {
    const parts = components(c.path);
    const parent = existingParent(dst, parts);
    if (parent) fs.rmSync(join(parent, parts[parts.length - 1] as string), { recursive: true, force: true });
    n++;
  }
  for (const c of changes.filter((x) => x.work === 'write')) {
    await copyEntry(src, dst, c.path, written);
    n++;
  }
  const gitdir = join(dst, '.git');
  let indexed = false;
  for (const c of changes) {
    if (c.staged === undefined) continue;
    components(c.path);
    indexed = true;
    if (c.staged === null) {
      await git.updateIndex({ fs: gitFs, dir: dst, gitdir, filepath: c.path, remove: true, force: true });
      continue;
    }
    const { oid, mode } = c.staged;
    const have = await git.readObject({ fs: gitFs, gitdir, oid, format: 'deflated' }).then(() => true, () => false);
    if (!have) {
      await git.writeBlob({ fs: gitFs, gitdir, blob: (await git.readBlob({ fs, gitdir: objectsFrom, oid })).blob });
      written.push(join(gitdir, 'objects', oid.slice(0, 2)), join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2)));
    }
    await git.updateIndex({ fs: gitFs, dir: dst, gitdir, filepath: c.path, oid, mode, add: true });
  }
  if (indexed) written.push(join(gitdir, 'index'));
  return { paths: n, written };
}
