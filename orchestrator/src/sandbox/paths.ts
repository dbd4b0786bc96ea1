import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve, sep } from 'node:path';
import { PushPalsError } from '../errors';

/** Whether the orchestrator runs as root (it may then chown a directory to the sandbox user). */
export const isRoot = (): boolean => process.getuid?.() === 0;

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

/** A read-only mount of a repository's shared git objects into a sandbox (see git/working-copy.ts). */
export interface SharedObjectsMount {
  /** The orchestrator's clone's `objects/` directory on the host. */
  hostPath: string;
  /** Where the sandbox sees it: a direct child of a top-level dot-directory, e.g. `/.objects/<repoId>`. */
  containerPath: string;
}

/**
 * Checks a shared-objects mount: the host side is an existing directory named `objects` that contains
 * no forbidden path (it may lie INSIDE one, e.g. `<data>/repos/<id>/objects`: it is mounted read-only
 * and holds objects only, never the clone's config or hooks); the container side is `/.<dir>/<name>`,
 * away from /workspace, /tmp and the system. Returns the canonical host path.
 */
export function assertSharedObjectsMount(m: SharedObjectsMount, forbiddenHostPaths: readonly string[]): string {
  if (!isAbsolute(m.hostPath)) throw new PushPalsError('forbidden', `shared objects must be an absolute path, got ${JSON.stringify(m.hostPath)}`);
  const host = canonical(m.hostPath);
  let st;
  try {
    st = statSync(host);
  } catch {
    throw new PushPalsError('not_found', `shared objects directory ${host} does not exist`);
  }
  if (!st.isDirectory() || !host.endsWith(`${sep}objects`)) throw new PushPalsError('forbidden', `refusing to share ${host}: only a git objects directory is shared`);
  for (const f of forbiddenHostPaths) {
    if (isWithin(canonical(f), host) || isWithin(resolve(f), host)) throw new PushPalsError('forbidden', `refusing to share ${host}: it contains ${f}`);
  }
  if (!/^\/\.[A-Za-z0-9_-]+\/[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(m.containerPath)) {
    throw new PushPalsError('forbidden', `shared objects must be mounted at /.<dir>/<name>, got ${JSON.stringify(m.containerPath)}`);
  }
  return host;
}
