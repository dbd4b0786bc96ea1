/**
 * What an `acquire` asks for, checked before anything is created: the network (none, or one the
 * person allowed), the extra mounts (sources mountable, targets absolute and outside /workspace),
 * the shared objects mount; and where a task's working copy goes when the caller names none.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { PushPalsError } from '../errors';
import { assertMountable, assertSharedObjectsMount, isWithin, type SharedObjectsMount } from './paths';
import type { AcquireOptions, ExtraMount } from './types';

export interface CheckedRequest {
  network: string;
  mounts: ExtraMount[];
  image: string;
  objects: SharedObjectsMount | undefined;
  /** A pooled container has no extra mounts, no env and network none: only such a request can take a slot. */
  poolable: boolean;
}

/** Throws `invalid_message` (no task id) or `forbidden` (a network not allowed, a mount refused). */
export function checkAcquireRequest(o: AcquireOptions, c: { forbidden: readonly string[]; allowedNetworks: ReadonlySet<string>; defaultImage: string }): CheckedRequest {
  if (typeof o.taskId !== 'string' || !o.taskId) throw new PushPalsError('invalid_message', 'taskId is required');
  const network = o.network ?? 'none';
  if (network !== 'none' && !c.allowedNetworks.has(network)) {
    throw new PushPalsError('forbidden', `network ${JSON.stringify(network)} is not in the configured allowedNetworks; sandboxes run with network none`);
  }
  const mounts = (o.mounts ?? []).map((m) => {
    if (!/^\/[^\0]*$/.test(m.target) || m.target === '/' || isWithin(m.target, '/workspace') || m.target.split('/').includes('..')) {
      throw new PushPalsError('forbidden', `mount target ${JSON.stringify(m.target)} must be an absolute path outside /workspace`);
    }
    return { ...m, source: assertMountable(m.source, c.forbidden) };
  });
  const objects = o.sharedObjects ? { hostPath: assertSharedObjectsMount(o.sharedObjects, c.forbidden), containerPath: o.sharedObjects.containerPath } : undefined;
  return { network, mounts, image: o.image ?? c.defaultImage, objects, poolable: network === 'none' && !o.env && mounts.length === 0 };
}

/**
 * `<workspacesDir>/<taskId>`; a task id that is not a plain file name (or starts with a dot: the
 * manager's own dirs do) gets a safe name with a hash of the id, so two ids never share a directory.
 */
export function workspaceDirOf(workspacesDir: string, taskId: string): string {
  let name = taskId.replace(/[^A-Za-z0-9._-]/g, '_');
  if (!name || name.startsWith('.') || name !== taskId) {
    name = `${name.replace(/^\.+/, '') || 'task'}-${createHash('sha256').update(taskId).digest('hex').slice(0, 8)}`;
  }
  return join(workspacesDir, name);
}
