/**
 * The warm pool of OpenHands agent servers (config `openhands.warmPool`): containers started ahead,
 * each with its agent server answering /ready on its socket, waiting for a task. A task takes one
 * (`take`), binds its working copy and objects into it (container.ts bindTask, slot-mounts.ts) and
 * runs its conversation there; the pool starts a replacement in the background. A slot serves one
 * task and is removed with it: its session key, socket directories and processes never meet
 * another task. The model broker is per task too: it listens on the slot's model socket only once
 * the task took the slot (the forwarder inside connects per request, so nothing is cached).
 *
 * Mirrors the sandbox pool (sandbox/manager.ts): labels `pushpals.pool=1` + `pushpals.openhands=1`
 * + the instance, leftovers reaped at start (containers by label, slot directories with their
 * mounts), one slot started at a time, a refill some seconds after a task took a slot (a start is
 * ~10 CPU-seconds of Python imports: at once it would slow down the very task it was taken for),
 * exponential back-off on failures (the filling is util/pool-filler.ts, as there), everything
 * removed at close().
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../../errors';
import { LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, type SandboxManager } from '../../sandbox/manager';
import { PoolFiller, type PoolFillerStats } from '../../util/pool-filler';
import { LABEL_OPENHANDS, OpenHandsContainer } from './container';
import { removeLeftoverDir } from './leftovers';

/** After a task took a slot, the replacement starts this much later (see the module comment). */
const REFILL_DELAY_MS = 5000;

export interface OpenHandsPoolOptions {
  size: number;
  sandboxes: SandboxManager;
  image: string;
  /** `<dataDir>/openhands/.pool`: one directory per slot (sockets and mount points). */
  dir: string;
  readyTimeoutMs: number;
  log: (msg: string) => void;
  /** Delay before a replacement starts (tests shorten it). */
  refillDelayMs?: number;
}

/** `problem`: why the pool is off (no root). */
export type PoolStats = PoolFillerStats;

export class OpenHandsPool {
  private readonly filler: PoolFiller<OpenHandsContainer>;
  private closed = false;
  private started = false;
  private readonly abort = new AbortController();

  constructor(private readonly o: OpenHandsPoolOptions) {
    this.filler = new PoolFiller<OpenHandsContainer>({
      name: 'OpenHands pool',
      target: o.size,
      make: () => this.fillOne(),
      refillDelayMs: o.refillDelayMs ?? REFILL_DELAY_MS,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      onFailure: (e, delay) => this.o.log(`openhands pool: could not start an agent server (retry in ${delay} ms): ${e instanceof Error ? e.message : String(e)}`),
    });
  }

  get size(): number {
    return this.o.size;
  }

  /** Reaps what a previous run left (containers by label, slot dirs and their mounts), then starts filling. */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    await this.reap();
    if (this.o.size <= 0) return;
    if (process.getuid?.() !== 0) {
      const problem = 'the OpenHands warm pool needs root: a slot receives its working copy through a mount (run the orchestrator as root, or set openhands.warmPool to 0)';
      this.filler.off(problem);
      this.o.log(`openhands pool: off: ${problem}`);
      return;
    }
    this.filler.refill();
  }

  /** Removes this instance's OpenHands pool containers and the slot directories (after unmounting what is mounted in them). */
  private async reap(): Promise<void> {
    const sb = this.o.sandboxes;
    const list = await sb.docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_INSTANCE}=${sb.instanceId}`, `${LABEL_OPENHANDS}=1`, `${LABEL_POOL}=1`] } });
    await Promise.all(list.map((c) => sb.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
    if (!existsSync(this.o.dir)) return;
    for (const name of readdirSync(this.o.dir)) await removeLeftoverDir(join(this.o.dir, name), this.o.log);
  }

  /** A ready slot (its agent server answered /ready), or undefined: the task starts a cold one. */
  take(): OpenHandsContainer | undefined {
    const ready = this.filler.ready;
    while (ready.length) {
      const slot = ready.shift() as OpenHandsContainer;
      if (!slot.stopped) {
        this.filler.refillLater();
        return slot;
      }
      void slot.remove().catch((e: unknown) => this.o.log(`openhands pool: removing a dead slot failed: ${String(e)}`));
    }
    if (this.started) this.filler.refill();
    return undefined;
  }

  stats(): PoolStats {
    return this.filler.stats();
  }

  /** Resolves once the pool holds its target of ready slots (tests, benchmarks). */
  waitFull(timeoutMs = 120_000): Promise<void> {
    return this.filler.waitUntilFull(timeoutMs);
  }

  private async fillOne(): Promise<OpenHandsContainer> {
    const slot = new OpenHandsContainer({ sandboxes: this.o.sandboxes, image: this.o.image, socketDir: join(this.o.dir, `slot-${randomBytes(6).toString('hex')}`), slot: true });
    try {
      slot.prepareDirs();
      await slot.start();
      await slot.waitReady(this.o.readyTimeoutMs, this.abort.signal);
      if (this.closed) throw new PushPalsError('sandbox_unavailable', 'the pool was closed');
      return slot;
    } catch (e) {
      await slot.remove().catch(() => undefined);
      throw e;
    }
  }

  /** Removes every slot not handed out (containers, mounts, directories). Tasks remove the slots they took. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort('shutdown');
    const idle = await this.filler.close();
    await Promise.all(idle.map((s) => s.remove().catch((e: unknown) => this.o.log(`openhands pool: removing a slot failed: ${String(e)}`))));
    if (existsSync(this.o.dir) && readdirSync(this.o.dir).length === 0) rmSync(this.o.dir, { recursive: true, force: true });
  }
}
