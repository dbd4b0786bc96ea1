/**
 * The orchestrator's own copy (a bare "mirror" under `<dataDir>/repos/<id>`) of a repository on this
 * machine, and how it is brought up to date with the person's repository: their objects (regular
 * files only, new ones only, each copied under a temporary name and renamed so a reader never sees
 * half a file) and their branches and tags. Everything is read with isomorphic-git through
 * `readOnlyFs`: nothing of the source runs, nothing in it is written. Its config, hooks, info/
 * (attributes, excludes), alternates, worktrees and modules are never copied.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { readOnlyFs } from './read-only-fs';
import { redactUrl } from './sources';

/** What a sync saw: the source's current branch (undefined: detached HEAD) and its commit. */
export interface MirrorHead {
  branch: string | undefined;
  commit: string;
}

export interface SyncOutcome {
  head: MirrorHead;
  /** The branch tasks name when they say "the default": the source's current branch, else the previous default. */
  defaultBranch: string;
  rootCommits: string[];
  remotes: string[];
}

/** An empty bare repository with a minimal config of our own. */
export function initMirror(mirror: string): void {
  fs.mkdirSync(mirror, { recursive: true, mode: 0o700 });
  for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) fs.mkdirSync(path.join(mirror, d), { recursive: true });
  fs.writeFileSync(path.join(mirror, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
  fs.writeFileSync(path.join(mirror, 'HEAD'), 'ref: refs/heads/main\n');
}

/**
 * Refs are read with isomorphic-git, which follows symlinks: a ref that is a symlink would make the
 * host read whatever file it points at (and fail with a confusing "not an oid"). git never creates
 * one (except a legacy symlinked HEAD), so a symlink under refs/, as packed-refs or as HEAD is
 * refused as hostile or unsupported.
 */
export function assertNoSymlinkedRefs(gitdir: string): void {
  const refuse = (rel: string): never => {
    throw new PushPalsError('invalid_message', `hostile or unsupported repository: ${rel} is a symlinked ref (git never creates one); replace it with a regular ref file and register again`, { ref: rel });
  };
  for (const f of ['HEAD', 'packed-refs', 'refs', 'index']) {
    const st = fs.lstatSync(path.join(gitdir, f), { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) refuse(f);
  }
  const walk = (rel: string): void => {
    for (const ent of fs.readdirSync(path.join(gitdir, rel), { withFileTypes: true })) {
      const r = `${rel}/${ent.name}`;
      if (ent.isSymbolicLink()) refuse(r);
      if (ent.isDirectory()) walk(r);
    }
  };
  if (fs.existsSync(path.join(gitdir, 'refs'))) walk('refs');
}

/** The source's HEAD: its current branch (if any) and the commit it points at. */
export async function readSourceHead(gitdir: string): Promise<MirrorHead> {
  const branch = (await git.currentBranch({ fs: readOnlyFs, gitdir, fullname: false }).catch(() => undefined)) ?? undefined;
  const commit = await git.resolveRef({ fs: readOnlyFs, gitdir, ref: 'HEAD' }).catch(() => {
    throw new PushPalsError('invalid_message', `the repository has no commits yet${branch ? ` (branch ${branch} is unborn)` : ''}: commit something first`);
  });
  return { branch, commit };
}

/**
 * Copies the object files `src` has and `dst` lacks (or has at another size: a pack being written).
 * Packs before their `.idx`, so a reader that finds an index also finds its pack. Regular files only:
 * a symlink is skipped, never followed. `info/` (alternates, commit-graph) is never copied.
 */
export async function copyNewObjects(src: string, dst: string): Promise<number> {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const ent of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (r === 'info') continue;
      if (ent.isDirectory()) walk(r);
      else if (ent.isFile()) files.push(r);
    }
  };
  walk('');
  let copied = 0;
  const copyOne = async (rel: string): Promise<void> => {
    const to = path.join(dst, rel);
    const from = path.join(src, rel);
    const have = fs.statSync(to, { throwIfNoEntry: false });
    const want = fs.lstatSync(from, { throwIfNoEntry: false });
    if (!want?.isFile() || have?.size === want.size) return; // gone meanwhile (gc), or already here
    fs.mkdirSync(path.dirname(to), { recursive: true });
    const tmp = `${to}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await fs.promises.copyFile(from, tmp);
      fs.renameSync(tmp, to);
      copied++;
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // a loose object packed and pruned by gc meanwhile
    }
  };
  // Loose objects and packs first, their indexes after; a few copies at a time (many small files).
  for (const group of [files.filter((f) => !f.endsWith('.idx')), files.filter((f) => f.endsWith('.idx'))]) {
    for (let i = 0; i < group.length; i += 32) await Promise.all(group.slice(i, i + 32).map(copyOne));
  }
  return copied;
}

/** Makes `mirror`'s branches and tags exactly the source's (added, moved and deleted). */
async function mirrorRefs(gitdir: string, mirror: string): Promise<string[]> {
  const branches = await git.listBranches({ fs: readOnlyFs, gitdir });
  const tags = await git.listTags({ fs: readOnlyFs, gitdir });
  for (const [kind, names] of [['heads', branches], ['tags', tags]] as const) {
    for (const n of names) {
      const oid = await git.resolveRef({ fs: readOnlyFs, gitdir, ref: `refs/${kind}/${n}`, depth: 1 }).catch(() => undefined);
      if (oid && /^[0-9a-f]{40}$/.test(oid)) await git.writeRef({ fs, gitdir: mirror, ref: `refs/${kind}/${n}`, value: oid, force: true });
    }
    const ours = kind === 'heads' ? await git.listBranches({ fs, gitdir: mirror }) : await git.listTags({ fs, gitdir: mirror });
    for (const n of ours) if (!(names as string[]).includes(n)) await git.deleteRef({ fs, gitdir: mirror, ref: `refs/${kind}/${n}` });
  }
  return branches;
}

/** The root commit reached by first parents from `commit` (what a clone elsewhere shares); [] if history is cut (shallow). */
export async function rootCommitsOf(gitdir: string, commit: string, maxSteps = 1_000_000): Promise<string[]> {
  const cache = {};
  let oid = commit;
  try {
    for (let i = 0; i < maxSteps; i++) {
      const { commit: c } = await git.readCommit({ fs, gitdir, oid, cache });
      const parent = c.parent[0];
      if (!parent) return [oid];
      oid = parent;
    }
  } catch {
    // a shallow clone or a missing object: no root to report
  }
  return [];
}

/** The remote URLs in a repository's config (read as data), credentials shown as `***`. */
export async function remoteUrlsOf(gitdir: string): Promise<string[]> {
  const remotes = await git.listRemotes({ fs: readOnlyFs, gitdir }).catch(() => []);
  return [...new Set(remotes.map((r) => redactUrl(r.url)).filter((u) => u.length > 0 && u.length <= 4096))].slice(0, 32);
}

/**
 * Brings `mirror` up to date with the repository whose git dir is `gitdir`: new objects, its
 * branches and tags, HEAD at its current branch. `known` saves recomputing the root commits.
 */
export async function syncFromLocal(gitdir: string, mirror: string, known: { rootCommits: string[]; defaultBranch?: string } = { rootCommits: [] }): Promise<SyncOutcome> {
  if (fs.existsSync(path.join(gitdir, 'objects', 'info', 'alternates'))) {
    throw new PushPalsError('invalid_message', `the repository uses objects/info/alternates (a shared or --reference clone); clone it normally first`);
  }
  assertNoSymlinkedRefs(gitdir);
  const head = await readSourceHead(gitdir);
  await copyNewObjects(path.join(gitdir, 'objects'), path.join(mirror, 'objects'));
  const branches = await mirrorRefs(gitdir, mirror);
  const defaultBranch =
    head.branch && branches.includes(head.branch) ? head.branch : known.defaultBranch && branches.includes(known.defaultBranch) ? known.defaultBranch : (['main', 'master'].find((b) => branches.includes(b)) ?? branches[0]);
  if (!defaultBranch) throw new PushPalsError('invalid_message', 'the repository has no branches (empty repository?)');
  await git.writeRef({ fs, gitdir: mirror, ref: 'HEAD', value: `refs/heads/${defaultBranch}`, symbolic: true, force: true });
  await git.readCommit({ fs, gitdir: mirror, oid: head.commit }).catch((err: Error) => {
    throw new PushPalsError('invalid_message', `the repository's HEAD commit ${head.commit} cannot be read (${err.message})`);
  });
  return {
    head,
    defaultBranch,
    rootCommits: known.rootCommits.length ? known.rootCommits : await rootCommitsOf(mirror, head.commit),
    remotes: await remoteUrlsOf(gitdir),
  };
}
