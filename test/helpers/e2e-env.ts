/**
 * End-to-end environment for the integration suites: the REAL orchestrator (createApp, with its
 * workbench: repos, Docker sandboxes, policy, approvals, audit) on port 0 with a temp data dir, a real
 * Docker engine, a real git repository, and the real `pushpals` CLI.
 *
 * Nothing here is mocked. A missing Docker engine or worker image makes the suites FAIL (never skip)
 * with a message that says what to do.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createApp, loadConfig, silentLogger, type App, type Config, type ConfigOverrides } from '@pushpals/orchestrator';
import { TestClient } from './ws-client';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CLI = join(REPO_ROOT, 'orchestrator', 'dist', 'src', 'cli.js');
export const WORKER_IMAGE = 'pushpals-worker:dev';

const tempDirs: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

function docker(args: string[]): SpawnSyncReturns<string> {
  return spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
}

/** Throws (fails the suite) when the Docker engine or the worker image is not usable. */
export function requireDocker(): void {
  const info = docker(['info', '--format', '{{.ServerVersion}}']);
  if (info.error || info.status !== 0) {
    throw new Error(
      `These end-to-end tests need a real Docker engine and none answered ("docker info" failed: ${
        info.error?.message ?? info.stderr.trim()
      }). Start dockerd (see ../shared/recipes/docker/) or point DOCKER_HOST at an engine.`,
    );
  }
  const img = docker(['image', 'inspect', '--format', '{{.Id}}', WORKER_IMAGE]);
  if (img.status !== 0) {
    throw new Error(`The worker image ${WORKER_IMAGE} is missing: build it with "node orchestrator/dist/src/cli.js sandbox build-image".`);
  }
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
  return loadConfig({ env: {}, overrides: { ...overrides, port: 0, dataDir } });
}

export async function startOrchestrator(dataDir: string, overrides: ConfigOverrides = {}): Promise<App> {
  return createApp(e2eConfig(dataDir, overrides), { logger: silentLogger });
}

/** A running orchestrator with a connected, subscribed client: what every integration suite starts with. */
export interface Session {
  dataDir: string;
  app: App;
  client: TestClient;
}

/** Checks Docker, makes a temp data dir, starts the orchestrator, connects and subscribes a client. */
export async function openSession(prefix: string, overrides: ConfigOverrides = {}): Promise<Session> {
  requireDocker();
  const dataDir = tempDir(prefix);
  const app = await startOrchestrator(dataDir, overrides);
  const client = await TestClient.connect(app.wsUrl, app.token);
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
  /** The package.json "test" script. Default: prints "tests ok". */
  testScript?: string;
  /** Extra files (path → content), committed. */
  files?: Record<string, string>;
  /** Symlinks (path → target), committed (README.md may be one: then no README file is written). */
  symlinks?: Record<string, string>;
}

/** A real git repository (one commit on main) with a README to fix and an npm test script. */
export function makeFixtureRepo(o: FixtureRepoOptions = {}): string {
  const dir = tempDir('pushpals-e2e-repo-');
  if (!o.symlinks?.['README.md']) writeFileSync(join(dir, 'README.md'), FIXTURE_README);
  const testScript = o.testScript ?? `node -e "console.log('tests ok')"`;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'e2e-demo', version: '1.0.0', private: true, scripts: { test: testScript } }, null, 2)}\n`);
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
export function runCliAsync(dataDir: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, PUSHPALS_HOME: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
