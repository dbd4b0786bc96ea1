/**
 * The ticket's changes for `diff_ready`. OpenHands changes the working copy from inside its container
 * (editor and shell alike), so the changes are read by git INSIDE that container — never host git on a
 * working copy a sandbox has written (its config and hooks are the agent's) — with fsmonitor, hooks,
 * external diff drivers and textconv off: every change staged into a throwaway index (untracked files
 * too, the working copy's own index untouched), then git's raw diff against HEAD with renames found.
 * The new content of each changed file comes out as its blob, checked against its git id on the host
 * and written into the orchestrator's clone; the diff is then built there like a plan's (blob-diff.ts):
 * text as hunks, binary files, renames, mode changes and empty files as whole-file changes.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { MAX_PATCH_LENGTH, type EventPayload } from '@pushpals/protocol';
import { PushPalsError } from '../../errors';
import { blobDiffPayload, type BlobChange, type BlobSide } from '../../review/blob-diff';

const G = 'g() { git -c core.fsmonitor=false -c core.hooksPath=/dev/null -c diff.external= -c core.pager=cat -c core.quotePath=false "$@"; }';

export const CHANGES_SCRIPT = [
  G,
  'GIT_INDEX_FILE=$(mktemp) || exit 3',
  'export GIT_INDEX_FILE',
  'trap \'rm -f "$GIT_INDEX_FILE"\' EXIT',
  'g read-tree HEAD && g add -A -- . && g diff --cached --raw -z -M --no-abbrev --no-ext-diff --no-textconv HEAD -- || exit 3',
].join('\n');

/** A new file larger than this is left out of the diff (said in a warning): it would not fit an event. */
export const MAX_BLOB_BYTES = 4 * 1024 * 1024;
const blobScript = (oid: string): string => `${G}\ns=$(g cat-file -s ${oid}) || exit 3\n[ "$s" -le ${MAX_BLOB_BYTES} ] || exit 4\ng cat-file blob ${oid} | base64 -w0`;

export interface RawChange {
  status: string;
  oldMode: string;
  newMode: string;
  oldOid: string;
  newOid: string;
  path: string;
  oldPath?: string;
}

const ZERO = /^0{40}$/;

/** `git diff --raw -z` records: ":<old mode> <new mode> <old id> <new id> <status>\0<path>\0" (renames: two paths). */
export function parseRawDiff(out: string): RawChange[] {
  const parts = out.split('\0');
  const records: RawChange[] = [];
  for (let i = 0; i < parts.length - 1; ) {
    const m = /^:(\d{6}) (\d{6}) ([0-9a-f]{40}) ([0-9a-f]{40}) ([A-Z])\d*$/.exec(parts[i++] ?? '');
    if (!m) throw new PushPalsError('internal', `git's raw diff has an unexpected record: ${JSON.stringify(parts[i - 1]?.slice(0, 200))}`);
    const [, oldMode, newMode, oldOid, newOid, status] = m as unknown as [string, string, string, string, string, string];
    const first = parts[i++] ?? '';
    if (status === 'R' || status === 'C') records.push({ status, oldMode, newMode, oldOid, newOid, oldPath: first, path: parts[i++] ?? '' });
    else records.push({ status, oldMode, newMode, oldOid, newOid, path: first });
  }
  return records;
}

/** git's blob id of these bytes. */
export const gitBlobId = (bytes: Uint8Array): string => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');

export interface DiffSource {
  /** Runs a bash script in the container (its working copy as cwd). */
  exec(script: string): Promise<{ exitCode: number; stdout: string }>;
  /** The orchestrator's clone: the base's blobs are there, the new ones are written there. */
  mirror: string;
  warn(message: string): void;
}

/** A blob's bytes: the clone's when it has it, else the container's (checked against its id, then written into the clone). */
async function readBlob(src: DiffSource, oid: string, path: string): Promise<Uint8Array | undefined> {
  const own = await git.readBlob({ fs, gitdir: src.mirror, oid }).then((r) => r.blob, () => undefined);
  if (own) return own;
  const r = await src.exec(blobScript(oid));
  if (r.exitCode === 4) {
    src.warn(`${path} is larger than ${MAX_BLOB_BYTES} bytes: left out of the diff (the working copy keeps it)`);
    return undefined;
  }
  if (r.exitCode !== 0) throw new PushPalsError('internal', `could not read ${path} from the working copy (exit ${r.exitCode})`);
  const bytes = Buffer.from(r.stdout.trim(), 'base64');
  if (gitBlobId(bytes) !== oid) throw new PushPalsError('internal', `the content of ${path} read from the working copy does not match its git id ${oid.slice(0, 12)}`);
  await git.writeBlob({ fs, gitdir: src.mirror, blob: bytes });
  return bytes;
}

const side = async (src: DiffSource, oid: string, mode: string, path: string): Promise<BlobSide | undefined | null> => {
  if (ZERO.test(oid) || mode === '000000') return undefined;
  const bytes = await readBlob(src, oid, path);
  return bytes ? { oid, mode, bytes } : null;
};

/** The working copy's changes against its HEAD as `diff_ready`; undefined when nothing changed (or git failed). */
export async function workingCopyDiff(taskId: string, src: DiffSource): Promise<EventPayload<'diff_ready'> | undefined> {
  const r = await src.exec(CHANGES_SCRIPT);
  if (r.exitCode !== 0) return undefined;
  const changes: BlobChange[] = [];
  for (const c of parseRawDiff(r.stdout)) {
    if (c.oldMode === '160000' || c.newMode === '160000') continue; // a submodule's commit is no file content
    const before = await side(src, c.oldOid, c.oldMode, c.oldPath ?? c.path);
    const after = await side(src, c.newOid, c.newMode, c.path);
    if (before === null || after === null) continue; // too large: said in a warning
    changes.push({ path: c.path, ...(c.oldPath && c.status === 'R' ? { oldPath: c.oldPath } : {}), ...(before ? { before } : {}), ...(after ? { after } : {}) });
  }
  const payload = blobDiffPayload(taskId, changes);
  if (payload && payload.diff.length > MAX_PATCH_LENGTH) {
    src.warn(`the diff is larger than ${MAX_PATCH_LENGTH} characters: not proposed for review (the working copy keeps it)`);
    return undefined;
  }
  return payload;
}
