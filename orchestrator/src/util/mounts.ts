/**
 * The mount table of this process (/proc/self/mountinfo) and unmounting what lies under a
 * directory: shared by size-limited working copies (sandbox/volumes.ts), the OpenHands slot mounts
 * and the start-up sweep of what a killed orchestrator left mounted. Fixed argv, no shell.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mount points in /proc/self/mountinfo order (octal escapes such as `\040` decoded); a stacked path appears once per mount. */
export function mountPointList(): string[] {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp) out.push(mp.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

/** Mount points at or under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  // Deepest first; a path mounted twice (stacked) appears twice and is unmounted twice.
  return mountPointList()
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Unmounts everything at or under `dir` (deepest first; lazily when busy). Returns what is still
 * mounted: the caller must not delete `dir` then (a working copy could still be bound in it).
 */
export async function unmountAllUnder(dir: string): Promise<string[]> {
  for (const mp of mountsUnder(dir)) {
    await run('umount', [mp], { timeout: 30_000 }).catch(() => run('umount', ['-l', mp], { timeout: 30_000 }).catch(() => undefined));
  }
  return mountsUnder(dir);
}
