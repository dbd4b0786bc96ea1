import type Docker from 'dockerode';
import { PassThrough, type Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { PushPalsError } from '../errors';
import { RUNNER_SOURCE } from './runner-script';
import type { ExecOptions, ExecResult, SpaceInfo } from './types';

const T_STDOUT = 1;
const T_STDERR = 2;
const T_EXIT = 3;
const T_READY = 4;
const T_ERROR = 5;

interface ExitFrame {
  exitCode: number;
  timedOut: boolean;
  cancelled: boolean;
  truncated: boolean;
  durationMs: number;
  error: string | null;
  space?: { workspace: SpaceInfo | null; tmp: SpaceInfo | null } | null;
}

interface Pending {
  stdout: string[];
  stderr: string[];
  dec: { stdout: StringDecoder; stderr: StringDecoder };
  onOutput?: ExecOptions['onOutput'];
  resolve: (r: ExecResult) => void;
  reject: (e: Error) => void;
  t0: number;
  guard?: NodeJS.Timeout;
  forced?: 'timeout' | 'cancel';
}

export interface RunnerStartOptions {
  user: string;
  env: string[];
  readyTimeoutMs?: number;
}

/**
 * Host side of the in-sandbox runner: one hijacked docker exec (`node -e RUNNER_SOURCE`), many
 * commands multiplexed over it by id. If the runner or its stream dies, every pending command is
 * rejected with `sandbox_unavailable` and `dead` becomes true; the owner starts a new one.
 */
export class RunnerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buf: Buffer = Buffer.alloc(0);
  private stderrTail = '';
  private deadReason: string | undefined;
  private readyResolve?: (pid: number) => void;
  pid = 0;

  private constructor(
    private readonly stream: Duplex,
    private readonly exec: Docker.Exec,
  ) {}

  get dead(): boolean {
    return this.deadReason !== undefined;
  }

  static async start(docker: Docker, container: Docker.Container, o: RunnerStartOptions): Promise<RunnerClient> {
    const exec = await container.exec({
      // The source travels in the environment (argv stays short in `ps`); the runner deletes it
      // from its env before spawning anything.
      Cmd: ['node', '-e', 'eval(process.env.PUSHPALS_RUNNER_SOURCE)', 'pushpals-runner'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      User: o.user,
      WorkingDir: '/workspace',
      Env: [...o.env, `PUSHPALS_RUNNER_SOURCE=${RUNNER_SOURCE}`],
    });
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    const client = new RunnerClient(stream, exec);
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    out.on('data', (d: Buffer) => client.onBytes(d));
    err.on('data', (d: Buffer) => {
      client.stderrTail = (client.stderrTail + d.toString('utf8')).slice(-2000);
    });
    const gone = (why: string) => () => client.die(why);
    stream.on('end', gone('runner stream ended'));
    stream.on('close', gone('runner stream closed'));
    stream.on('error', (e: Error) => client.die(`runner stream error: ${e.message}`));
    const readyTimeout = o.readyTimeoutMs ?? 15_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.die('runner did not start');
        reject(new PushPalsError('sandbox_unavailable', `the sandbox runner did not start within ${readyTimeout} ms${client.tail()}`));
      }, readyTimeout);
      client.readyResolve = (pid) => {
        clearTimeout(timer);
        client.pid = pid;
        resolve();
      };
      client.onDeath = (why) => {
        clearTimeout(timer);
        reject(new PushPalsError('sandbox_unavailable', `the sandbox runner failed to start (${why})${client.tail()}`));
      };
    });
    client.onDeath = undefined;
    return client;
  }

  private onDeath?: (why: string) => void;

  private tail(): string {
    const t = this.stderrTail.trim();
    return t ? `: ${t.slice(-500)}` : '';
  }

  /** Runs one command; resolves with its result, rejects only if the runner dies under it. */
  run(command: string, o: Required<Pick<ExecOptions, 'timeoutMs' | 'maxOutputBytes'>> & ExecOptions): Promise<ExecResult> {
    if (this.deadReason !== undefined) {
      return Promise.reject(new PushPalsError('sandbox_unavailable', `the sandbox runner is gone (${this.deadReason})`));
    }
    const id = this.nextId++;
    return new Promise<ExecResult>((resolve, reject) => {
      const p: Pending = {
        stdout: [],
        stderr: [],
        dec: { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') },
        onOutput: o.onOutput,
        resolve,
        reject,
        t0: performance.now(),
      };
      this.pending.set(id, p);
      const onAbort = () => {
        p.forced ??= 'cancel';
        this.send({ op: 'kill', id });
      };
      // Already aborted (cancelled while the sandbox was starting): killed right after it is sent
      // below — a kill sent before the run names an id the runner does not know yet.
      if (o.signal && !o.signal.aborted) o.signal.addEventListener('abort', onAbort, { once: true });
      // Safety net if the runner is wedged: past timeout + 3 s, kill from here; + 6 s, give up on it.
      p.guard = setTimeout(() => {
        p.forced ??= 'timeout';
        this.send({ op: 'kill', id });
        p.guard = setTimeout(() => {
          this.destroy('runner did not report a killed command');
        }, 3000);
      }, o.timeoutMs + 3000);
      const cleanup = () => o.signal?.removeEventListener('abort', onAbort);
      p.resolve = (r) => {
        cleanup();
        resolve(r);
      };
      p.reject = (e) => {
        cleanup();
        reject(e);
      };
      this.send({
        op: 'run',
        id,
        cmd: command,
        cwd: o.cwd,
        env: o.env,
        timeoutMs: o.timeoutMs,
        maxOutputBytes: o.maxOutputBytes,
        killOnOverflow: o.killOnOverflow === true,
      });
      if (o.signal?.aborted) onAbort();
    });
  }

  private send(msg: Record<string, unknown>): void {
    if (this.deadReason !== undefined) return;
    this.stream.write(`${JSON.stringify(msg)}\n`);
  }

  private onBytes(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    while (this.buf.length - off >= 9) {
      const type = this.buf.readUInt8(off);
      const id = this.buf.readUInt32BE(off + 1);
      const len = this.buf.readUInt32BE(off + 5);
      if (this.buf.length - off < 9 + len) break;
      const payload = this.buf.subarray(off + 9, off + 9 + len);
      off += 9 + len;
      this.onFrame(type, id, payload);
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
  }

  private onFrame(type: number, id: number, payload: Buffer): void {
    if (type === T_READY) {
      const info = JSON.parse(payload.toString('utf8')) as { pid: number };
      this.readyResolve?.(info.pid);
      this.readyResolve = undefined;
      return;
    }
    const p = this.pending.get(id);
    if (!p) return;
    if (type === T_STDOUT || type === T_STDERR) {
      const which = type === T_STDOUT ? 'stdout' : 'stderr';
      const s = p.dec[which].write(payload);
      if (s) {
        p[which].push(s);
        p.onOutput?.(which, s);
      }
    } else if (type === T_EXIT) {
      const e = JSON.parse(payload.toString('utf8')) as ExitFrame;
      this.pending.delete(id);
      clearTimeout(p.guard);
      const restOut = p.dec.stdout.end();
      const restErr = p.dec.stderr.end();
      if (restOut) p.stdout.push(restOut);
      if (restErr) p.stderr.push(restErr);
      let stderr = p.stderr.join('');
      if (e.error) stderr += `${stderr && !stderr.endsWith('\n') ? '\n' : ''}[pushpals] ${e.error}\n`;
      p.resolve({
        exitCode: e.exitCode,
        stdout: p.stdout.join(''),
        stderr,
        truncated: e.truncated,
        timedOut: e.timedOut || (p.forced === 'timeout' && !e.cancelled),
        cancelled: e.cancelled && p.forced !== 'timeout',
        durationMs: Math.round((performance.now() - p.t0) * 10) / 10,
        via: 'runner',
        ...(e.space ? { space: { ...(e.space.workspace ? { workspace: e.space.workspace } : {}), ...(e.space.tmp ? { tmp: e.space.tmp } : {}) } } : {}),
      });
    } else if (type === T_ERROR) {
      this.pending.delete(id);
      clearTimeout(p.guard);
      p.reject(new PushPalsError('internal', `sandbox runner refused the request: ${payload.toString('utf8')}`));
    }
  }

  private die(why: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = why;
    const err = new PushPalsError('sandbox_unavailable', `the sandbox runner died (${why}) while running this command${this.tail()}`);
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.guard);
      p.reject(err);
    }
    this.onDeath?.(why);
    this.stream.destroy();
  }

  /** Ends the runner (its stdin closes; it kills its commands and exits) and frees the socket. */
  destroy(why = 'closed'): void {
    if (this.deadReason === undefined) {
      try {
        this.stream.end();
      } catch {
        /* already closed */
      }
    }
    this.die(why);
  }

  /** Exit code of the runner exec (for diagnostics), if it has ended. */
  async exitCode(): Promise<number | null> {
    const info = await this.exec.inspect();
    return info.Running ? null : info.ExitCode;
  }
}
