import Docker from 'dockerode';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PushPalsError } from '../errors';
import type { PoolFillerStats } from '../util/pool-filler';
import { checkAcquireRequest, workspaceDirOf } from './acquire-request';
import { SandboxContainers } from './containers';
import { DEFAULT_IMAGE, checkEngine, checkImage, imageOutdated } from './image';
import { assertMountable, assertSharedObjectsMount, canonical, isRoot, isWithin, type SharedObjectsMount } from './paths';
import { Sandbox } from './sandbox';
import { movePreparedIntoSlot, renameSlotDir } from './slot-moves';
import type { AcquireOptions, ExtraMount, PoolVolumes, SandboxLimits, SandboxManagerOptions } from './types';
import { WarmPool, removeStaleSlots, slotKey, type SlotPreparer } from './warm-pool';
import { DEFAULT_DISK_HINTS, DEFAULT_LIMITS, sandboxContainerSpec } from './container-spec';

export { DEFAULT_LIMITS, LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, LABEL_SANDBOX, sandboxContainerSpec, type ContainerSpecInput } from './container-spec';
export type { SlotPreparer } from './warm-pool';

/**
 * Creates, pools, tracks and removes task sandboxes. One per orchestrator; call init() at start
 * (engine + image check, reaping of this instance's leftovers, pool fill) and close() at shutdown.
 * Its parts: the request checks (acquire-request.ts), the containers and their labels
 * (containers.ts), the warm pool's slots (warm-pool.ts) and the renames that hand one to a task
 * (slot-moves.ts); here, which sandbox a task gets.
 */
export class SandboxManager {
  readonly docker: Docker;
  readonly image: string;
  readonly instanceId: string;
  readonly limits: SandboxLimits;
  readonly user: string;
  private readonly forbidden: string[];
  private readonly workspacesDir: string | undefined;
  private readonly allowedNetworks: Set<string>;
  private readonly poolSize: number;
  private readonly log: (msg: string) => void;
  private readonly diskHints: { workspace: string; tmp: string };
  private readonly volumes: PoolVolumes | undefined;
  private readonly pool: WarmPool;
  private readonly active = new Set<Sandbox>();
  private readonly containers: SandboxContainers;
  private closed = false;

  constructor(o: SandboxManagerOptions & { docker?: Docker } = {}) {
    this.docker = o.docker ?? new Docker(); // honours DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH)
    this.image = o.image ?? DEFAULT_IMAGE;
    this.instanceId = o.instanceId ?? 'default';
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.user = o.user ?? '1000:1000';
    if (/^0(:|$)|^root(:|$)/.test(this.user)) throw new PushPalsError('forbidden', 'sandboxes never run as root');
    this.forbidden = (o.forbiddenHostPaths ?? []).map((p) => canonical(p));
    this.workspacesDir = o.workspacesDir ? canonical(o.workspacesDir) : undefined;
    this.allowedNetworks = new Set(o.allowedNetworks ?? []);
    this.poolSize = Math.max(0, Math.floor(o.pool?.size ?? 0));
    this.log = o.log ?? (() => {});
    this.diskHints = o.diskHints ?? DEFAULT_DISK_HINTS;
    this.volumes = o.volumes;
    this.containers = new SandboxContainers(this.docker, this.instanceId, this.log);
    if (this.workspacesDir) {
      for (const f of this.forbidden) {
        if (isWithin(f, this.workspacesDir)) throw new PushPalsError('forbidden', `workspacesDir ${this.workspacesDir} contains the forbidden path ${f}`);
      }
    }
    if (this.poolSize > 0 && !this.workspacesDir) throw new PushPalsError('invalid_message', 'a warm pool needs workspacesDir');
    this.pool = new WarmPool({
      size: this.poolSize,
      dir: () => this.poolDir,
      volumes: this.volumes,
      image: this.image,
      log: this.log,
      makeDir: (dir) => {
        mkdirSync(dir, { recursive: true, mode: 0o755 });
        this.chownForSandbox(dir);
      },
      startSandbox: (dir, objects, image) => this.create('', dir, 'none', true, { objects, image }),
      isClosed: () => this.closed,
    });
  }

  /** How to raise a limit, as disk_full messages say it. */
  diskHint(which: 'workspace' | 'tmp'): string {
    return this.diskHints[which];
  }

  private get poolDir(): string {
    if (!this.workspacesDir) throw new PushPalsError('invalid_message', 'no workspacesDir configured');
    return join(this.workspacesDir, '.pool');
  }

  /**
   * Engine and image check (actionable `sandbox_unavailable` errors), then what a previous run of
   * this instance left (killed, power lost): its containers (`reaped`, `reapedPool` of them warm-pool
   * slots) and its pool slots (`poolSlots`: dirs, with their volumes), before the pool fills.
   */
  async init(): Promise<{ reaped: number; reapedPool: number; poolSlots: number }> {
    await checkEngine(this.docker);
    await checkImage(this.docker, this.image);
    const outdated = await imageOutdated(this.docker, this.image);
    if (outdated) this.log(`WARNING: ${outdated}`);
    const { removed: reaped, pool: reapedPool } = await this.reap();
    let poolSlots = 0;
    if (this.workspacesDir) {
      mkdirSync(this.workspacesDir, { recursive: true, mode: 0o755 });
      poolSlots = await removeStaleSlots(this.poolDir, this.volumes, this.log);
    }
    this.pool.refill();
    return { reaped, reapedPool, poolSlots };
  }

  /** Directory that holds the working copy of a task acquired without workspaceHostPath. */
  workspaceDirFor(taskId: string): string {
    if (!this.workspacesDir) throw new PushPalsError('invalid_message', 'no workspacesDir configured: pass workspaceHostPath');
    return workspaceDirOf(this.workspacesDir, taskId);
  }

  /**
   * A sandbox for a task. With workspaceHostPath: a new container with that directory at
   * /workspace (checked against forbiddenHostPaths). Without: `workspaceDirFor(taskId)`, taken from
   * the warm pool when a slot is ready and the directory does not exist yet (the slot's directory is
   * renamed to it: the mount follows the inode), else created empty. Fill it on the host afterwards.
   * With workspaceHostPath and `adoptPrepared`: a ready pool slot takes the prepared directory over
   * (see adoptPrepared), else a cold container as without it.
   */
  async acquire(o: AcquireOptions): Promise<Sandbox> {
    if (this.closed) throw new PushPalsError('sandbox_unavailable', 'the sandbox manager is closed');
    const { network, mounts, image, objects, poolable } = checkAcquireRequest(o, { forbidden: this.forbidden, allowedNetworks: this.allowedNetworks, defaultImage: this.image });
    // A pooled container's image and objects are its key.
    const key = slotKey(objects, image);
    const extra = { objects, env: o.env, mounts, image };
    let ws: string;
    if (o.workspaceHostPath !== undefined) {
      ws = assertMountable(o.workspaceHostPath, this.forbidden);
      if (o.adoptPrepared && poolable) {
        const pooled = this.adoptPrepared(o.taskId, ws, key);
        if (pooled) return pooled;
      }
    } else {
      const target = this.workspaceDirFor(o.taskId);
      const fresh = !existsSync(target) || (lstatSync(target).isDirectory() && readdirSync(target).length === 0);
      if (poolable && fresh) {
        const pooled = await this.handOverSlot(o.taskId, target, key);
        if (pooled) return pooled;
      }
      if (this.volumes) {
        if (fresh) await this.volumes.create(target);
      } else {
        mkdirSync(target, { recursive: true, mode: 0o755 });
        this.chownForSandbox(target);
      }
      ws = assertMountable(target, this.forbidden);
    }
    const sb = await this.create(o.taskId, ws, network, false, extra);
    this.active.add(sb);
    void sb.startRunner();
    return sb;
  }

  /**
   * Gives a ready slot (of the same shared objects) to a task whose directory does not exist yet or
   * is empty: the slot's volume is moved there (volumes on), or its directory renamed (a bind mount
   * follows the inode). Undefined when no slot fits or the move failed (the slot is discarded).
   */
  private async handOverSlot(taskId: string, target: string, key: string): Promise<Sandbox | undefined> {
    const slot = this.pool.take(key);
    if (!slot) return undefined;
    try {
      if (this.volumes) await this.volumes.adopt(slot.dir, target);
      else renameSlotDir(slot.dir, target);
    } catch (e) {
      this.log(`warm pool: task ${taskId} gets a cold sandbox: handing over the slot failed: ${e instanceof Error ? e.message : String(e)}`);
      this.pool.discard(slot);
      return undefined;
    }
    slot.sandbox.adopt(taskId, target, slot.prepared);
    this.active.add(slot.sandbox);
    this.pool.refillLater();
    return slot.sandbox;
  }

  /**
   * The repository whose shared objects new pool slots mount (undefined: none) and the image they
   * run (default the manager's; a repository's settings may name another). Slots made for another
   * repository or image are discarded, so the pool serves the repository tasks come for.
   */
  setPoolObjects(m: SharedObjectsMount | undefined, prepare?: SlotPreparer, image?: string): void {
    const next = m ? { hostPath: assertSharedObjectsMount(m, this.forbidden), containerPath: m.containerPath } : undefined;
    this.pool.retarget(next, prepare, image ?? this.image);
  }

  /**
   * Hands a ready pool slot a working copy that was prepared BEFORE acquire, at `ws` (canonical,
   * already checked by assertMountable): the prepared directory's top-level entries are renamed into
   * the slot's directory (which the pooled container mounts), then the slot's directory is renamed
   * over the prepared one, now empty (rename(2) replaces an empty directory atomically: the path
   * never goes missing). Entries are renamed, never copied or followed: a symlink moves as a symlink.
   * All of it is synchronous, so nothing else in this process sees a half-moved state.
   *
   * Returns undefined (the caller creates a cold container) when the pool is off or empty, the
   * directory is not a direct child of workspacesDir, a sandbox of this manager mounts it already,
   * the slot is on another filesystem, or any rename fails (the moved entries are moved back first).
   */
  private adoptPrepared(taskId: string, ws: string, key: string): Sandbox | undefined {
    if (this.poolSize === 0 || !this.workspacesDir || this.closed) return undefined;
    const cold = (why: string): undefined => {
      this.log(`warm pool: task ${taskId} gets a cold sandbox: ${why}`);
      return undefined;
    };
    if (dirname(ws) !== this.workspacesDir || basename(ws).startsWith('.')) return cold(`${ws} is not a working copy directly inside ${this.workspacesDir}`);
    if ([...this.active].some((s) => s.workspaceHostPath === ws)) return cold(`${ws} is mounted by another sandbox already`);
    const st = lstatSync(ws);
    if (!st.isDirectory()) return cold(`${ws} is not a directory`);
    if (this.volumes) return cold('a pool slot is its own volume: it takes a task before the checkout (acquire without workspaceHostPath), not a prepared copy');
    const slot = this.pool.take(key);
    if (!slot) return undefined; // pool empty: the ordinary cold path, nothing to report
    const discard = (): void => this.pool.discard(slot);
    const slotSt = lstatSync(slot.dir);
    if (!slotSt.isDirectory() || slotSt.dev !== st.dev) {
      this.pool.putBack(slot);
      return cold(`the pool's slot directory is not on the same filesystem as ${ws}`);
    }
    if (slot.prepared !== undefined) {
      this.pool.putBack(slot);
      return cold('the pool slots hold a checkout made ahead: they take a task before its working copy exists');
    }
    if (readdirSync(slot.dir).length !== 0) {
      discard();
      return cold('the pool slot directory is not empty');
    }
    let failed: string | undefined;
    try {
      failed = movePreparedIntoSlot(ws, st, slot.dir);
    } catch (e) {
      discard(); // part of the copy is in the slot's dir: left there (a dir holding anything is kept), named in the error
      throw e;
    }
    if (failed !== undefined) {
      discard();
      return cold(`moving ${ws} into the pool slot failed: ${failed}`);
    }
    slot.sandbox.adopt(taskId, ws);
    this.active.add(slot.sandbox);
    this.pool.refillLater();
    return slot.sandbox;
  }

  private chownForSandbox(dir: string): void {
    const m = /^(\d+):(\d+)$/.exec(this.user);
    if (m && isRoot()) chownSync(dir, Number(m[1]), Number(m[2]));
  }

  private async create(
    taskId: string,
    ws: string,
    network: string,
    pool: boolean,
    extra: { objects?: SharedObjectsMount | undefined; env?: Record<string, string> | undefined; mounts?: ExtraMount[]; image?: string } = {},
  ): Promise<Sandbox> {
    const image = extra.image ?? this.image;
    const spec = sandboxContainerSpec({
      image,
      user: this.user,
      workspaceHostPath: ws,
      network,
      labels: this.containers.labels(taskId, pool),
      limits: this.limits,
      extraMounts: extra.mounts ?? [],
      ...(extra.objects ? { sharedObjects: extra.objects } : {}),
    });
    const container = await this.containers.start(spec, image);
    if (this.closed) {
      await this.containers.remove(container.id);
      throw new PushPalsError('sandbox_unavailable', 'the sandbox manager was closed');
    }
    return new Sandbox({
      docker: this.docker,
      container,
      taskId,
      workspaceHostPath: ws,
      network,
      user: this.user,
      log: this.log,
      onRelease: (sb) => this.onRelease(sb),
      limits: this.limits,
      diskHints: this.diskHints,
      env: extra.env ?? {},
    });
  }

  private async onRelease(sb: Sandbox): Promise<void> {
    this.active.delete(sb);
    await this.containers.remove(sb.id);
  }

  /**
   * Removes every container labelled for this instance (all instances with allInstances) except the
   * ones this manager is using now. Call at start-up. Returns how many were removed.
   */
  async reapAll(o: { allInstances?: boolean } = {}): Promise<number> {
    return (await this.reap(o)).removed;
  }

  /** reapAll, also saying how many of them were warm-pool slots (sandbox or OpenHands). */
  private reap(o: { allInstances?: boolean } = {}): Promise<{ removed: number; pool: number }> {
    return this.containers.reap(new Set([...this.active].map((s) => s.id).concat(this.pool.sandboxIds())), o);
  }

  /** Sandboxes handed out and not yet released. */
  list(): Sandbox[] {
    return [...this.active];
  }

  poolStats(): PoolFillerStats {
    return this.pool.stats();
  }

  /** Resolves once the pool holds its target number of ready slots (for tests and benchmarks). */
  waitForPool(timeoutMs = 60_000): Promise<void> {
    return this.pool.waitUntilFull(timeoutMs);
  }


  /** Removes every container this manager made (pool and handed-out sandboxes) and the pool's slot dirs. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = await this.pool.close();
    const all = [...this.active, ...slots.map((s) => s.sandbox)];
    await Promise.all(all.map((s) => s.release()));
    await this.containers.removeAll();
    await this.pool.removeDirs(slots);
    if (this.workspacesDir && existsSync(this.poolDir) && readdirSync(this.poolDir).length === 0) rmSync(this.poolDir, { recursive: true, force: true });
  }
}
