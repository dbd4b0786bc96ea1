/**
 * The warm pool's slots: a started container mounting an empty (or filled-ahead) per-slot dir
 * `<workspacesDir>/.pool/slot-*` and one repository's shared objects, in one image — the slot's
 * key, so it only serves tasks of that repository and image. Filling (one at a time, refill delay,
 * back-off) is util/pool-filler.ts; the manager takes slots out for tasks (manager.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';
import { mountsUnder, unmountAllUnder } from '../util/mounts';
import { PoolFiller, type PoolFillerStats } from '../util/pool-filler';
import { isRoot, type SharedObjectsMount } from './paths';
import type { Sandbox } from './sandbox';
import type { PoolVolumes } from './types';

/**
 * How long after a task took a slot the pool starts refilling: once the task's first commands had
 * the CPU (a refill is a container start plus a checkout: on a small machine it would slow down the
 * very task it was taken for).
 */
const REFILL_DELAY_MS = 2000;

export interface Slot {
  sandbox: Sandbox;
  dir: string;
  /** The image it runs and the shared objects it mounts: it serves only tasks of that repository and image. */
  key: string;
  /** What the pool's preparer made of it ahead of a task (e.g. the commit checked out), if any. */
  prepared?: string;
}

/**
 * Fills a fresh pool slot ahead of any task (e.g. checks out the repository's head in it): gets the
 * slot's sandbox and the host directory it mounts; returns a tag the task's Sandbox then carries
 * as `prepared`. A failure discards the slot.
 */
export type SlotPreparer = (sb: Sandbox, dir: string) => Promise<string>;

export const slotKey = (m: SharedObjectsMount | undefined, image: string): string => `${image}\0${m ? `${m.hostPath}\0${m.containerPath}` : ''}`;

export interface WarmPoolOptions {
  size: number;
  /** `<workspacesDir>/.pool` (throws when there is no workspacesDir: a pool of size 0 never asks). */
  dir: () => string;
  volumes: PoolVolumes | undefined;
  /** The image slots run until `retarget` names another. */
  image: string;
  log: (msg: string) => void;
  /** An empty directory the sandbox user owns (without volumes). */
  makeDir: (dir: string) => void;
  /** A started pool container (network none, label pushpals.pool=1) mounting `dir`. */
  startSandbox: (dir: string, objects: SharedObjectsMount | undefined, image: string) => Promise<Sandbox>;
  isClosed: () => boolean;
}

export class WarmPool {
  /** The shared objects new slots mount (the repository tasks are expected for). */
  private objects: SharedObjectsMount | undefined;
  /** The image new slots run (that repository's image: its settings may name one). */
  private image: string;
  private prepare: SlotPreparer | undefined;
  private readonly filler: PoolFiller<Slot>;

  constructor(private readonly o: WarmPoolOptions) {
    this.image = o.image;
    this.filler = new PoolFiller<Slot>({
      name: 'warm pool',
      target: o.size,
      make: () => this.fillOne(),
      refillDelayMs: REFILL_DELAY_MS,
      backoff: { baseMs: 500, maxMs: 30_000 },
      onFailure: (e, delay) => o.log(`warm pool: could not prepare a sandbox (retry in ${delay} ms): ${e instanceof Error ? e.message : String(e)}`),
    });
  }

  /** The ready slots (the filler appends; `take` takes by key). */
  private get ready(): Slot[] {
    return this.filler.ready;
  }

  private get key(): string {
    return slotKey(this.objects, this.image);
  }

  /** The containers of the ready slots (in use: never reaped). */
  sandboxIds(): string[] {
    return this.ready.map((s) => s.sandbox.id);
  }

  /** Takes the first ready slot of `key`, dropping on the way any whose sandbox or dir is gone. */
  take(key: string): Slot | undefined {
    for (let i = 0; i < this.ready.length; ) {
      const s = this.ready[i] as Slot;
      if (s.sandbox.isReleased || !existsSync(s.dir)) {
        this.ready.splice(i, 1);
        continue;
      }
      if (s.key === key) {
        this.ready.splice(i, 1);
        return s;
      }
      i++;
    }
    return undefined;
  }

  /** A slot taken but not used: first in line again. */
  putBack(slot: Slot): void {
    this.ready.unshift(slot);
  }

  /** A task took a slot: refill, after the delay. */
  refillLater(): void {
    this.filler.refillLater();
  }

  refill(): void {
    this.filler.refill();
  }

  /** Removes a slot's container and its (empty) directory or volume; refills. */
  discard(slot: Slot): void {
    void slot.sandbox.release();
    if (this.o.volumes) void this.o.volumes.remove(slot.dir).catch(() => {});
    else {
      try {
        rmdirSync(slot.dir); // only if empty: a slot dir holding anything is left for inspection
      } catch {
        /* not empty or gone */
      }
    }
    this.filler.refill();
  }

  /**
   * The shared objects (checked by the caller) new slots mount and the image they run; slots made
   * for another repository or image are discarded, so the pool serves the repository tasks come for.
   */
  retarget(objects: SharedObjectsMount | undefined, prepare: SlotPreparer | undefined, image: string): void {
    if (slotKey(objects, image) === this.key) return;
    this.objects = objects;
    this.image = image;
    this.prepare = prepare;
    for (const slot of this.ready.splice(0)) {
      if (slot.key === this.key) this.ready.push(slot);
      else this.discard(slot);
    }
    this.filler.refill();
  }

  stats(): PoolFillerStats {
    return this.filler.stats();
  }

  waitUntilFull(timeoutMs: number): Promise<void> {
    return this.filler.waitUntilFull(timeoutMs);
  }

  /** Makes one slot for the filler: undefined (and discarded) when the pool was retargeted meanwhile. */
  private async fillOne(): Promise<Slot | undefined> {
    const poolDir = this.o.dir();
    const dir = join(poolDir, `slot-${randomBytes(6).toString('hex')}`);
    const { objects, image, prepare } = this;
    if (this.o.volumes) {
      mkdirSync(poolDir, { recursive: true, mode: 0o755 });
      await this.o.volumes.create(dir); // the filesystem's root is the sandbox user's already
    } else this.o.makeDir(dir);
    let sb: Sandbox | undefined;
    try {
      sb = await this.o.startSandbox(dir, objects, image);
      if (!(await sb.startRunner())) throw new PushPalsError('sandbox_unavailable', 'runner did not start in a pool sandbox');
      if (this.o.isClosed()) throw new PushPalsError('sandbox_unavailable', 'closed');
      const prepared = prepare ? await prepare(sb, dir) : undefined;
      if (this.o.isClosed()) throw new PushPalsError('sandbox_unavailable', 'closed');
      const slot: Slot = { sandbox: sb, dir, key: slotKey(objects, image), ...(prepared !== undefined ? { prepared } : {}) };
      if (slot.key === this.key) return slot;
      this.discard(slot); // the pool was retargeted meanwhile
      return undefined;
    } catch (e) {
      if (sb) await sb.release();
      await this.removeDir(dir);
      throw e;
    }
  }

  private async removeDir(dir: string): Promise<void> {
    if (this.o.volumes) await this.o.volumes.remove(dir).catch(() => {});
    else rmSync(dir, { recursive: true, force: true });
  }

  /** Stops filling; returns the ready slots, whose containers the caller releases before `removeDirs`. */
  close(): Promise<Slot[]> {
    return this.filler.close();
  }

  async removeDirs(slots: readonly Slot[]): Promise<void> {
    for (const s of slots) await this.removeDir(s.dir);
  }
}

/**
 * Pool slot dirs of a previous run never held task data (a slot becomes <taskId> when taken):
 * their volumes go (mount, image, loop device), and whatever else is still mounted there (a run
 * with the disk limit on, this one without). A mount that will not go is reported, never deleted
 * through. Returns how many slots went.
 */
export async function removeStaleSlots(dir: string, volumes: PoolVolumes | undefined, log: (msg: string) => void): Promise<number> {
  const dirs = existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('slot-')).length : 0;
  const removed = (await volumes?.removeStale(dir)) ?? 0;
  const left = isRoot() ? await unmountAllUnder(dir) : mountsUnder(dir);
  if (left.length) {
    log(`warm pool: ${dir} still has mounts (${left.join(', ')}): left in place`);
    return removed;
  }
  rmSync(dir, { recursive: true, force: true });
  return Math.max(dirs, removed);
}
