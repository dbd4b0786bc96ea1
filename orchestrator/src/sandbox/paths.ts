import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { PushPalsError } from '../errors';

/** realpath when the path exists (symlinks resolved), else the normalized absolute path. */
export function canonical(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    return abs;
  }
}

/** True if `inner` is `outer` or lies inside it. */
export function isWithin(inner: string, outer: string): boolean {
  if (inner === outer) return true;
  const o = outer.endsWith(sep) ? outer : outer + sep;
  return inner.startsWith(o);
}

/**
 * Checks a host directory before it is bind-mounted at /workspace: it must be an absolute, existing
 * directory that is neither `/`, nor a forbidden path, nor inside one, nor an ancestor of one
 * (mounting `~` would expose `~/.pushpals/token`). List the specific secrets (token, DB, config, the
 * orchestrator's own clones): the data dir is then protected as their ancestor while task
 * working copies inside it (e.g. `<data>/workspaces/<task>`) stay mountable. Returns the canonical
 * path actually mounted.
 */
export function assertMountable(workspaceHostPath: string, forbiddenHostPaths: readonly string[]): string {
  if (!isAbsolute(workspaceHostPath)) {
    throw new PushPalsError('forbidden', `sandbox workspace must be an absolute path, got ${JSON.stringify(workspaceHostPath)}`);
  }
  const ws = canonical(workspaceHostPath);
  let st;
  try {
    st = statSync(ws);
  } catch {
    throw new PushPalsError('not_found', `sandbox workspace ${ws} does not exist`);
  }
  if (!st.isDirectory()) throw new PushPalsError('forbidden', `sandbox workspace ${ws} is not a directory`);
  if (ws === '/') throw new PushPalsError('forbidden', 'refusing to mount / into a sandbox');
  for (const f of forbiddenHostPaths) {
    const fc = canonical(f);
    const fr = resolve(f);
    if (isWithin(fc, ws) || isWithin(fr, ws)) {
      throw new PushPalsError('forbidden', `refusing to mount ${ws} into a sandbox: it is or contains ${fc}, which must never be visible to an agent`);
    }
    if (isWithin(ws, fc) || isWithin(ws, fr)) {
      throw new PushPalsError('forbidden', `refusing to mount ${ws} into a sandbox: it lies inside ${fc}, which must never be visible to an agent`);
    }
  }
  return ws;
}
