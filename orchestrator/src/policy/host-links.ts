/**
 * The working copy's symlinks, followed as the sandbox's kernel will follow them.
 *
 * The classifier runs on the orchestrator's host; the working copy is a host directory mounted at
 * the workspace path (`/workspace`) in the sandbox. A committed link (`link -> /etc`, `up -> ../..`,
 * `cfg -> .git`) makes `cd link && rm -rf *` or `echo x >> cfg/config` reach somewhere else than
 * its text says, so a path inside the workspace is resolved component by component against the host
 * copy. The rule that keeps this safe: a link's *text* is read on the host, but its *meaning* is the
 * sandbox's — an absolute target is a sandbox path (the sandbox's /etc, never the host's), and a path
 * that leaves the working copy is never looked up on the host: from there on it is judged by its
 * text (outside → denied, /tmp → the /tmp rules). So the host is only ever read inside the working
 * copy, and a link can only ever make a path land *further* from "inside", never pull an outside
 * path in.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Links followed before giving up, as the kernel's ELOOP. */
const MAX_LINKS = 40;

/** The host's answer about one entry of the working copy: a link's text, 'plain', or 'unknown'. */
function readEntry(hostPath: string): string | 'plain' | 'unknown' {
  try {
    const st = fs.lstatSync(hostPath, { throwIfNoEntry: false });
    // Missing: nothing is there yet (a directory the line creates), so the text is the path.
    if (!st?.isSymbolicLink()) return 'plain';
    return fs.readlinkSync(hostPath);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'plain' : 'unknown';
  }
}

/**
 * The sandbox path the kernel reaches for the absolute sandbox path `raw` (not normalised: `link/..`
 * is the link's parent), or null when it cannot be known (a link loop, an unreadable entry).
 * `followLast: false` stops at a final link (`rm link` removes the link itself).
 */
export function followWorkspaceLinks(raw: string, ws: string, host: string, followLast: boolean): string | null {
  const split = (p: string): string[] => p.split('/').filter((c) => c !== '' && c !== '.');
  let todo = split(raw);
  const last = followLast || raw.endsWith('/');
  let cur = '/';
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === '..') {
      cur = path.posix.dirname(cur);
      continue;
    }
    const next = cur === '/' ? `/${c}` : `${cur}/${c}`;
    // Only entries inside the working copy are read on the host; the mount point itself is no link.
    if (!next.startsWith(`${ws}/`) || (todo.length === 0 && !last)) {
      cur = next;
      continue;
    }
    const entry = readEntry(host + next.slice(ws.length));
    if (entry === 'unknown') return null;
    if (entry === 'plain') {
      cur = next;
      continue;
    }
    if (++links > MAX_LINKS) return null;
    // The link's text, in the sandbox: absolute from the sandbox's root, relative from the link's directory.
    if (entry.startsWith('/')) cur = '/';
    todo = [...split(entry), ...todo];
  }
  return cur;
}
