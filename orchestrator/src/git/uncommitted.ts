/**
 * The person's uncommitted work in a repository on this machine: files of their working tree that
 * differ from a commit (modified, deleted, mode changed, and untracked files git does not ignore),
 * plus what they staged. Read with isomorphic-git through `readOnlyFs` (their index is read, never
 * refreshed; no fsmonitor, no filter, no hook), compared against the commit the task starts from.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import git, { STAGE, TREE, WORKDIR, type WalkerEntry } from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { readOnlyFs } from './read-only-fs';

/** One path of the working tree that differs from the base commit. */
export interface UncommittedChange {
  path: string;
  /** `write`: take the working tree's file (or symlink); `delete`: it is gone from the working tree. */
  work: 'write' | 'delete' | 'same';
  /** The index entry when it differs from the commit's (`null`: removed from the index), else undefined. */
  staged?: { oid: string; mode: number } | null;
  /** Size in bytes of the working tree's file (for `write`). */
  size: number;
}

export interface UncommittedLimits {
  /** At most this many changed paths ... */
  maxFiles: number;
  /** ... and this many bytes of changed files, else the task is refused as `too_large`. */
  maxBytes: number;
}

export const DEFAULT_UNCOMMITTED_LIMITS: UncommittedLimits = { maxFiles: 20_000, maxBytes: 512 * 1024 * 1024 };

const MODE_FILE = 0o100644;

type Kind = 'tree' | 'blob' | 'special' | 'commit' | undefined;

async function typeOf(e: WalkerEntry | null): Promise<Kind> {
  return e ? ((await e.type()) as Kind) : undefined;
}

async function entryOf(e: WalkerEntry | null, kind: Kind): Promise<{ oid: string; mode: number } | undefined> {
  if (!e || kind !== 'blob') return undefined;
  return { oid: await e.oid(), mode: (await e.mode()) ?? MODE_FILE };
}

const NS = 1_000_000_000n;
const U32 = 0xffffffffn;

/**
 * git's own shortcut: a working-tree file whose size, mtime, ctime, inode and mode equal its index
 * entry's, and that is not "racy" (changed in the same instant the index was written), has the
 * index's content — no need to read and hash it. Compared at full nanosecond precision (bigint
 * lstat): isomorphic-git's millisecond stats never match git's index, so it would hash every file.
 */
async function unchangedSinceIndexed(file: string, stage: WalkerEntry, indexMtimeNs: bigint | undefined): Promise<boolean> {
  if (indexMtimeNs === undefined) return false;
  const st = await fs.promises.lstat(file, { bigint: true }).catch(() => undefined);
  const ix = (await stage.stat()) as { ctimeSeconds: number; ctimeNanoseconds: number; mtimeSeconds: number; mtimeNanoseconds: number; ino: number; size: number; mode: number };
  if (!st?.isFile()) return false;
  const exec = (m: number | bigint): boolean => (Number(m) & 0o111) !== 0;
  return (
    st.mtimeNs < indexMtimeNs &&
    BigInt(ix.mtimeSeconds) === st.mtimeNs / NS &&
    BigInt(ix.mtimeNanoseconds) === st.mtimeNs % NS &&
    BigInt(ix.ctimeSeconds) === st.ctimeNs / NS &&
    BigInt(ix.ctimeNanoseconds) === st.ctimeNs % NS &&
    BigInt(ix.ino) === (st.ino & U32) &&
    BigInt(ix.size) === (st.size & U32) &&
    exec(ix.mode) === exec(st.mode)
  );
}

/**
 * Compares the working tree `dir` (git dir `gitdir`) with `commit`: what a copy checked out at
 * `commit` needs to look like the person's checkout. Untracked directories that hold a `.git`
 * (nested repositories) are skipped, as git does; submodules are left as committed.
 */
export async function readUncommitted(
  dir: string,
  gitdir: string,
  commit: string,
  /** A git dir holding `commit`'s objects and no index (the mirror): used when the person's index cannot be read. */
  indexFreeGitdir: string,
  limits: UncommittedLimits = DEFAULT_UNCOMMITTED_LIMITS,
): Promise<UncommittedChange[]> {
  const filemode = (await git.getConfig({ fs: readOnlyFs, gitdir, path: 'core.filemode' }).catch(() => undefined)) !== false;
  let hasIndex = true;
  const indexMtimeNs = (await fs.promises.lstat(join(gitdir, 'index'), { bigint: true }).catch(() => undefined))?.mtimeNs;
  const changes: UncommittedChange[] = [];
  let bytes = 0;
  const tooLarge = (): never => {
    throw new PushPalsError(
      'too_large',
      `the uncommitted changes are too many to copy into the task (more than ${limits.maxFiles} files or ${Math.round(limits.maxBytes / 1048576)} MB): commit them, add what should not go along to .gitignore, or start the task without uncommitted changes`,
      { files: changes.length, bytes },
    );
  };
  const walk = (trees: ReturnType<typeof TREE>[], walkGitdir: string) =>
    git.walk({
      fs: readOnlyFs,
      dir,
      gitdir: walkGitdir,
      trees,
      map: async (filepath, [head, work, stage = null]) => {
        if (filepath === '.') return undefined;
        const [ht, wt, st] = await Promise.all([typeOf(head ?? null), typeOf(work ?? null), typeOf(stage)]);
        if (ht === 'commit' || st === 'commit') return null; // a submodule: left as committed
        if (!head && !stage && work) {
          if (await git.isIgnored({ fs: readOnlyFs, dir, gitdir, filepath })) return null;
          if (wt === 'tree' && fs.existsSync(join(dir, filepath, '.git'))) return null; // a nested repository
        }
        if (ht !== 'blob' && wt !== 'blob' && st !== 'blob') return undefined; // directories: descend
        const h = await entryOf(head ?? null, ht);
        const s = await entryOf(stage, st);
        const tracked = h !== undefined || s !== undefined;
        // An untracked file's content is copied as it is; hashing it would only cost time.
        const w =
          wt !== 'blob' || !work
            ? undefined
            : !tracked
              ? { oid: '', mode: (await work.mode()) ?? MODE_FILE }
              : s && stage && hasIndex && (await unchangedSinceIndexed(join(dir, filepath), stage, indexMtimeNs))
                ? s
                : await entryOf(work, wt);
        const sameMode = (a: number, b: number): boolean => a === b || (!filemode && a !== 0o120000 && b !== 0o120000);
        const workState: UncommittedChange['work'] = !w ? (h ? 'delete' : 'same') : !h || w.oid !== h.oid || !sameMode(w.mode, h.mode) ? 'write' : 'same';
        const staged = !hasIndex ? undefined : s && (!h || s.oid !== h.oid || s.mode !== h.mode) ? s : !s && h ? null : undefined;
        if (workState === 'same' && staged === undefined) return undefined;
        const size = workState === 'write' && work ? ((await work.stat()).size ?? 0) : 0;
        bytes += size;
        changes.push({ path: filepath, work: workState, ...(staged !== undefined ? { staged } : {}), size });
        if (changes.length > limits.maxFiles || bytes > limits.maxBytes) tooLarge();
        return undefined;
      },
    });
  try {
    await walk([TREE({ ref: commit }), WORKDIR({ refresh: false }), STAGE()], gitdir);
  } catch (e) {
    // An index isomorphic-git cannot read (version 4, split index): compare without it (every
    // tracked file is hashed then), against a git dir that has the objects and no index.
    if (e instanceof PushPalsError || !/dircache|index/i.test(String((e as Error).message))) throw e;
    hasIndex = false;
    changes.length = 0;
    bytes = 0;
    await walk([TREE({ ref: commit }), WORKDIR({ refresh: false })], indexFreeGitdir);
  }
  return changes;
}
