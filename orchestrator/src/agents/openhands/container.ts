/**
 * One OpenHands agent server per task, in a container hardened like every sandbox (the spec starts
 * from sandboxContainerSpec: network none, read-only root, uid 1000, no capabilities, limits). What
 * differs: the image, the command (uvicorn on a Unix socket + socat forwarding the SDK's model URL to
 * the broker's socket), a tmpfs HOME, and two more mounts — the agent server's socket directory
 * (read-write: the server creates its socket there) and the broker's (read-only: the container can
 * connect to the model socket, never replace it). No port is published, no bridge exists.
 *
 * A warm pool slot (`slot: true`, pool.ts) starts before its task: instead of the working copy and
 * the objects it mounts two empty shared mount points that `bindTask` later fills (slot-mounts.ts).
 */
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { PushPalsError } from '../../errors';
import { LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, LABEL_SANDBOX, sandboxContainerSpec, type SandboxManager } from '../../sandbox/manager';
import { checkImage, explainDockerError } from '../../sandbox/image';
import { assertSharedObjectsMount } from '../../sandbox/paths';
import type { SharedObjectsMount } from '../../sandbox/types';
import { setTimeout as sleep } from 'node:timers/promises';
import { OH_HOME, OH_WORKSPACE } from './tool-judge';
import { bindTaskIntoSlot, prepareSlotMounts, unmountAllUnder } from './slot-mounts';
import { udsRequest } from './uds';

export const DEFAULT_OPENHANDS_IMAGE = 'pushpals-openhands:dev';
export const LABEL_OPENHANDS = 'pushpals.openhands';
const IN_AGENT_DIR = '/run/pushpals/agent';
const IN_MODEL_DIR = '/run/pushpals/model';
/** The URL the SDK calls; socat inside turns it into the broker's socket. */
export const MODEL_URL_INSIDE = 'http://127.0.0.1:18080/v1';

export interface OpenHandsContainerOptions {
  sandboxes: SandboxManager;
  image: string;
  /** The task; a pool slot has none until bindTask. */
  taskId?: string;
  /** The working copy (a pool slot gets it at bindTask). */
  workspaceHostPath?: string;
  /** Per-task (or per-slot) directory on the host holding `agent/` and `model/` (created here, removed by remove()). */
  socketDir: string;
  /** The repository objects the working copy borrows (its `.git` alternates), mounted read-only as in a sandbox. */
  sharedObjects?: SharedObjectsMount;
  /** A warm pool slot: started ahead with empty mount points that bindTask fills. */
  slot?: boolean;
}

/** Where a slot mounts its objects mount point; a task's objects must live directly below it to be handed over. */
const SLOT_OBJECTS_DIR = '/.objects';

export class OpenHandsContainer {
  readonly sessionKey = randomBytes(24).toString('base64url');
  readonly agentSocket: string;
  readonly modelSocket: string;
  readonly uid: number;
  private container: Docker.Container | undefined;
  /** Resolves when the container stops, with how it ended. */
  exited: Promise<{ exitCode: number; oomKilled: boolean }> | undefined;
  /** True once the container stopped (a pool slot that died while idle is not handed out). */
  stopped = false;
  private removed = false;
  private bound = false;

  constructor(private readonly o: OpenHandsContainerOptions) {
    this.agentSocket = join(o.socketDir, 'agent', 'agent.sock');
    this.modelSocket = join(o.socketDir, 'model', 'model.sock');
    this.uid = Number(o.sandboxes.user.split(':')[0]);
  }

  get id(): string | undefined {
    return this.container?.id;
  }

  /** Makes the socket directories (the model socket must exist before start: see prepareDirs). */
  prepareDirs(): void {
    const [uid, gid] = this.o.sandboxes.user.split(':').map(Number) as [number, number];
    rmSync(this.o.socketDir, { recursive: true, force: true });
    mkdirSync(join(this.o.socketDir, 'model'), { recursive: true, mode: 0o755 });
    mkdirSync(join(this.o.socketDir, 'agent'), { mode: 0o700 });
    if (process.getuid?.() === 0) chownSync(join(this.o.socketDir, 'agent'), uid, gid);
  }

  /** Creates and starts the container (the broker must listen on modelSocket already). */
  async start(): Promise<void> {
    const sb = this.o.sandboxes;
    await checkImage(sb.docker, this.o.image).catch((e: unknown) => {
      if (e instanceof PushPalsError && /missing/.test(e.message)) {
        throw new PushPalsError('sandbox_unavailable', `the OpenHands image ${this.o.image} is missing: build it with \`pushpals sandbox build-image --openhands\` (or \`sudo bash scripts/setup-openhands-image.sh\`)`, { image: this.o.image });
      }
      throw e;
    });
    const slot = this.o.slot === true;
    const slotMounts = slot ? await prepareSlotMounts(this.o.socketDir) : undefined;
    const workspaceHostPath = slotMounts?.ws ?? this.o.workspaceHostPath;
    if (!workspaceHostPath) throw new PushPalsError('internal', 'an OpenHands container needs a working copy or a slot');
    const labels: Record<string, string> = { [LABEL_MANAGED]: '1', [LABEL_INSTANCE]: sb.instanceId, [LABEL_SANDBOX]: this.o.taskId ?? 'pool', [LABEL_OPENHANDS]: '1' };
    if (slot) labels[LABEL_POOL] = '1';
    const spec = sandboxContainerSpec({
      image: this.o.image,
      user: sb.user,
      workspaceHostPath,
      network: 'none',
      labels,
      limits: sb.limits,
      ...(!slot && this.o.sharedObjects ? { sharedObjects: { hostPath: assertSharedObjectsMount(this.o.sharedObjects, []), containerPath: this.o.sharedObjects.containerPath } } : {}),
    });
    const host = spec.HostConfig ?? {};
    if (slotMounts) {
      // The slot follows what the host mounts on its two mount points later (bindTask), and only that.
      host.Mounts = (host.Mounts ?? []).map((m) => (m.Target === OH_WORKSPACE ? { ...m, BindOptions: { Propagation: 'rslave' as const } } : m));
      host.Mounts.push({ Type: 'bind', Source: slotMounts.objects, Target: SLOT_OBJECTS_DIR, ReadOnly: true, BindOptions: { Propagation: 'rslave' } });
    }
    spec.Cmd = [
      'bash',
      '-c',
      `socat TCP-LISTEN:18080,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:${IN_MODEL_DIR}/model.sock & cd ${OH_HOME} && exec python3 -m uvicorn openhands.agent_server.api:api --uds ${IN_AGENT_DIR}/agent.sock --ws wsproto --log-level warning`,
    ];
    spec.Env = [
      `HOME=${OH_HOME}`,
      'PATH=/opt/openhands/bin:/usr/local/bin:/usr/bin:/bin',
      'LANG=C.UTF-8',
      `SESSION_API_KEY=${this.sessionKey}`,
      'OPENHANDS_SUPPRESS_BANNER=1',
      'LITELLM_LOCAL_MODEL_COST_MAP=True', // else litellm fetches a price map from the internet at import
      'OH_ENABLE_VSCODE=false',
      'OH_ENABLE_BROWSER=false',
      'OH_PRELOAD_TOOLS=false',
    ];
    spec.WorkingDir = OH_WORKSPACE;
    spec.Hostname = 'openhands';
    host.Tmpfs = { ...host.Tmpfs, [OH_HOME]: `rw,nosuid,nodev,size=67108864,uid=${this.uid},mode=0700` };
    host.Mounts = [
      ...(host.Mounts ?? []),
      { Type: 'bind', Source: join(this.o.socketDir, 'agent'), Target: IN_AGENT_DIR, ReadOnly: false, BindOptions: { Propagation: 'rprivate' } },
      { Type: 'bind', Source: join(this.o.socketDir, 'model'), Target: IN_MODEL_DIR, ReadOnly: true, BindOptions: { Propagation: 'rprivate' } },
    ];
    // Kept small, for the reason a server failed to start.
    host.LogConfig = { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } };
    spec.HostConfig = host;
    try {
      this.container = await sb.docker.createContainer(spec);
      this.exited = this.container.wait({ condition: 'next-exit' }).then(
        async (r: { StatusCode: number }) => {
          this.stopped = true;
          const info = await this.container?.inspect().catch(() => undefined);
          return { exitCode: r.StatusCode, oomKilled: info?.State.OOMKilled === true };
        },
        () => {
          this.stopped = true;
          return { exitCode: -1, oomKilled: false };
        },
      );
      await this.container.start();
    } catch (e) {
      await this.remove().catch(() => undefined);
      const x = explainDockerError(e, this.o.image);
      throw x instanceof PushPalsError ? x : new PushPalsError('sandbox_unavailable', `cannot start the OpenHands container: ${x.message}`);
    }
  }

  /**
   * Gives a started slot its task: the working copy appears at /workspace and the repository objects,
   * read-only, at their usual container path. Before the conversation exists (the agent's shell
   * starts with it, so it never saw the empty /workspace). Once per slot: a slot is never reused.
   */
  async bindTask(workspaceHostPath: string, sharedObjects?: SharedObjectsMount): Promise<void> {
    if (!this.o.slot || this.bound) throw new PushPalsError('internal', 'only a fresh pool slot takes a task');
    this.bound = true;
    const name = sharedObjects ? sharedObjects.containerPath.slice(SLOT_OBJECTS_DIR.length + 1) : '';
    if (sharedObjects && (!sharedObjects.containerPath.startsWith(`${SLOT_OBJECTS_DIR}/`) || name.includes('/'))) {
      throw new PushPalsError('sandbox_unavailable', `a pool slot mounts repository objects under ${SLOT_OBJECTS_DIR}, not at ${sharedObjects.containerPath}`);
    }
    await bindTaskIntoSlot(this.o.socketDir, workspaceHostPath, sharedObjects ? { hostPath: assertSharedObjectsMount(sharedObjects, []), name } : undefined);
  }

  /** Waits until the server answers /ready; fails with its last log lines if it exits or times out. */
  async waitReady(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: { exitCode: number } | undefined;
    void this.exited?.then((x) => (exited = x));
    while (!signal.aborted) {
      if (exited) throw new PushPalsError('sandbox_unavailable', `the OpenHands agent server exited (code ${exited.exitCode}) before it was ready: ${await this.logTail()}`);
      try {
        const r = await udsRequest(this.agentSocket, this.uid, 'GET', '/ready', { timeoutMs: 2000 });
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new PushPalsError('sandbox_unavailable', `the OpenHands agent server was not ready after ${timeoutMs} ms (openhands.readyTimeoutMs): ${await this.logTail()}`);
      await sleep(100);
    }
    throw new PushPalsError('cancelled', 'the task was stopped while the agent server started');
  }

  async logTail(): Promise<string> {
    try {
      const buf = (await this.container?.logs({ stdout: true, stderr: true, tail: 15 })) as Buffer | undefined;
      // Docker's multiplexed log frames: an 8-byte header per frame; keep the printable text.
      const text = (buf?.toString('utf8') ?? '').replace(/[\x00-\x08\x0e-\x1f]/g, '').trim();
      return text ? text.slice(-1500) : '(no output)';
    } catch {
      return '(no logs)';
    }
  }

  /** Runs a command in the container as its user and returns stdout (bounded); stderr is dropped. */
  async exec(cmd: string[], maxBytes = 8 * 1024 * 1024): Promise<{ exitCode: number; stdout: string }> {
    if (!this.container) throw new PushPalsError('sandbox_unavailable', 'the OpenHands container is not running');
    const ex = await this.container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: this.o.sandboxes.user, WorkingDir: OH_WORKSPACE });
    const stream = await ex.start({ hijack: true, stdin: false });
    const out: Buffer[] = [];
    let size = 0;
    const { PassThrough } = await import('node:stream');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (c: Buffer) => {
      if (size < maxBytes) out.push(c.subarray(0, maxBytes - size));
      size += c.length;
    });
    stderr.resume();
    this.o.sandboxes.docker.modem.demuxStream(stream, stdout, stderr);
    await new Promise<void>((r) => {
      stream.on('end', r);
      stream.on('close', r);
      stream.on('error', () => r());
    });
    const info = await ex.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8') };
  }

  /** Removes the container (killing tmux and everything else in it) and the socket directories. Idempotent. */
  async remove(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    await this.container?.remove({ force: true, v: true }).catch((e: unknown) => {
      if ((e as { statusCode?: number }).statusCode !== 404) throw explainDockerError(e);
    });
    if (this.o.slot) {
      // Never delete a slot dir with anything still mounted in it: the working copy could be bound there.
      const left = await unmountAllUnder(this.o.socketDir);
      if (left.length) throw new PushPalsError('internal', `could not unmount ${left.join(', ')}: ${this.o.socketDir} is left in place`);
    }
    rmSync(this.o.socketDir, { recursive: true, force: true });
  }
}
