import Docker from 'dockerode';
import { randomBytes, createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PushPalsError } from '../errors';
import { mountsUnder, unmountAllUnder } from '../util/mounts';
import { PoolFiller, type PoolFillerStats } from '../util/pool-filler';
import { DEFAULT_IMAGE, checkEngine, checkImage, explainDockerError, imageOutdated } from './image';
import { assertMountable, assertSharedObjectsMount, canonical, isWithin, type SharedObjectsMount } from './paths';
import { Sandbox } from './sandbox';
import type { AcquireOptions, ExtraMount, PoolVolumes, SandboxLimits, SandboxManagerOptions } from './types';
import { DEFAULT_DISK_HINTS, DEFAULT_LIMITS, LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, LABEL_SANDBOX, sandboxContainerSpec } from './container-spec';

export { DEFAULT_LIMITS, LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, LABEL_SANDBOX, sandboxContainerSpec, type ContainerSpecInput } from './container-spec';

/**
 * How long after a task took a slot the pool starts refilling: once the task's first commands had
 * the CPU (a refill is a container start plus a checkout: on a small machine it would slow down the
 * very task it was taken for).
 */
const REFILL_DELAY_MS = 2000;

interface Slot {
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

const keyOf = (m: SharedObjectsMount | undefined, image: string): string => `${image}\0${m ? `${m.hostPath}\0${m.containerPath}` : ''}`;

const isRoot = () => process.getuid?.() === 0;

/**
 * Creates, pools, tracks and removes task sandboxes. One per orchestrator; call init() at start
 * (engine + image check, reaping of this instance's leftovers, pool fill) and close() at shutdown.
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
  /** The shared objects new pool slots mount (the repository tasks are expected for). */
  private poolObjects: SharedObjectsMount | undefined;
  /** The image new pool slots run (that repository's image: its settings may name one). */
  private poolImage: string;
  private poolPrepare: SlotPreparer | undefined;
  private readonly pool: PoolFiller<Slot>;
  private readonly active = new Set<Sandbox>();
  private readonly made = new Set<string>();
  private closed = false;

  constructor(o: SandboxManagerOptions & { docker?: Docker } = {}) {
    this.docker = o.docker ?? new Docker(); // honours DOCKER_HOST (and DOCKER_TLS_VERIFY / DOCKER_CERT_PATH)
    this.image = o.image ?? DEFAULT_IMAGE;
    this.poolImage = this.image;
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
    if (this.workspacesDir) {
      for (const f of this.forbidden) {
        if (isWithin(f, this.workspacesDir)) throw new PushPalsError('forbidden', `workspacesDir ${this.workspacesDir} contains the forbidden path ${f}`);
      }
    }
    if (this.poolSize > 0 && !this.workspacesDir) throw new PushPalsError('invalid_message', 'a warm pool needs workspacesDir');
    this.pool = new PoolFiller<Slot>({
      name: 'warm pool',
      target: this.poolSize,
      make: () => this.fillOne(),
      refillDelayMs: REFILL_DELAY_MS,
      backoff: { baseMs: 500, maxMs: 30_000 },
      onFailure: (e, delay) => this.log(`warm pool: could not prepare a sandbox (retry in ${delay} ms): ${e instanceof Error ? e.message : String(e)}`),
    });
  }

  /** The pool's ready slots (the filler appends; acquire takes by key). */
  private get ready(): Slot[] {
    return this.pool.ready;
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
      poolSlots = await this.removeStaleSlots();
    }
    this.pool.refill();
    return { reaped, reapedPool, poolSlots };
  }

  /**
   * Pool slot dirs of a previous run never held task data (a slot becomes <taskId> when taken):
   * their volumes go (mount, image, loop device), and whatever else is still mounted there (a run
   * with the disk limit on, this one without). A mount that will not go is reported, never deleted through.
   */
  private async removeStaleSlots(): Promise<number> {
    const dir = this.poolDir;
    const dirs = existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('slot-')).length : 0;
    const volumes = (await this.volumes?.removeStale(dir)) ?? 0;
    const left = isRoot() ? await unmountAllUnder(dir) : mountsUnder(dir);
    if (left.length) {
      this.log(`warm pool: ${dir} still has mounts (${left.join(', ')}): left in place`);
      return volumes;
    }
    rmSync(dir, { recursive: true, force: true });
    return Math.max(dirs, volumes);
  }

  /** Directory that holds the working copy of a task acquired without workspaceHostPath. */
  workspaceDirFor(taskId: string): string {
    if (!this.workspacesDir) throw new PushPalsError('invalid_message', 'no workspacesDir configured: pass workspaceHostPath');
    let name = taskId.replace(/[^A-Za-z0-9._-]/g, '_');
    if (!name || name.startsWith('.') || name !== taskId) {
      name = `${name.replace(/^\.+/, '') || 'task'}-${createHash('sha256').update(taskId).digest('hex').slice(0, 8)}`;
    }
    return join(this.workspacesDir, name);
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
    if (typeof o.taskId !== 'string' || !o.taskId) throw new PushPalsError('invalid_message', 'taskId is required');
    const network = o.network ?? 'none';
    if (network !== 'none' && !this.allowedNetworks.has(network)) {
      throw new PushPalsError('forbidden', `network ${JSON.stringify(network)} is not in the configured allowedNetworks; sandboxes run with network none`);
    }
    const extraMounts = (o.mounts ?? []).map((m) => {
      if (!/^\/[^\0]*$/.test(m.target) || m.target === '/' || isWithin(m.target, '/workspace') || m.target.split('/').includes('..')) {
        throw new PushPalsError('forbidden', `mount target ${JSON.stringify(m.target)} must be an absolute path outside /workspace`);
      }
      return { ...m, source: assertMountable(m.source, this.forbidden) };
    });
    const image = o.image ?? this.image;
    const objects = o.sharedObjects ? { hostPath: assertSharedObjectsMount(o.sharedObjects, this.forbidden), containerPath: o.sharedObjects.containerPath } : undefined;
    const key = keyOf(objects, image);
    const extra = { objects, env: o.env, mounts: extraMounts, image };
    // A pooled container has no extra mounts, no env and network none; its image and objects are its key.
    const poolable = network === 'none' && !o.env && extraMounts.length === 0;
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
    const slot = this.takeSlot(key);
    if (!slot) return undefined;
    try {
      if (this.volumes) await this.volumes.adopt(slot.dir, target);
      else {
        if (existsSync(target)) rmdirSync(target); // empty (checked): rename needs the name free or an empty dir
        renameSync(slot.dir, target);
      }
    } catch (e) {
      this.log(`warm pool: task ${taskId} gets a cold sandbox: handing over the slot failed: ${e instanceof Error ? e.message : String(e)}`);
      this.discard(slot);
      return undefined;
    }
    slot.sandbox.adopt(taskId, target, slot.prepared);
    this.active.add(slot.sandbox);
    this.pool.refillLater();
    return slot.sandbox;
  }

  /** Removes a slot's container and its (empty) directory or volume; refills. */
  private discard(slot: Slot): void {
    void slot.sandbox.release();
    if (this.volumes) void this.volumes.remove(slot.dir).catch(() => {});
    else {
      try {
        rmdirSync(slot.dir); // only if empty: a slot dir holding anything is left for inspection
      } catch {
        /* not empty or gone */
      }
    }
    this.pool.refill();
  }

  private get poolKey(): string {
    return keyOf(this.poolObjects, this.poolImage);
  }

  /**
   * The repository whose shared objects new pool slots mount (undefined: none) and the image they
   * run (default the manager's; a repository's settings may name another). Slots made for another
   * repository or image are discarded, so the pool serves the repository tasks come for.
   */
  setPoolObjects(m: SharedObjectsMount | undefined, prepare?: SlotPreparer, image?: string): void {
    const next = m ? { hostPath: assertSharedObjectsMount(m, this.forbidden), containerPath: m.containerPath } : undefined;
    const nextImage = image ?? this.image;
    if (keyOf(next, nextImage) === this.poolKey) return;
    this.poolObjects = next;
    this.poolImage = nextImage;
    this.poolPrepare = prepare;
    for (const slot of this.ready.splice(0)) {
      if (slot.key === this.poolKey) this.ready.push(slot);
      else this.discard(slot);
    }
    this.pool.refill();
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
    const slot = this.takeSlot(key);
    if (!slot) return undefined; // pool empty: the ordinary cold path, nothing to report
    const discard = (): void => this.discard(slot);
    const slotSt = lstatSync(slot.dir);
    if (!slotSt.isDirectory() || slotSt.dev !== st.dev) {
      this.ready.unshift(slot);
      return cold(`the pool's slot directory is not on the same filesystem as ${ws}`);
    }
    if (slot.prepared !== undefined) {
      this.ready.unshift(slot);
      return cold('the pool slots hold a checkout made ahead: they take a task before its working copy exists');
    }
    if (readdirSync(slot.dir).length !== 0) {
      discard();
      return cold('the pool slot directory is not empty');
    }
    const moved: string[] = [];
    try {
      for (const name of readdirSync(ws)) {
        renameSync(join(ws, name), join(slot.dir, name));
        moved.push(name);
      }
      // The directory at the task's path keeps the prepared one's owner and mode.
      if (isRoot()) chownSync(slot.dir, st.uid, st.gid);
      chmodSync(slot.dir, st.mode & 0o7777);
      renameSync(slot.dir, ws);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      try {
        for (const name of moved.reverse()) renameSync(join(slot.dir, name), join(ws, name));
      } catch (back) {
        discard();
        throw new PushPalsError(
          'internal',
          `moving the working copy ${ws} into a warm sandbox failed (${why}) and moving it back failed too (${back instanceof Error ? back.message : String(back)}): part of it is in ${slot.dir}`,
        );
      }
      discard();
      return cold(`moving ${ws} into the pool slot failed: ${why}`);
    }
    slot.sandbox.adopt(taskId, ws);
    this.active.add(slot.sandbox);
    this.pool.refillLater();
    return slot.sandbox;
  }

  private takeSlot(key: string): Slot | undefined {
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
    const labels: Record<string, string> = {
      [LABEL_MANAGED]: '1',
      [LABEL_INSTANCE]: this.instanceId,
      [LABEL_SANDBOX]: taskId || 'pool',
    };
    if (pool) labels[LABEL_POOL] = '1';
    const spec = sandboxContainerSpec({
      image,
      user: this.user,
      workspaceHostPath: ws,
      network,
      labels,
      limits: this.limits,
      extraMounts: extra.mounts ?? [],
      ...(extra.objects ? { sharedObjects: extra.objects } : {}),
    });
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(spec);
    } catch (e) {
      throw explainDockerError(e, image);
    }
    this.made.add(container.id);
    try {
      await container.start();
    } catch (e) {
      await this.removeContainer(container.id);
      throw explainDockerError(e, image);
    }
    if (this.closed) {
      await this.removeContainer(container.id);
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
    await this.removeContainer(sb.id);
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) this.log(`sandbox ${id.slice(0, 12)}: remove failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.made.delete(id);
  }

  /**
   * Removes every container labelled for this instance (all instances with allInstances) except the
   * ones this manager is using now. Call at start-up. Returns how many were removed.
   */
  async reapAll(o: { allInstances?: boolean } = {}): Promise<number> {
    return (await this.reap(o)).removed;
  }

  /** reapAll, also saying how many of them were warm-pool slots (sandbox or OpenHands). */
  private async reap(o: { allInstances?: boolean } = {}): Promise<{ removed: number; pool: number }> {
    const label = [`${LABEL_MANAGED}=1`];
    if (!o.allInstances) label.push(`${LABEL_INSTANCE}=${this.instanceId}`);
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({ all: true, filters: { label } });
    } catch (e) {
      throw explainDockerError(e);
    }
    const mine = new Set([...this.active].map((s) => s.id).concat(this.ready.map((s) => s.sandbox.id)));
    const victims = list.filter((c) => !mine.has(c.Id));
    await Promise.all(victims.map((c) => this.removeContainer(c.Id)));
    return { removed: victims.length, pool: victims.filter((c) => c.Labels?.[LABEL_POOL] === '1').length };
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

  /** Makes one pool slot for the filler: undefined (and discarded) when the pool was retargeted meanwhile. */
  private async fillOne(): Promise<Slot | undefined> {
    const dir = join(this.poolDir, `slot-${randomBytes(6).toString('hex')}`);
    const objects = this.poolObjects;
    const image = this.poolImage;
    const prepare = this.poolPrepare;
    if (this.volumes) {
      mkdirSync(this.poolDir, { recursive: true, mode: 0o755 });
      await this.volumes.create(dir); // the filesystem's root is the sandbox user's already
    } else {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      this.chownForSandbox(dir);
    }
    let sb: Sandbox | undefined;
    try {
      sb = await this.create('', dir, 'none', true, { objects, image });
      if (!(await sb.startRunner())) throw new PushPalsError('sandbox_unavailable', 'runner did not start in a pool sandbox');
      if (this.closed) throw new PushPalsError('sandbox_unavailable', 'closed');
      const prepared = prepare ? await prepare(sb, dir) : undefined;
      if (this.closed) throw new PushPalsError('sandbox_unavailable', 'closed');
      const slot: Slot = { sandbox: sb, dir, key: keyOf(objects, image), ...(prepared !== undefined ? { prepared } : {}) };
      if (slot.key === this.poolKey) return slot;
      this.discard(slot); // the pool was retargeted meanwhile
      return undefined;
    } catch (e) {
      if (sb) await sb.release();
      if (this.volumes) await this.volumes.remove(dir).catch(() => {});
      else rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Removes every container this manager made (pool and handed-out sandboxes) and the pool's slot dirs. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = await this.pool.close();
    const all = [...this.active, ...slots.map((s) => s.sandbox)];
    await Promise.all(all.map((s) => s.release()));
    await Promise.all([...this.made].map((id) => this.removeContainer(id)));
    for (const s of slots) {
      if (this.volumes) await this.volumes.remove(s.dir).catch(() => {});
      else rmSync(s.dir, { recursive: true, force: true });
    }
    if (this.workspacesDir && existsSync(this.poolDir) && readdirSync(this.poolDir).length === 0) rmSync(this.poolDir, { recursive: true, force: true });
  }
}
