/**
 * Moving a working copy and a pool slot's directory into each other with rename(2) only: a bind
 * mount follows the inode, so the slot's container then sees the task's files at /workspace. Never a
 * copy, never following a symlink; synchronous, so nothing else in the process sees a half-moved state.
 */
import { chmodSync, chownSync, existsSync, renameSync, rmdirSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';
import { isRoot } from './paths';

/** A slot's directory becomes the task's: `target` is absent or empty (checked by the caller). */
export function renameSlotDir(slotDir: string, target: string): void {
  if (existsSync(target)) rmdirSync(target); // empty (checked): rename needs the name free or an empty dir
  renameSync(slotDir, target);
}

/**
 * The prepared working copy `ws` (`st`: its lstat) into the empty `slotDir`: each top-level entry
 * renamed into it, the slot dir given `ws`'s owner and mode, then renamed over `ws`, empty by then
 * (rename(2) replaces an empty directory atomically: the path never goes missing).
 * Returns undefined on success, else why it failed with the entries moved back; throws `internal`
 * (naming where the entries are) when moving them back failed too.
 */
export function movePreparedIntoSlot(ws: string, st: Stats, slotDir: string): string | undefined {
  const moved: string[] = [];
  try {
    for (const name of readdirSync(ws)) {
      renameSync(join(ws, name), join(slotDir, name));
      moved.push(name);
    }
    // The directory at the task's path keeps the prepared one's owner and mode.
    if (isRoot()) chownSync(slotDir, st.uid, st.gid);
    chmodSync(slotDir, st.mode & 0o7777);
    renameSync(slotDir, ws);
    return undefined;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    try {
      for (const name of moved.reverse()) renameSync(join(slotDir, name), join(ws, name));
    } catch (back) {
      throw new PushPalsError(
        'internal',
        `moving the working copy ${ws} into a warm sandbox failed (${why}) and moving it back failed too (${back instanceof Error ? back.message : String(back)}): part of it is in ${slotDir}`,
      );
    }
    return why;
  }
}
