/**
 * What a previous run of this data dir left when it was killed (SIGKILL, power lost): removed at
 * start-up, before the pools fill, and counted in one log line. The containers (every one labelled
 * with this data dir's instance id, never another's) and the warm-pool slots are the sandbox
 * manager's part (`SandboxManager.init`); the rest are sweepers: the workbench's own below (check
 * trees, clone scratch dirs, slot images of a run that had the disk limit on) and the ones the
 * composition root adds (the OpenHands socket dirs). `pushpals gc` runs the sweepers again, for
 * what a start-up could not remove (a mount that was busy then) and dirs of finished tasks.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface SweepScope {
  /** True at start-up (nothing of this process exists yet), false for `pushpals gc` (a running orchestrator). */
  atStart: boolean;
  /** What was made before this (ms since the epoch: this process's start) is a previous run's. */
  madeBefore: number;
  /** Whether a task may still use its dirs (gc: not finished, or unknown); at start-up true for all (what a previous run made goes by `madeBefore`). */
  isLive(taskId: string): boolean;
  log(msg: string): void;
}

/** One kind of leftover. `what`: its name for the log line, singular ("check tree"). Returns how many it removed. */
export interface LeftoverSweeper {
  what: string;
  sweep(scope: SweepScope): Promise<number>;
}

/** `n things` with a plain English plural. */
const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : what.endsWith('s') ? 'es' : 's'}`;

/** The log line's body: only the kinds that had leftovers, e.g. "2 containers (1 warm-pool slot), 1 check tree". Undefined: nothing. */
export function describeSwept(counts: ReadonlyArray<readonly [string, number]>, poolContainers = 0): string | undefined {
  const parts = counts.filter(([, n]) => n > 0).map(([what, n]) => (what === 'container' && poolContainers ? `${count(n, what)} (${count(poolContainers, 'warm-pool slot')})` : count(n, what)));
  return parts.length ? parts.join(', ') : undefined;
}

const madeBefore = (path: string, t: number): boolean => {
  try {
    return statSync(path).ctimeMs < t;
  } catch {
    return false;
  }
};

/** Removes the entries of `dir` named `prefix*` that a previous run made (never this process's: one may be in use). */
function removePrevious(dir: string, prefix: string, before: number, suffix = ''): number {
  if (!existsSync(dir)) return 0;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
    const p = join(dir, name);
    if (!madeBefore(p, before)) continue;
    try {
      rmSync(p, { recursive: true, force: true });
      removed++;
    } catch {
      /* e.g. something mounted inside: left for the next gc */
    }
  }
  return removed;
}

/** The workbench's own leftovers: check trees (checks/run.ts), clone scratch dirs (git/url-mirror.ts), slot images without their volumes manager. */
export function workbenchSweepers(o: { workspacesDir: string; reposDir: string; imagesDir: string; volumesOn: boolean }): LeftoverSweeper[] {
  return [
    // A check's tree is written to workspaces/.check-<task>-<hex> and deleted when the checks end.
    { what: 'check tree', sweep: async (s) => removePrevious(o.workspacesDir, '.check-', s.madeBefore) },
    // A URL clone is written in repos/.clone-* and renamed to repos/<id> only once complete (git/url-mirror.ts):
    // a clone cut off leaves only this. Never repos/<id> itself: a removed repository's objects may still be borrowed.
    { what: 'clone scratch dir', sweep: async (s) => removePrevious(o.reposDir, '.clone-', s.madeBefore) },
    // With the disk limit on, the sandbox manager removes slot images with their mounts; a run that had it on leaves them to a run that has it off.
    { what: 'pool slot image', sweep: async (s) => (o.volumesOn || !s.atStart ? 0 : removePrevious(o.imagesDir, 'slot-', s.madeBefore, '.img')) },
  ];
}
