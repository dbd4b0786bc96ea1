/**
 * Tells "the command failed because a size limit was reached" from any other failure, so the task
 * fails with `disk_full` and a message saying which limit, its size and how to raise it — instead
 * of an exit code that leaves the person guessing.
 */
import type { DiskFull, ExecResult, SandboxLimits, SpaceInfo } from './types';

/** Full for practical purposes: under 1 MiB (or 0.5 %) free, or no inode left. */
export const isNearlyFull = (s: SpaceInfo): boolean => s.freeBytes < Math.max(1024 * 1024, s.sizeBytes / 200) || s.freeInodes === 0;

/** What programs print for ENOSPC (strerror), e.g. `dd: error writing 'x': No space left on device`. */
const ENOSPC_TEXT = /no space left on device/i;

export const formatBytes = (n: number): string => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`);

const usedFraction = (s: SpaceInfo | undefined): number => (s && s.sizeBytes > 0 ? 1 - s.freeBytes / s.sizeBytes : 0);

/**
 * `undefined` unless a failed command ran into a full /workspace or /tmp: either filesystem (as the
 * sandbox saw it after the command, else the host's view of the working copy) is nearly full, or the
 * output says "No space left on device" (the command may have deleted its partial files since).
 */
export function diagnoseDiskFull(
  r: ExecResult,
  hostWorkspaceSpace: () => SpaceInfo | undefined,
  limits: SandboxLimits,
  hints: { workspace: string; tmp: string },
): DiskFull | undefined {
  if (r.exitCode === 0 || r.cancelled) return undefined;
  const ws = r.space?.workspace ?? hostWorkspaceSpace();
  const tmp = r.space?.tmp;
  const wsFull = ws !== undefined && isNearlyFull(ws);
  const tmpFull = tmp !== undefined && isNearlyFull(tmp);
  const said = ENOSPC_TEXT.test(r.stderr.slice(-65536)) || ENOSPC_TEXT.test(r.stdout.slice(-65536));
  if (!wsFull && !tmpFull && !said) return undefined;
  const mount = wsFull || (!tmpFull && usedFraction(ws) >= usedFraction(tmp)) ? '/workspace' : '/tmp';
  if (mount === '/workspace') {
    const limitBytes = limits.workspaceBytes > 0 ? limits.workspaceBytes : (ws?.sizeBytes ?? 0);
    const what = limits.workspaceBytes > 0 ? `the task's working copy (/workspace) is limited to ${formatBytes(limitBytes)} and is full` : `the disk holding the task's working copy (/workspace, ${formatBytes(limitBytes)}) is full`;
    return { mount, limitBytes, message: `disk full: ${what} (${formatBytes(ws?.freeBytes ?? 0)} free). ${hints.workspace}` };
  }
  return { mount, limitBytes: limits.tmpfsBytes, message: `disk full: the sandbox's /tmp (also HOME) is limited to ${formatBytes(limits.tmpfsBytes)} and is full (${formatBytes(tmp?.freeBytes ?? 0)} free). ${hints.tmp}` };
}
