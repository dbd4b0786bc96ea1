/**
 * The mounts that let a warm pool slot (an OpenHands container started before its task) receive the
 * task's working copy and repository objects AFTER it started. Docker fixes a container's mounts at
 * creation, so the slot mounts two empty host directories that are their own SHARED mount points
 * (`ws/` at /workspace, `objects/` at /.objects) with `rslave` propagation: a mount the host later
 * makes on them appears inside the container, while nothing the container mounts comes back out
 * (it has no CAP_SYS_ADMIN anyway). At hand-over the host binds the working copy onto `ws/` and the
 * objects, read-only, under `objects/`.
 *
 * Read-only: a bind's `ro` is set by a second (remount) step, and only the first step propagates.
 * So the objects are bound and made read-only in a PRIVATE staging point (`stage/`) first and then
 * moved under `objects/`: the copy propagated into the container carries the read-only flag (tested).
 *
 * Needs root (mount). Fixed argv, no shell; the paths are the orchestrator's own.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PushPalsError } from '../../errors';

export { mountsUnder, unmountAllUnder } from '../../util/mounts';

const run = promisify(execFile);

const mount = async (args: string[]): Promise<void> => {
  await run('mount', args, { timeout: 30_000 }).catch((e: unknown) => {
    const x = e as { stderr?: string; message?: string };
    throw new PushPalsError('sandbox_unavailable', `mount ${args.join(' ')} failed: ${(x.stderr?.trim() || x.message || String(e)).slice(0, 400)}`);
  });
};

/** `dir` (created) becomes its own mount point with the given propagation. */
async function ownMountPoint(dir: string, propagation: 'shared' | 'private'): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  await mount(['--bind', dir, dir]);
  await mount([`--make-${propagation}`, dir]);
}

/** The slot's mount points: `ws/` and `objects/` shared (the container follows them), `stage/` private. */
export async function prepareSlotMounts(slotDir: string): Promise<{ ws: string; objects: string }> {
  const ws = join(slotDir, 'ws');
  const objects = join(slotDir, 'objects');
  await ownMountPoint(ws, 'shared');
  await ownMountPoint(objects, 'shared');
  await ownMountPoint(join(slotDir, 'stage'), 'private');
  return { ws, objects };
}

/** Hands the task's working copy (read-write) and its repository objects (read-only, at `objects/<name>`) to a started slot. */
export async function bindTaskIntoSlot(slotDir: string, workspaceHostPath: string, objects?: { hostPath: string; name: string }): Promise<void> {
  await mount(['--bind', workspaceHostPath, join(slotDir, 'ws')]);
  if (!objects) return;
  const staged = join(slotDir, 'stage', objects.name);
  const target = join(slotDir, 'objects', objects.name);
  mkdirSync(staged, { recursive: true, mode: 0o755 });
  mkdirSync(target, { recursive: true, mode: 0o755 });
  await mount(['--bind', objects.hostPath, staged]);
  await mount(['-o', 'remount,bind,ro,nosuid,nodev', staged]);
  await mount(['--move', staged, target]);
}
