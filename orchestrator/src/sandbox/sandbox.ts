import type Docker from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { posix } from 'node:path';
import { PushPalsError } from '../errors';
import { diagnoseDiskFull } from './disk-full';
import { RunnerClient } from './runner';
import { spaceOf } from './volumes';
import type { ExecOptions, ExecResult, OutputStream, SandboxLimits } from './types';

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
/** Longest allowed command timeout (24 h). */
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;
/** Environment of every sandbox process (the root fs is read-only: HOME must be the tmpfs). */
export const SANDBOX_ENV = ['HOME=/tmp', 'TMPDIR=/tmp', 'LANG=C.UTF-8', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

/** @internal what the manager passes to a sandbox. */
export interface SandboxInit {
  docker: Docker;
  container: Docker.Container;
  taskId: string;
  workspaceHostPath: string;
  network: string;
  user: string;
  log: (msg: string) => void;
  onRelease: (sb: Sandbox) => Promise<void>;
  limits: SandboxLimits;
  diskHints: { workspace: string; tmp: string };
  /** Environment of every command (AcquireOptions.env), under each exec's own. */
  env: Record<string, string>;
}

const MAX_RUNNER_STARTS = 20;

/**
 * One task's container. `exec` runs commands through the long-lived in-container runner (sub-ms
 * overhead); `execPlain` through a fresh docker exec (~70-90 ms; the fallback when the runner cannot
 * be started). Results never hold more than maxOutputBytes of output.
 */
export class Sandbox {
  readonly id: string;
  readonly network: string;
  private _taskId: string;
  private _workspaceHostPath: string;
  private _prepared: string | undefined;
  private runner: RunnerClient | undefined;
  private runnerStarting: Promise<RunnerClient | undefined> | undefined;
  private runnerStarts = 0;
  private released = false;
  private releasing: Promise<void> | undefined;

  constructor(private readonly init: SandboxInit) {
    this.id = init.container.id;
    this.network = init.network;
    this._taskId = init.taskId;
    this._workspaceHostPath = init.workspaceHostPath;
  }

  get taskId(): string {
    return this._taskId;
  }
  /** The host directory mounted read-write at /workspace. */
  get workspaceHostPath(): string {
    return this._workspaceHostPath;
  }
  get container(): Docker.Container {
    return this.init.container;
  }
  /** How many times a runner was started in this sandbox (1 normally; more after runner deaths). */
  get runnerStartCount(): number {
    return this.runnerStarts;
  }
  get isReleased(): boolean {
    return this.released;
  }

  /** @internal the warm pool hands this sandbox to a task. */
  adopt(taskId: string, workspaceHostPath: string, prepared?: string): void {
    this._taskId = taskId;
    this._workspaceHostPath = workspaceHostPath;
    this._prepared = prepared;
  }

  /** What the pool's preparer made of this sandbox's working copy before a task took it (SlotPreparer), if anything. */
  get prepared(): string | undefined {
    return this._prepared;
  }

  /** Starts the runner now (acquire does it in the background; exec waits for it). */
  async startRunner(readyTimeoutMs?: number): Promise<boolean> {
    return (await this.ensureRunner(readyTimeoutMs)) !== undefined;
  }

  private ensureRunner(readyTimeoutMs?: number): Promise<RunnerClient | undefined> {
    if (this.runner && !this.runner.dead) return Promise.resolve(this.runner);
    if (this.runnerStarting) return this.runnerStarting;
    if (this.released || this.runnerStarts >= MAX_RUNNER_STARTS) return Promise.resolve(undefined);
    this.runnerStarts++;
    const restart = this.runnerStarts > 1;
    this.runnerStarting = RunnerClient.start(this.init.docker, this.init.container, {
      user: this.init.user,
      env: SANDBOX_ENV,
      readyTimeoutMs: readyTimeoutMs ?? (restart ? 5000 : 15_000),
    }).then(
      (r) => {
        this.runnerStarting = undefined;
        if (this.released) {
          r.destroy('sandbox released');
          return undefined;
        }
        if (restart) this.init.log(`sandbox ${this.short()}: runner restarted (start #${this.runnerStarts})`);
        this.runner = r;
        return r;
      },
      (e: unknown) => {
        this.runnerStarting = undefined;
        this.init.log(`sandbox ${this.short()}: runner unavailable, falling back to plain exec: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      },
    );
    return this.runnerStarting;
  }

  private short(): string {
    return `${this.id.slice(0, 12)} (task ${this._taskId || 'pool'})`;
  }

  private assertOpen(): void {
    if (this.released) throw new PushPalsError('sandbox_unavailable', `sandbox ${this.short()} was released`);
  }

  /**
   * Runs `bash -c command` as the sandbox user in /workspace (or cwd). Timeout kills the command's
   * whole process tree; output past maxOutputBytes is dropped (truncated: true). Rejects with
   * `sandbox_unavailable` only if the sandbox itself fails (released, runner died mid-command,
   * container gone); a failing command is a result with its exit code, and `diskFull` when it ran
   * into the working copy's or /tmp's size limit.
   */
  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    const runner = await this.ensureRunner();
    if (!runner) return this.execPlain(command, opts);
    try {
      return this.withDiagnosis(await runner.run(command, this.normalize(opts)));
    } catch (e) {
      throw await this.explainFailure(e);
    }
  }

  private withDiagnosis(r: ExecResult): ExecResult {
    const diskFull = diagnoseDiskFull(r, () => spaceOf(this._workspaceHostPath), this.init.limits, this.init.diskHints);
    return diskFull ? { ...r, diskFull } : r;
  }

  private normalize(opts: ExecOptions): ExecOptions & { timeoutMs: number; maxOutputBytes: number; cwd: string } {
    const timeoutMs = Math.min(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS); // timers overflow past 2^31 ms
    const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new PushPalsError('invalid_message', 'timeoutMs must be a positive number');
    if (!(maxOutputBytes >= 0) || !Number.isFinite(maxOutputBytes)) throw new PushPalsError('invalid_message', 'maxOutputBytes must be >= 0');
    const cwd = posix.resolve('/workspace', opts.cwd ?? '.');
    let onOutput = opts.onOutput;
    if (onOutput) {
      const user = onOutput;
      onOutput = (s, c) => {
        try {
          user(s, c);
        } catch {
          /* a listener's bug must not break the stream */
        }
      };
    }
    const env = Object.keys(this.init.env).length ? { ...this.init.env, ...opts.env } : opts.env;
    return { ...opts, timeoutMs, maxOutputBytes, cwd, onOutput, ...(env ? { env } : {}) };
  }

  private async explainFailure(e: unknown): Promise<Error> {
    if (!(e instanceof PushPalsError) || e.code !== 'sandbox_unavailable') return e instanceof Error ? e : new Error(String(e));
    try {
      const st = (await this.init.container.inspect()).State;
      if (!st.Running) {
        return new PushPalsError('sandbox_unavailable', `${e.message}; the sandbox container is no longer running (status ${st.Status}, OOMKilled ${st.OOMKilled}, exit ${st.ExitCode})`);
      }
      if (st.OOMKilled) return new PushPalsError('sandbox_unavailable', `${e.message}; the container hit its memory limit (OOM)`);
    } catch {
      return new PushPalsError('sandbox_unavailable', `${e.message}; the sandbox container is gone`);
    }
    return e;
  }

  /**
   * The same command through a fresh docker exec (`timeout -s KILL` inside, which kills the
   * command's process group). ~70-90 ms of fixed overhead; kept for comparison and as fallback.
   * Cancellation here only stops waiting; the process ends at its timeout.
   */
  async execPlain(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.assertOpen();
    const o = this.normalize(opts);
    const t0 = performance.now();
    const env = [...SANDBOX_ENV, ...Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`)];
    let stream: Duplex;
    let exec: Docker.Exec;
    try {
      exec = await this.init.container.exec({
        Cmd: ['timeout', '-s', 'KILL', (o.timeoutMs / 1000).toFixed(3), 'bash', '-c', command],
        AttachStdout: true,
        AttachStderr: true,
        User: this.init.user,
        WorkingDir: o.cwd,
        Env: env,
      });
      stream = (await exec.start({})) as Duplex;
    } catch (e) {
      throw await this.explainFailure(new PushPalsError('sandbox_unavailable', `docker exec failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    const kept = { stdout: [] as string[], stderr: [] as string[] };
    const dec = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    let total = 0;
    let truncated = false;
    const sink = (which: OutputStream) => {
      const p = new PassThrough();
      p.on('data', (d: Buffer) => {
        if (total >= o.maxOutputBytes) {
          truncated = true;
          return;
        }
        let chunk = d;
        if (total + d.length > o.maxOutputBytes) {
          chunk = d.subarray(0, o.maxOutputBytes - total);
          truncated = true;
        }
        total += chunk.length;
        const s = dec[which].write(chunk);
        if (s) {
          kept[which].push(s);
          o.onOutput?.(which, s);
        }
      });
      return p;
    };
    this.init.docker.modem.demuxStream(stream, sink('stdout'), sink('stderr'));
    let hostTimedOut = false;
    let cancelled = false;
    await new Promise<void>((res) => {
      const guard = setTimeout(() => {
        hostTimedOut = true;
        res();
      }, o.timeoutMs + 3000);
      const onAbort = () => {
        cancelled = true;
        res();
      };
      o.signal?.addEventListener('abort', onAbort, { once: true });
      if (o.signal?.aborted) onAbort(); // cancelled before it started: a listener added now never fires
      const done = () => {
        clearTimeout(guard);
        o.signal?.removeEventListener('abort', onAbort);
        res();
      };
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
    });
    stream.destroy(); // dockerode keeps the socket open otherwise
    let exitCode = 137;
    if (!hostTimedOut && !cancelled) {
      for (let i = 0; i < 200; i++) {
        const info = await exec.inspect();
        if (!info.Running) {
          exitCode = info.ExitCode ?? -1;
          break;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const durationMs = Math.round((performance.now() - t0) * 10) / 10;
    const so = dec.stdout.end();
    const se = dec.stderr.end();
    if (so) kept.stdout.push(so);
    if (se) kept.stderr.push(se);
    return this.withDiagnosis({
      exitCode,
      stdout: kept.stdout.join(''),
      stderr: kept.stderr.join(''),
      truncated,
      timedOut: hostTimedOut || (!cancelled && exitCode === 137 && durationMs >= o.timeoutMs),
      cancelled,
      durationMs,
      via: 'exec',
    });
  }

  /** Removes the container (and the runner with it). Idempotent. The workspace directory stays. */
  release(): Promise<void> {
    if (this.releasing) return this.releasing;
    this.released = true;
    this.runner?.destroy('sandbox released');
    this.releasing = this.init.onRelease(this);
    return this.releasing;
  }

  /** @internal */
  dropRunner(): void {
    this.runner?.destroy('sandbox released');
  }
}
