/**
 * A plan's combined result as one reviewable diff: every file that differs between the plan's base
 * commit and the head of `pushpals/plan/<task>/main`, read from the orchestrator's own clone with
 * isomorphic-git (plain object reads: nothing of the repository runs). Unchanged subtrees are skipped
 * by their tree ids, so the cost follows the size of the change, not of the repository. Blobs stay
 * bytes (review/blob-diff.ts): a binary file is a whole-file change, never text hunks; a file deleted
 * in one place and added with the same blob elsewhere is a rename.
 */
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { EventPayload } from '@pushpals/protocol';
import { blobDiffPayload, type BlobChange, type BlobSide } from '../review/blob-diff';

interface Entry {
  oid: string;
  type: string;
  mode: string;
}

interface Changed {
  path: string;
  /** A rename's path in the base (`a` is the blob there). */
  oldPath?: string;
  a?: Entry;
  b?: Entry;
}

async function treeEntries(gitdir: string, oid: string | undefined): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  if (!oid) return out;
  const { tree } = await git.readTree({ fs, gitdir, oid });
  for (const e of tree) out.set(e.path, { oid: e.oid, type: e.type, mode: e.mode });
  return out;
}

/** The regular files and symlinks (blobs) that differ between two trees, in content or mode (undefined: an empty side). */
async function changedBlobs(gitdir: string, a: string | undefined, b: string | undefined, prefix: string): Promise<Changed[]> {
  const [ea, eb] = await Promise.all([treeEntries(gitdir, a), treeEntries(gitdir, b)]);
  const out: Changed[] = [];
  for (const name of new Set([...ea.keys(), ...eb.keys()])) {
    const x = ea.get(name);
    const y = eb.get(name);
    if (x?.oid === y?.oid && x?.mode === y?.mode) continue;
    const path = `${prefix}${name}`;
    if (x?.type === 'tree' || y?.type === 'tree') {
      out.push(...(await changedBlobs(gitdir, x?.type === 'tree' ? x.oid : undefined, y?.type === 'tree' ? y.oid : undefined, `${path}/`)));
    }
    const blobA = x?.type === 'blob' ? x : undefined;
    const blobB = y?.type === 'blob' ? y : undefined;
    if (blobA?.oid !== blobB?.oid || blobA?.mode !== blobB?.mode) out.push({ path, ...(blobA ? { a: blobA } : {}), ...(blobB ? { b: blobB } : {}) });
  }
  return out;
}

const side = async (gitdir: string, e: Entry | undefined): Promise<BlobSide | undefined> =>
  e === undefined ? undefined : { oid: e.oid, mode: e.mode, bytes: (await git.readBlob({ fs, gitdir, oid: e.oid })).blob };

/** Deleted and added paths with the same blob become renames (git's exact renames), each deletion used once. */
function pairRenames(changed: Changed[]): Changed[] {
  const deleted = new Map<string, Changed[]>();
  for (const c of changed) if (c.a && !c.b) deleted.set(c.a.oid, [...(deleted.get(c.a.oid) ?? []), c]);
  const renamedFrom = new Map<Changed, Changed>();
  for (const c of changed) {
    if (c.a || !c.b) continue;
    const from = deleted.get(c.b.oid)?.shift();
    if (from) renamedFrom.set(c, from);
  }
  const used = new Set(renamedFrom.values());
  return changed.filter((c) => !used.has(c)).map((c) => {
    const from = renamedFrom.get(c);
    return from ? { ...c, oldPath: from.path, ...(from.a ? { a: from.a } : {}) } : c;
  });
}

/** The `diff_ready` payload (with `baseCommit`) of base → head, or undefined when the trees are equal. */
export async function combinedDiff(gitdir: string, taskId: string, base: string, head: string): Promise<EventPayload<'diff_ready'> | undefined> {
  if (base === head) return undefined;
  const [{ commit: cb }, { commit: ch }] = await Promise.all([git.readCommit({ fs, gitdir, oid: base }), git.readCommit({ fs, gitdir, oid: head })]);
  const paired = pairRenames(await changedBlobs(gitdir, cb.tree, ch.tree, ''));
  const changes: BlobChange[] = await Promise.all(
    paired.map(async (c) => {
      const [before, after] = await Promise.all([side(gitdir, c.a), side(gitdir, c.b)]);
      return { path: c.path, ...(c.oldPath ? { oldPath: c.oldPath } : {}), ...(before ? { before } : {}), ...(after ? { after } : {}) };
    }),
  );
  const payload = blobDiffPayload(taskId, changes);
  return payload && { ...payload, baseCommit: base };
}
