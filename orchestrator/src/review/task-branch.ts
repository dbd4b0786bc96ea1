/**
 * The task branch `pushpals/<task>` in the orchestrator's OWN clone of the repository (the mirror, never
 * agent-written): it starts at the commit the task's working copy was made from, and the commit of the
 * accepted hunks lands on it. Everything is isomorphic-git on the host — plain object and ref I/O, no
 * hook, filter or config of any repository runs (git/README.md). Nothing here touches a default branch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { blobEntry, type FileWrite } from '../git/file-write';

export const taskBranch = (taskId: string): string => `pushpals/${taskId}`;
/** The author and committer of what PushPals commits on a task branch. */
export const PUSHPALS_AUTHOR = { name: 'PushPals', email: 'pushpals@localhost' };
const branchRef = (taskId: string): string => `refs/heads/${taskBranch(taskId)}`;

/** Creates the task branch at `base` unless it exists (a re-run keeps it). */
export async function startTaskBranch(mirror: string, taskId: string, base: string): Promise<void> {
  if (await branchHead(mirror, taskId)) return;
  await git.writeRef({ fs, gitdir: mirror, ref: branchRef(taskId), value: base });
}

/** The task branch's commit, or undefined when it does not exist. */
export async function branchHead(mirror: string, taskId: string): Promise<string | undefined> {
  return git.resolveRef({ fs, gitdir: mirror, ref: branchRef(taskId) }).catch(() => undefined);
}

interface Entry {
  mode: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

async function readTreeEntries(mirror: string, oid: string | undefined): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  if (!oid) return out;
  const { tree } = await git.readTree({ fs, gitdir: mirror, oid });
  for (const e of tree) out.set(e.path, { mode: e.mode, oid: e.oid, type: e.type });
  return out;
}

/** A file's content at `commit` (UTF-8), or null when it does not exist there (or is not a regular file). */
export async function readFileAt(mirror: string, commit: string, filepath: string): Promise<string | null> {
  try {
    const { blob } = await git.readBlob({ fs, gitdir: mirror, oid: commit, filepath });
    return Buffer.from(blob).toString('utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'NotFoundError') return null;
    throw e;
  }
}

/** A blob's bytes by its id (not_found when the clone does not hold it). */
export async function readBlobBytes(mirror: string, oid: string): Promise<Uint8Array> {
  try {
    return (await git.readBlob({ fs, gitdir: mirror, oid })).blob;
  } catch {
    throw new PushPalsError('not_found', `blob ${oid.slice(0, 12)} is not in the orchestrator's clone`, { oid });
  }
}

/**
 * Writes the tree of `parentTree` with `changes` applied (path → new content, null = delete) and
 * returns its oid. Modes: see blobEntry (an executable stays executable unless the change says a mode).
 */
async function writeChangedTree(mirror: string, parentTree: string | undefined, changes: ReadonlyMap<string, FileWrite | null>): Promise<string | undefined> {
  const entries = await readTreeEntries(mirror, parentTree);
  const here = new Map<string, FileWrite | null>();
  const below = new Map<string, Map<string, FileWrite | null>>();
  for (const [p, content] of changes) {
    const slash = p.indexOf('/');
    if (slash < 0) here.set(p, content);
    else {
      const dir = p.slice(0, slash);
      if (!below.has(dir)) below.set(dir, new Map());
      below.get(dir)!.set(p.slice(slash + 1), content);
    }
  }
  for (const [name, content] of here) {
    if (content === null) {
      entries.delete(name);
      continue;
    }
    const old = entries.get(name);
    if (old && old.type !== 'blob') throw new PushPalsError('conflict', `cannot write the file ${name}: it is a ${old.type} in the base`);
    entries.set(name, { ...(await blobEntry(mirror, content, old?.mode)), type: 'blob' });
  }
  for (const [dir, sub] of below) {
    const old = entries.get(dir);
    if (old && old.type !== 'tree') throw new PushPalsError('conflict', `cannot write below ${dir}: it is a ${old.type} in the base`);
    const oid = await writeChangedTree(mirror, old?.oid, sub);
    if (oid) entries.set(dir, { mode: '040000', oid, type: 'tree' });
    else entries.delete(dir);
  }
  if (entries.size === 0) return undefined; // git has no empty trees below the root
  return git.writeTree({ fs, gitdir: mirror, tree: [...entries].map(([p, e]) => ({ path: p, ...e })) });
}

export interface CommitInput {
  parent: string;
  changes: ReadonlyMap<string, FileWrite | null>;
  message: string;
  author: { name: string; email: string };
  /** Seconds since the epoch. */
  timestamp: number;
}

/** Writes the commit's objects (blobs, trees, commit) into the mirror; moves no ref. Returns its sha. */
export async function writeCommitObjects(mirror: string, c: CommitInput): Promise<string> {
  for (const p of c.changes.keys()) {
    if (!p || p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..' || s.toLowerCase() === '.git')) {
      throw new PushPalsError('invalid_message', `refusing to commit the path ${JSON.stringify(p)}`);
    }
  }
  const { commit: parent } = await git.readCommit({ fs, gitdir: mirror, oid: c.parent });
  const tree = (await writeChangedTree(mirror, parent.tree, c.changes)) ?? (await git.writeTree({ fs, gitdir: mirror, tree: [] }));
  const who = { name: c.author.name, email: c.author.email, timestamp: c.timestamp, timezoneOffset: 0 };
  return git.writeCommit({ fs, gitdir: mirror, commit: { message: c.message.endsWith('\n') ? c.message : `${c.message}\n`, tree, parent: [c.parent], author: who, committer: who } });
}

/** Moves the task branch from `expected` to `sha`; refuses (conflict) when it moved meanwhile. */
export async function advanceTaskBranch(mirror: string, taskId: string, expected: string, sha: string): Promise<void> {
  const now = await branchHead(mirror, taskId);
  if (now !== undefined && now !== expected) throw new PushPalsError('conflict', `${taskBranch(taskId)} moved from ${expected.slice(0, 8)} to ${now.slice(0, 8)} meanwhile: not committed`);
  await git.writeRef({ fs, gitdir: mirror, ref: branchRef(taskId), value: sha, force: true });
}

/**
 * Writes the files of `commit` into the empty directory `dir` (no .git). Symlinks are written as
 * symlinks — test suites rely on them (commander.js's fixtures do) — and the host never follows
 * them: nothing here writes through a path it created as a link (tree entry names are unique and
 * have no `/`), and the tree is chowned with lchown and removed without following links.
 */
export async function materialiseCommit(mirror: string, commit: string, dir: string): Promise<number> {
  let files = 0;
  const walk = async (treeOid: string, rel: string): Promise<void> => {
    const { tree } = await git.readTree({ fs, gitdir: mirror, oid: treeOid });
    for (const e of tree) {
      if (e.path === '.git' || e.path.includes('/') || e.path === '..' || e.path === '.') continue;
      const target = path.join(dir, rel, e.path);
      if (e.type === 'tree') {
        fs.mkdirSync(target, { recursive: true });
        await walk(e.oid, path.join(rel, e.path));
      } else if (e.type === 'blob') {
        const { blob } = await git.readBlob({ fs, gitdir: mirror, oid: e.oid });
        if (e.mode === '120000') fs.symlinkSync(Buffer.from(blob).toString('utf8'), target);
        else fs.writeFileSync(target, blob, { mode: e.mode === '100755' ? 0o755 : 0o644, flag: 'wx' });
        files++;
      }
    }
  };
  const { commit: c } = await git.readCommit({ fs, gitdir: mirror, oid: commit });
  fs.mkdirSync(dir, { recursive: true });
  await walk(c.tree, '');
  return files;
}

/**
 * Copies the objects reachable from `sha` that `targetGitdir` lacks into it (as loose objects); returns
 * how many. Reads and writes objects as data: nothing of either repository runs.
 */
export async function copyObjectsInto(mirror: string, sha: string, targetGitdir: string): Promise<number> {
  const has = async (oid: string) => git.readObject({ fs, gitdir: targetGitdir, oid, format: 'deflated' }).then(() => true, () => false);
  let copied = 0;
  const seen = new Set<string>();
  const copy = async (oid: string): Promise<void> => {
    if (seen.has(oid)) return;
    seen.add(oid);
    if (await has(oid)) return; // present: so is everything it reaches (git's connectivity rule)
    const obj = await git.readObject({ fs, gitdir: mirror, oid, format: 'content' });
    if (obj.type === 'commit') {
      const { commit } = await git.readCommit({ fs, gitdir: mirror, oid });
      await copy(commit.tree);
      for (const p of commit.parent) await copy(p);
    } else if (obj.type === 'tree') {
      const { tree } = await git.readTree({ fs, gitdir: mirror, oid });
      for (const e of tree) if (e.type !== 'commit') await copy(e.oid);
    }
    await git.writeObject({ fs, gitdir: targetGitdir, type: obj.type as 'blob' | 'tree' | 'commit' | 'tag', object: obj.object as Uint8Array, format: 'content', oid });
    copied++;
  };
  await copy(sha);
  return copied;
}

/**
 * Copies the objects reachable from `sha` that `targetGitdir` lacks (copyObjectsInto) and points
 * `refs/heads/<branch>` there at `sha`. Refuses to move a branch that exists at another commit unless
 * it is an ancestor (fast-forward).
 */
export async function fetchBranchInto(mirror: string, sha: string, targetGitdir: string, branch: string): Promise<number> {
  const copied = await copyObjectsInto(mirror, sha, targetGitdir);
  const ref = `refs/heads/${branch}`;
  const current = await git.resolveRef({ fs, gitdir: targetGitdir, ref }).catch(() => undefined);
  if (current && current !== sha && !(await git.isDescendent({ fs, gitdir: targetGitdir, oid: sha, ancestor: current, depth: -1 }).catch(() => false))) {
    throw new PushPalsError('conflict', `${branch} already exists in ${targetGitdir} at ${current.slice(0, 8)}, which is not an ancestor of ${sha.slice(0, 8)}: delete or rename it first`, { branch, current });
  }
  await git.writeRef({ fs, gitdir: targetGitdir, ref, value: sha, force: true });
  return copied;
}
