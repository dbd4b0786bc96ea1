/**
 * An orchestrator that is not root, with the default per-task disk limit: loop mounts are impossible,
 * so it fails CLOSED and says so at start-up (its log), in /api/status and in `pushpals status` —
 * not first at a task. The real CLI (`pushpals serve`) as uid 1000 (setpriv), a real HTTP server.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, REPO_ROOT, runCliAsync, sleep, tempDir, removeTempDirs } from '../helpers/e2e-env';

describe('not root: the per-task disk limit fails closed at start-up, and status says why', function () {
  let child: ChildProcess | undefined;
  let dataDir = '';
  let log = '';

  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // the test itself needs root to drop to uid 1000
    dataDir = tempDir('pushpals-e2e-notroot-');
    chownSync(dataDir, 1000, 1000);
    child = spawn('setpriv', ['--reuid=1000', '--regid=1000', '--clear-groups', process.execPath, CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const end = Date.now() + 30_000;
    while (!(existsSync(join(dataDir, 'server.json')) && /tasks cannot get a working copy/.test(log))) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`the orchestrator did not start or did not say it: ${log}`);
      await sleep(100);
    }
  });

  after(async function () {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child?.once('close', r));
    }
    removeTempDirs();
  });

  it('the start-up log says it as an error: not root, loop mounts need root, and the two ways out', function () {
    const line = log.split('\n').find((l) => l.includes('tasks cannot get a working copy')) ?? '';
    assert.match(line, /error/i, line);
    assert.match(line, /runs as uid 1000/);
    assert.match(line, /needs root/);
    assert.match(line, /diskLimitMb to 0/);
  });

  it('/api/status and `pushpals status` show it as a problem', async function () {
    const info = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { url: string };
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const status = (await (await fetch(`${info.url}/api/status`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { workbench: { diskLimit: { ok: boolean; limitMb: number; problem: string }; pool: { target: number } } };
    assert.equal(status.workbench.diskLimit.ok, false);
    assert.equal(status.workbench.diskLimit.limitMb, 2048);
    assert.match(status.workbench.diskLimit.problem, /needs root/);
    assert.equal(status.workbench.pool.target, 0, 'no pool slots are made that could never hold a volume');
    const cli = await runCliAsync(dataDir, ['status', '--url', info.url]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /PROBLEM disk limit \(tasks fail until fixed\): .*needs root/);
  });
});
