/**
 * Commits and merges in the orchestrator's own bare clone (`<dataDir>/repos/<id>`), with
 * isomorphic-git only: a ticket's result becomes a commit on its branch, a ticket that depends on
 * others starts from the merge of their results, and a plan's tickets are merged into its
 * integration branch. Nothing here reads an agent-written `.git`: file contents come in as data.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import git, { Errors, type TreeEntry } from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { blobEntry, type FileWrite } from './file-write';

/** Who PushPals' own commits are by (the person's identity is used only for commits they approve). */
export const PUSHPALS_AUTHOR = { name: 'PushPals', email: 'pushpals@localhost', timestamp: 0, timezoneOffset: 0 };

const author = () => ({ ...PUSHPALS_AUTHOR, timestamp: Math.floor(Date.now() / 1000) });

/** A file's new content (text, or a blob the clone holds, with its mode), or undefined: the file is deleted. */
export type FileChanges = ReadonlyMap<string, FileWrite | undefined>;

/** Writes `tree` with `changes` applied (paths relative to it); undefined when the result is empty. */
async function editTree(gitdir: string, treeOid: string | undefined, changes: FileChanges): Promise<string | undefined> {
  const entries: TreeEntry[] = treeOid ? (await git.readTree({ fs, gitdir, oid: treeOid })).tree : [];
  const byName = new Map(entries.map((e) => [e.path, e]));
  const subdirs = new Map<string, Map<string, FileWrite | undefined>>();
  for (const [rel, content] of changes) {
    const slash = rel.indexOf('/');
    if (slash >= 0) {
      const dir = rel.slice(0, slash);
      let sub = subdirs.get(dir);
      if (!sub) subdirs.set(dir, (sub = new Map()));
      sub.set(rel.slice(slash + 1), content);
      continue;
    }
    if (content === undefined) {
      byName.delete(rel);
      continue;
    }
    const prev = byName.get(rel);
    byName.set(rel, { ...(await blobEntry(gitdir, content, prev?.type === 'blob' ? prev.mode : undefined)), path: rel, type: 'blob' });
  }
  for (const [dir, sub] of subdirs) {
    const prev = byName.get(dir);
    const oid = await editTree(gitdir, prev?.type === 'tree' ? prev.oid : undefined, sub);
    if (oid === undefined) byName.delete(dir);
    else byName.set(dir, { mode: '040000', path: dir, oid, type: 'tree' });
  }
  if (byName.size === 0) return undefined;
  return git.writeTree({ fs, gitdir, tree: [...byName.values()] });
}

/** A commit with `changes` on top of `base`, set as `ref` (created or moved). Returns its oid. */
export async function commitChanges(gitdir: string, o: { base: string; changes: FileChanges; ref: string; message: string }): Promise<string> {
  const { tree: baseTree } = await git.readCommit({ fs, gitdir, oid: o.base }).then((c) => c.commit);
  const tree = (await editTree(gitdir, baseTree, o.changes)) ?? (await git.writeTree({ fs, gitdir, tree: [] }));
  const oid = await git.commit({ fs, gitdir, message: o.message, author: author(), committer: author(), tree, parent: [o.base], noUpdateBranch: true });
  await git.writeRef({ fs, gitdir, ref: o.ref, value: oid, force: true });
  return oid;
}

/** Points `ref` at `oid` (created or moved). */
export async function setRef(gitdir: string, ref: string, oid: string): Promise<void> {
  await git.writeRef({ fs, gitdir, ref, value: oid, force: true });
}

/**
 * Applies the change a commit made (its diff against its first parent) on top of `head`, as a new
 * commit whose only parent is `head` — a cherry-pick, so stacked results stay a straight line and
 * never meet in a criss-cross merge. When `head` already is that parent, the commit itself is the
 * result. Done as a 3-way merge against the commit's parent (isomorphic-git's merge, on a temporary
 * ref: no HEAD, no work tree). A conflict changes nothing and is a `conflict` error naming the files.
 */
export async function applyCommit(gitdir: string, head: string, oid: string, message: string): Promise<string> {
  const { commit } = await git.readCommit({ fs, gitdir, oid });
  const parent = commit.parent[0];
  if (parent === head) return oid;
  if (parent === undefined) throw new PushPalsError('internal', `commit ${oid} has no parent to take its change from`);
  const { commit: onto } = await git.readCommit({ fs, gitdir, oid: head });
  // `head`'s tree as a child of the commit's parent: the merge base is then exactly that parent.
  const fake = await git.commit({ fs, gitdir, message: 'pushpals: apply', tree: onto.tree, parent: [parent], author: author(), committer: author(), noUpdateBranch: true });
  const tmp = `refs/pushpals-tmp/${randomBytes(8).toString('hex')}`;
  await git.writeRef({ fs, gitdir, ref: tmp, value: fake, force: true });
  let tree: string;
  try {
    const r = await git.merge({ fs, gitdir, ours: tmp, theirs: oid, fastForward: false, noUpdateBranch: true, abortOnConflict: true, message: 'pushpals: apply', author: author(), committer: author() });
    if (!r.oid) throw new PushPalsError('internal', `applying ${oid} gave no commit`);
    tree = (await git.readCommit({ fs, gitdir, oid: r.oid })).commit.tree;
  } catch (e) {
    if (e instanceof Errors.MergeConflictError || e instanceof Errors.MergeNotSupportedError) {
      const files = e instanceof Errors.MergeConflictError ? e.data.filepaths : [];
      throw new PushPalsError('conflict', files.length ? `both changed ${files.slice(0, 20).join(', ')}` : e.message, { files, commit: oid });
    }
    throw e;
  } finally {
    await git.deleteRef({ fs, gitdir, ref: tmp }).catch(() => undefined);
  }
  return git.commit({ fs, gitdir, message, tree, parent: [head], author: author(), committer: author(), noUpdateBranch: true });
}

/** The commit a ref points at, or undefined when it does not exist. */
export async function resolveOptional(gitdir: string, ref: string): Promise<string | undefined> {
  return git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
}

/** A file's content at a commit, or undefined (tests and summaries read results with it). */
export async function readFileAt(gitdir: string, oid: string, filepath: string): Promise<string | undefined> {
  try {
    const { blob } = await git.readBlob({ fs, gitdir, oid, filepath });
    return Buffer.from(blob).toString('utf8');
  } catch {
    return undefined;
  }
}
