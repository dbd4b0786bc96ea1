/**
 * What a killed orchestrator leaves of OpenHands on the host: the socket dirs of tasks
 * (`<dataDir>/openhands/<taskId>`) and of warm slots (`.pool/slot-*`), with whatever is still
 * mounted in them (a slot's own mount points, a task's working copy and objects bound into it: such
 * a bind keeps the working copy's loop filesystem busy). Their containers are gone by the time this
 * runs: the sandbox manager reaps every container of the instance first.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder, unmountAllUnder } from '../../util/mounts';

export interface OpenHandsSweepScope {
  /** Dirs made before this (ms since the epoch; this process's start) are a previous run's. */
  madeBefore: number;
  /** Also task dirs made later whose task this says is not live (gc: finished tasks). Pool slots never. */
  isLive?: (taskId: string) => boolean;
  log(msg: string): void;
}

const madeBefore = (d: string, t: number): boolean => {
  try {
    return statSync(d).ctimeMs < t;
  } catch {
    return false;
  }
};

/** Unmounts what is mounted in `d`, then deletes it; a mount that will not go leaves it in place (said in the log). */
export async function removeLeftoverDir(d: string, log: (msg: string) => void): Promise<boolean> {
  const left = process.getuid?.() === 0 ? await unmountAllUnder(d) : mountsUnder(d);
  if (left.length) {
    log(`openhands: ${d} still has mounts (${left.join(', ')}): left in place`);
    return false;
  }
  rmSync(d, { recursive: true, force: true });
  return true;
}

/** Removes the leftover dirs under `dir` (`<dataDir>/openhands`); returns how many. */
export async function sweepOpenHandsDirs(dir: string, scope: OpenHandsSweepScope): Promise<number> {
  if (!existsSync(dir)) return 0;
  const victims: string[] = [];
  for (const name of readdirSync(dir)) {
    const d = join(dir, name);
    if (name === '.pool') {
      for (const slot of readdirSync(d)) if (madeBefore(join(d, slot), scope.madeBefore)) victims.push(join(d, slot));
    } else if (madeBefore(d, scope.madeBefore) || scope.isLive?.(name) === false) {
      victims.push(d);
    }
  }
  let removed = 0;
  for (const d of victims) if (await removeLeftoverDir(d, scope.log)) removed++;
  return removed;
}
