/**
 * A plan's combined result as one reviewable diff: every file that differs between the plan's base
 * commit and the head of `pushpals/plan/<task>/main`, read from the orchestrator's own clone with
 * isomorphic-git (plain object reads: nothing of the repository runs). Unchanged subtrees are skipped
 * by their tree ids, so the cost follows the size of the change, not of the repository.
 */
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import type { EventPayload } from '@pushpals/protocol';
import { diffPayload, type FileChange } from '../agents/builtin/changes';

interface Entry {
  oid: string;
  type: string;
}

async function treeEntries(gitdir: string, oid: string | undefined): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  if (!oid) return out;
  const { tree } = await git.readTree({ fs, gitdir, oid });
  for (const e of tree) out.set(e.path, { oid: e.oid, type: e.type });
  return out;
}

/** Paths of the regular files (blobs) that differ between two trees (undefined: an empty side). */
async function changedBlobs(gitdir: string, a: string | undefined, b: string | undefined, prefix: string): Promise<Array<{ path: string; a?: string; b?: string }>> {
  const [ea, eb] = await Promise.all([treeEntries(gitdir, a), treeEntries(gitdir, b)]);
  const out: Array<{ path: string; a?: string; b?: string }> = [];
  for (const name of new Set([...ea.keys(), ...eb.keys()])) {
    const x = ea.get(name);
    const y = eb.get(name);
    if (x?.oid === y?.oid) continue;
    const path = `${prefix}${name}`;
    if (x?.type === 'tree' || y?.type === 'tree') {
      out.push(...(await changedBlobs(gitdir, x?.type === 'tree' ? x.oid : undefined, y?.type === 'tree' ? y.oid : undefined, `${path}/`)));
    }
    const blobA = x?.type === 'blob' ? x.oid : undefined;
    const blobB = y?.type === 'blob' ? y.oid : undefined;
    if (blobA !== blobB) out.push({ path, ...(blobA ? { a: blobA } : {}), ...(blobB ? { b: blobB } : {}) });
  }
  return out;
}

const text = async (gitdir: string, oid: string | undefined): Promise<string | undefined> =>
  oid === undefined ? undefined : Buffer.from((await git.readBlob({ fs, gitdir, oid })).blob).toString('utf8');

/** The `diff_ready` payload (with `baseCommit`) of base → head, or undefined when the trees are equal. */
export async function combinedDiff(gitdir: string, taskId: string, base: string, head: string): Promise<EventPayload<'diff_ready'> | undefined> {
  if (base === head) return undefined;
  const [{ commit: cb }, { commit: ch }] = await Promise.all([git.readCommit({ fs, gitdir, oid: base }), git.readCommit({ fs, gitdir, oid: head })]);
  const changed = await changedBlobs(gitdir, cb.tree, ch.tree, '');
  const files: FileChange[] = await Promise.all(changed.map(async (c) => ({ path: c.path, before: await text(gitdir, c.a), after: await text(gitdir, c.b) })));
  const payload = diffPayload(taskId, files);
  return payload && { ...payload, baseCommit: base };
}
