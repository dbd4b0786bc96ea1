/**
 * End-to-end environment for the integration suites: the REAL orchestrator (createApp, with its
 * workbench: repos, Docker sandboxes, policy, approvals, audit) on port 0 with a temp data dir, a real
 * Docker engine, a real git repository, and the real `pushpals` CLI.
 *
 * Nothing here is mocked. A missing Docker engine or worker image makes the suites FAIL (never skip)
 * with a message that says what to do.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createApp, loadConfig, silentLogger, type App, type Config, type ConfigOverrides } from '@pushpals/orchestrator';
// The orchestrator's test helpers, compiled (one copy of each for both test trees).
import { requireDocker } from '@pushpals/orchestrator/dist/test/helpers/docker';
import { ScriptedModelServer } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import { removeTempDirs, tempDir } from '@pushpals/orchestrator/dist/test/helpers/temp';
import { sleep, untilValue } from '@pushpals/orchestrator/dist/test/helpers/wait';
import { WsTestClient } from '@pushpals/orchestrator/dist/test/helpers/ws-client';

export { IMAGE as WORKER_IMAGE, requireDocker } from '@pushpals/orchestrator/dist/test/helpers/docker';
export { removeTempDirs, tempDir } from '@pushpals/orchestrator/dist/test/helpers/temp';
export { sleep, untilValue } from '@pushpals/orchestrator/dist/test/helpers/wait';
export { CommandError, WsTestClient } from '@pushpals/orchestrator/dist/test/helpers/ws-client';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CLI = join(REPO_ROOT, 'orchestrator', 'dist', 'src', 'cli.js');
/** How long a client waits for an event by default: tasks run real commands in real containers. */
export const E2E_WAIT_MS = 60_000;

function docker(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
}

/** The sandbox manager's instance label for a data dir (same derivation as orchestrator/src/workbench). */
export function instanceIdFor(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
}

/** Ids of the sandbox containers (running or not) of the orchestrator instance that owns `dataDir`. */
export function containersOf(dataDir: string): string[] {
  const r = docker(['ps', '-aq', '--filter', 'label=pushpals.managed=1', '--filter', `label=pushpals.instance=${instanceIdFor(dataDir)}`]);
  if (r.status !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** Force-removes this instance's containers (cleanup only; returns how many there were). */
export function removeContainersOf(dataDir: string): number {
  const ids = containersOf(dataDir);
  if (ids.length) docker(['rm', '-f', '-v', ...ids]);
  return ids.length;
}

/** The sandbox container(s) of one task (label pushpals.sandbox=<taskId>) of the instance owning `dataDir`. */
export function containersOfTask(dataDir: string, taskId: string): string[] {
  const r = docker(['ps', '-aq', '--filter', `label=pushpals.instance=${instanceIdFor(dataDir)}`, '--filter', `label=pushpals.sandbox=${taskId}`]);
  if (r.status !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** Unmounts working-copy volumes under `dir` that a killed orchestrator process left mounted (nobody else will). */
export function unmountLeftovers(dir: string): void {
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((p) => p.startsWith(`${dir}/`));
  for (const p of mounts) spawnSync('umount', ['-l', p]);
}

/** The parts of `docker inspect` the lockdown assertions read. */
export interface ContainerInspect {
  Config: { Image: string; User: string; Labels: Record<string, string> | null };
  HostConfig: {
    NetworkMode: string;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Privileged: boolean;
    ReadonlyRootfs: boolean;
    PidsLimit: number | null;
    Memory: number;
    NanoCpus: number;
    Binds: string[] | null;
  };
  Mounts: Array<{ Type: string; Source: string; Destination: string; RW: boolean }>;
}

export function inspectContainer(id: string): ContainerInspect {
  const r = docker(['inspect', id]);
  if (r.status !== 0) throw new Error(`docker inspect ${id} failed: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as ContainerInspect[];
  if (!info) throw new Error(`docker inspect ${id}: no output`);
  return info;
}

export function e2eConfig(dataDir: string, overrides: ConfigOverrides = {}): Config {
  // Suites assert that a finished task's copy is deleted: no retention unless a suite asks for it.
  return loadConfig({ env: {}, overrides: { ...overrides, sandbox: { keepFinishedHours: 0, ...overrides.sandbox }, port: 0, dataDir } });
}

/** The orchestrator in THIS process (createApp, with its workbench) on port 0 over `dataDir`. */
export async function startInProcessOrchestrator(dataDir: string, overrides: ConfigOverrides = {}): Promise<App> {
  return createApp(e2eConfig(dataDir, overrides), { logger: silentLogger });
}

/** A running orchestrator with a connected, subscribed client: what every integration suite starts with. */
export interface Session {
  dataDir: string;
  app: App;
  client: WsTestClient;
}

/** Checks Docker, makes a temp data dir, starts the orchestrator, connects and subscribes a client. */
export async function openSession(prefix: string, overrides: ConfigOverrides = {}): Promise<Session> {
  await requireDocker();
  const dataDir = tempDir(prefix);
  const app = await startInProcessOrchestrator(dataDir, overrides);
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'test-session', E2E_WAIT_MS);
  await client.start(0);
  return { dataDir, app, client };
}

/** Closes what openSession started (any part may be missing), removes its containers and temp dirs. */
export async function closeSession(s: Partial<Session>): Promise<void> {
  s.client?.close();
  await s.app?.close();
  if (s.dataDir) removeContainersOf(s.dataDir);
  removeTempDirs();
}

/** A session whose orchestrator talks to a scripted OpenAI-compatible model over real HTTP. */
export interface ModelSession extends Session {
  model: ScriptedModelServer;
}

export interface ModelSessionOptions {
  /** The model key: the scripted server checks it; the orchestrator reads it from <dataDir>/model-key (0600). None: no key at all. */
  key?: string;
  /** Model names the server knows; the first is the coder's. Default ['scripted-coder']. */
  models?: string[];
  /** Config on top of: that model (maxRetries 1), the planner off. `models` is merged into the model settings. */
  overrides?: ConfigOverrides;
  /** The client's session id (default 'test-session'). */
  sessionId?: string;
  /** How long the client waits for an event by default (E2E_WAIT_MS; OpenHands suites wait longer). */
  waitMs?: number;
}

/** openSession with a scripted model: the suites of the coding agent, the team, the review and OpenHands start here. */
export async function openModelSession(prefix: string, o: ModelSessionOptions): Promise<ModelSession> {
  await requireDocker();
  const names = o.models ?? ['scripted-coder'];
  const model = await ScriptedModelServer.start({ ...(o.key ? { apiKey: o.key } : {}), models: names });
  const dataDir = tempDir(prefix);
  try {
    if (o.key) writeFileSync(join(dataDir, 'model-key'), `${o.key}\n`, { mode: 0o600 });
    const { models, ...rest } = o.overrides ?? {};
    const app = await startInProcessOrchestrator(dataDir, { planner: { enabled: false }, ...rest, models: { baseUrl: model.url, model: names[0], maxRetries: 1, ...models } });
    const client = await WsTestClient.connect(app.wsUrl, app.token, o.sessionId ?? 'test-session', o.waitMs ?? E2E_WAIT_MS);
    await client.start(0);
    return { dataDir, app, client, model };
  } catch (e) {
    await model.close();
    removeContainersOf(dataDir);
    throw e;
  }
}

/** Closes what openModelSession started (any part may be missing). */
export async function closeModelSession(s: Partial<ModelSession>): Promise<void> {
  await closeSession(s);
  await s.model?.close();
}

/**
 * A suite's session, opened in its `before` and closed in its `after`; the accessors (arrow
 * properties: `const { c, m } = s` works) fail clearly when the suite's set-up did not get that far.
 */
abstract class HeldSession<S extends Session> {
  /** What the suite's set-up got (any part may be missing while or after it failed). */
  parts: Partial<S> = {};
  /** The client. */
  readonly c = (): WsTestClient => this.parts.client ?? assert.fail('no client: the suite set-up failed');
  readonly app = (): App => this.parts.app ?? assert.fail('no orchestrator: the suite set-up failed');
  readonly dataDir = (): string => this.parts.dataDir ?? assert.fail('no data dir: the suite set-up failed');
}

/** openSession/closeSession for one suite: `const s = new SuiteSession()`, `before(() => s.open(...))`, `after(() => s.close())`. */
export class SuiteSession extends HeldSession<Session> {
  async open(prefix: string, overrides: ConfigOverrides = {}): Promise<Session> {
    const session = await openSession(prefix, overrides);
    this.parts = session;
    return session;
  }
  close(): Promise<void> {
    return closeSession(this.parts);
  }
}

/** openModelSession/closeModelSession for one suite, with `m()`: the scripted model. */
export class ModelSuiteSession extends HeldSession<ModelSession> {
  readonly m = (): ScriptedModelServer => this.parts.model ?? assert.fail('no model server: the suite set-up failed');
  async open(prefix: string, o: ModelSessionOptions): Promise<ModelSession> {
    const session = await openModelSession(prefix, o);
    this.parts = session;
    return session;
  }
  close(): Promise<void> {
    return closeModelSession(this.parts);
  }
}

/** True once a finished task's working copy is deleted (polls up to timeoutMs): nothing keeps it without a diff to review. */
export async function workingCopyDeleted(dataDir: string, taskId: string, timeoutMs = 20_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (existsSync(join(dataDir, 'workspaces', taskId))) {
    if (Date.now() > end) return false;
    await sleep(50);
  }
  return true;
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'PushPals E2E',
      GIT_AUTHOR_EMAIL: 'e2e@example.invalid',
      GIT_COMMITTER_NAME: 'PushPals E2E',
      GIT_COMMITTER_EMAIL: 'e2e@example.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: cwd,
    },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The README of the fixture repo: a misspelling ("Teh") and trailing whitespace, for the heuristic fix. */
export const FIXTURE_README = '# Demo project\n\nTeh project says hello.   \n\nRun the tests with npm test.\n';

export interface FixtureRepoOptions {
  /** The package.json "test" script. Default: prints "tests ok". `null`: no package.json at all. */
  testScript?: string | null;
  /** Extra files (path → content: text, or bytes), committed. */
  files?: Record<string, string | Uint8Array>;
  /** Symlinks (path → target), committed (README.md may be one: then no README file is written). */
  symlinks?: Record<string, string>;
}

/** A real git repository (one commit on main) with a README to fix and an npm test script. */
export function makeFixtureRepo(o: FixtureRepoOptions = {}): string {
  const dir = tempDir('pushpals-e2e-repo-');
  if (!o.symlinks?.['README.md']) writeFileSync(join(dir, 'README.md'), FIXTURE_README);
  const testScript = o.testScript === undefined ? `node -e "console.log('tests ok')"` : o.testScript;
  if (testScript !== null) writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'e2e-demo', version: '1.0.0', private: true, scripts: { test: testScript } }, null, 2)}\n`);
  for (const [rel, content] of Object.entries(o.files ?? {})) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  for (const [rel, target] of Object.entries(o.symlinks ?? {})) symlinkSync(target, join(dir, rel));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial commit');
  return dir;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `pushpals` CLI (orchestrator/dist/src/cli.js) with PUSHPALS_HOME=dataDir. Blocks: only for offline subcommands (audit). */
export function runCli(dataDir: string, args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, PUSHPALS_HOME: dataDir },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the CLI without blocking the event loop: use it when the CLI talks to an orchestrator running
 * in THIS process (runCli's spawnSync would freeze the server it is waiting for).
 */
export function runCliAsync(dataDir: string | undefined, args: string[], timeoutMs = 60_000, input?: string): Promise<CliResult> {
  // No data dir: PUSHPALS_HOME unset, for a command line that names it itself (--data-dir).
  const env: NodeJS.ProcessEnv = { ...process.env, PUSHPALS_HOME: dataDir };
  if (dataDir === undefined) delete env.PUSHPALS_HOME;
  delete env.PUSHPALS_URL;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin?.end(input); // a secret goes in on stdin, never in argv
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pushpals ${args.join(' ')} did not finish within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolvePromise({ status, stdout, stderr });
    });
  });
}


/** A `pushpals serve` child process on `dataDir` (port 0), up: its server.json read, its stderr collected. */
export interface ServeChild {
  child: ChildProcess;
  /** Resolves when the process has exited (for a SIGKILL: once it is really gone). */
  exited: Promise<void>;
  wsUrl: string;
  pid: number;
  token: string;
  log(): string;
}

/** Starts the real CLI's `serve` as a child process and waits for it to write server.json (fails fast if it exits). */
export async function spawnServeChild(dataDir: string, timeoutMs = 30_000): Promise<ServeChild> {
  // A killed run's server.json names a dead port: wait for this child's own.
  rmSync(join(dataDir, 'server.json'), { force: true });
  let log = '';
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: REPO_ROOT, env: { ...process.env, PUSHPALS_HOME: dataDir, PUSHPALS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const info = await untilValue('server.json of the child', timeoutMs, () => {
    if (child.exitCode !== null) throw new Error(`the orchestrator exited early:\n${log}`);
    const f = join(dataDir, 'server.json');
    return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { wsUrl: string; pid: number }) : undefined;
  });
  return { child, exited, wsUrl: info.wsUrl, pid: info.pid, token: readFileSync(join(dataDir, 'token'), 'utf8').trim(), log: () => log };
}
