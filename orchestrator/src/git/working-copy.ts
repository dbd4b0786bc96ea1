/**
 * HOW a task's working copy is materialised (WHAT its base is comes from the caller): a `.git` of its
 * own whose object store is SHARED with the orchestrator's clone through git alternates, then a
 * checkout. Nothing of the repository is copied: a copy costs its checked-out files and the objects
 * the task itself writes (commits in the sandbox go to the copy's own `.git/objects`).
 *
 * The alternates entry is RELATIVE (`../../../.objects/<repoId>`), so both views resolve it:
 * - host:    `<workspacesDir>/<task>/.git/objects` + `../../..` = `<workspacesDir>`, where
 *            `.objects/<repoId>` is a symlink to the clone's `objects/` (the person's own `git status`
 *            and the orchestrator's tools see the objects there);
 * - sandbox: `/workspace/.git/objects` + `../../..` = `/`, where the sandbox manager bind-mounts the
 *            clone's `objects/` READ-ONLY at `/.objects/<repoId>` (objects only: never the clone's
 *            config or hooks). A write into the shared store fails in the sandbox.
 * A working copy must therefore live directly in `<workspacesDir>` (it does: `<workspacesDir>/<task>`).
 * The clone must never be gc'ed or repacked while copies use it (nothing here does either).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Name of the directory (under workspacesDir on the host, under / in the sandbox) that holds each repo's shared objects. */
export const SHARED_OBJECTS_DIR = '.objects';

/** Where the sandbox sees a repo's shared objects (read-only). */
export function objectsContainerPath(repoId: string): string {
  return `/${SHARED_OBJECTS_DIR}/${repoId}`;
}

/** The line in a working copy's `.git/objects/info/alternates` (relative to `.git/objects`). */
export function alternatesEntry(repoId: string): string {
  return `../../../${SHARED_OBJECTS_DIR}/${repoId}`;
}

/**
 * Makes `<workspacesDir>/.objects/<repoId>` point at the clone's objects (a relative symlink), so that
 * the alternates entry resolves on the host. Idempotent.
 */
export function ensureSharedObjectsLink(workspacesDir: string, repoId: string, mirrorObjects: string): string {
  const dir = path.join(workspacesDir, SHARED_OBJECTS_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const link = path.join(dir, repoId);
  const target = path.relative(dir, mirrorObjects);
  const now = fs.lstatSync(link, { throwIfNoEntry: false });
  if (now?.isSymbolicLink() && fs.readlinkSync(link) === target) return link;
  if (now) fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(target, link);
  return link;
}

export interface SkeletonInput {
  /** The working copy, `<workspacesDir>/<task>` (exists, empty). */
  dir: string;
  repoId: string;
  /** The task's branch, checked out (HEAD points at it). */
  branch: string;
  /** Its commit. */
  baseCommit: string;
  /** The branch it was made from: also written as `refs/remotes/origin/<from>` (undefined: a detached HEAD, none). */
  fromBranch: string | undefined;
}

/**
 * Writes the working copy's `.git`: HEAD on the task branch, a minimal config of ours, the refs, and
 * the alternates entry. No index and no files yet: the checkout makes them. Returns every path
 * written (the caller gives them to the sandbox's uid).
 */
export function writeSkeleton(s: SkeletonInput): string[] {
  const gitdir = path.join(s.dir, '.git');
  const written: string[] = [];
  const mk = (rel: string): void => {
    let p = gitdir;
    for (const part of rel ? rel.split('/') : []) p = path.join(p, part);
    if (!fs.existsSync(p)) {
      fs.mkdirSync(p, { recursive: true, mode: 0o755 });
    }
    written.push(p);
  };
  const put = (rel: string, text: string): void => {
    const p = path.join(gitdir, ...rel.split('/'));
    fs.writeFileSync(p, text, { mode: 0o644 });
    written.push(p);
  };
  mk('');
  mk('objects');
  mk('objects/info');
  mk('objects/pack');
  mk('refs');
  mk('refs/heads');
  mk('refs/tags');
  mk('refs/remotes');
  mk('refs/remotes/origin');
  const branchDirs = path.posix.dirname(s.branch);
  let acc = 'refs/heads';
  for (const part of branchDirs === '.' ? [] : branchDirs.split('/')) mk((acc = `${acc}/${part}`));
  acc = 'refs/remotes/origin';
  const fromDirs = s.fromBranch === undefined ? '.' : path.posix.dirname(s.fromBranch);
  for (const part of fromDirs === '.' ? [] : fromDirs.split('/')) mk((acc = `${acc}/${part}`));
  put('config', '[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfilemode = true\n\tlogallrefupdates = true\n');
  put('HEAD', `ref: refs/heads/${s.branch}\n`);
  put(`refs/heads/${s.branch}`, `${s.baseCommit}\n`);
  if (s.fromBranch !== undefined) put(`refs/remotes/origin/${s.fromBranch}`, `${s.baseCommit}\n`);
  put('objects/info/alternates', `${alternatesEntry(s.repoId)}\n`);
  return written;
}

/**
 * The checkout inside the sandbox (real git: ~10x faster than isomorphic-git on 10,000 files), run in
 * /workspace as the sandbox user right after writeSkeleton. Hooks and fsmonitor are off for it
 * (the skeleton has none; this keeps it so whatever the image's config says).
 */
export const SANDBOX_CHECKOUT_COMMAND = 'git -c core.hooksPath=/dev/null -c core.fsmonitor=false -c checkout.workers=0 reset -q --hard HEAD';

type FsPromises = typeof fs.promises;

/**
 * An `fs` for isomorphic-git (which has no alternates support) on a working copy: reads under
 * `<gitdir>/objects/` fall back to the shared store when the copy does not have the file, and a
 * directory listing there is the union of both. Writes go to the copy only.
 */
export function sharedObjectsFs(gitdir: string, sharedObjects: string): { promises: FsPromises } {
  const own = path.join(gitdir, 'objects') + path.sep;
  const shared = (p: string): string | undefined => (typeof p === 'string' && p.startsWith(own) ? path.join(sharedObjects, p.slice(own.length)) : undefined);
  const missing = (e: unknown): boolean => (e as { code?: string }).code === 'ENOENT';
  const p = fs.promises;
  const fallback =
    <A extends unknown[], R>(f: (file: string, ...rest: A) => Promise<R>) =>
    async (file: string, ...rest: A): Promise<R> => {
      try {
        return await f(file, ...rest);
      } catch (e) {
        const alt = shared(file);
        if (!alt || !missing(e)) throw e;
        return f(alt, ...rest);
      }
    };
  const readdir = async (dir: string): Promise<string[]> => {
    const alt = shared(dir + path.sep) ?? (dir === own.slice(0, -1) ? sharedObjects : undefined);
    const mine = await p.readdir(dir).catch((e: unknown) => {
      if (alt && missing(e)) return [] as string[];
      throw e;
    });
    if (!alt) return mine;
    const theirs = await p.readdir(alt).catch(() => [] as string[]);
    return [...new Set([...mine, ...theirs])];
  };
  const promises = {
    ...p,
    readFile: fallback(p.readFile as (file: string, ...rest: unknown[]) => Promise<Buffer | string>),
    stat: fallback(p.stat as (file: string, ...rest: unknown[]) => Promise<fs.Stats>),
    lstat: fallback(p.lstat as (file: string, ...rest: unknown[]) => Promise<fs.Stats>),
    readdir,
  } as unknown as FsPromises;
  return { promises };
}

/** The branch a warm-pool slot is checked out on before a task takes it (then retargeted). */
export const POOL_BRANCH = 'pushpals/pool';

/**
 * A warm-pool slot was checked out ahead (writeSkeleton on POOL_BRANCH + the sandbox checkout); the
 * task takes it over: HEAD moves to the task's branch at `baseCommit`, the pool branch and its
 * reflog go. The files and the index still hold the slot's commit: when it differs from
 * `baseCommit`, the caller runs SANDBOX_CHECKOUT_COMMAND, which then rewrites only what changed.
 */
export function retargetSkeleton(s: Omit<SkeletonInput, 'repoId'>): string[] {
  const gitdir = path.join(s.dir, '.git');
  const written: string[] = [];
  const put = (rel: string, text: string): void => {
    const p = path.join(gitdir, ...rel.split('/'));
    const made = fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
    // Directories made here (a branch name with slashes) go to the sandbox's uid too.
    for (let d = path.dirname(p); made && d.length >= made.length; d = path.dirname(d)) written.push(d);
    fs.writeFileSync(p, text, { mode: 0o644 });
    written.push(p);
  };
  put(`refs/heads/${s.branch}`, `${s.baseCommit}\n`);
  // The slot's remote-tracking ref names the default branch: a base from another branch replaces it.
  const origin = path.join(gitdir, 'refs', 'remotes', 'origin');
  for (const n of fs.existsSync(origin) ? fs.readdirSync(origin) : []) fs.rmSync(path.join(origin, n), { recursive: true, force: true });
  if (s.fromBranch !== undefined) put(`refs/remotes/origin/${s.fromBranch}`, `${s.baseCommit}\n`);
  put('HEAD', `ref: refs/heads/${s.branch}\n`);
  fs.rmSync(path.join(gitdir, 'refs', 'heads', ...POOL_BRANCH.split('/')), { force: true });
  fs.rmSync(path.join(gitdir, 'logs'), { recursive: true, force: true });
  return written;
}
