/**
 * Cheap working copies end to end, with the defaults (per-task disk limit on, warm pool on, finished
 * copies kept 24 h): 10 tasks on one repository share its objects (their copies take a small
 * fraction of 10 full copies); a commit made inside a sandbox works on the shared objects (which the
 * sandbox cannot write); the person can `git status` a copy; a warm slot made at the default branch
 * moves to a live base on another branch and gets the person's uncommitted work laid over it;
 * `pushpals gc` deletes the finished ones.
 * Real orchestrator, real Docker, real git, real loop-mounted volumes (root).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { App } from '@pushpals/orchestrator';
import { allocatedBytes } from '@pushpals/orchestrator/dist/src/workbench/working-copies';
import { closeSession, git, makeFixtureRepo, openSession, runCliAsync, type WsTestClient } from '../helpers/e2e-env';
import { ofType, trace, waitIdle } from '../helpers/task-flow';

const TASKS = 10;
const BLOB_MB = 16;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Host git as the person runs it (no config of ours, a throwaway HOME). */
function personGit(cwd: string, args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', GIT_CONFIG_NOSYSTEM: '1', ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('working copies share the repository objects; retention and gc; commits and the person\'s git status work', function () {
  let dataDir = '';
  let app: App | undefined;
  let client: WsTestClient | undefined;
  let repoId = '';
  let repoDir = '';
  const taskIds: string[] = [];
  const ws = (taskId: string) => join(dataDir, 'workspaces', taskId);

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the default disk limit needs root (loop mounts): run the tests as root');
    // The product defaults (disk limit 2048 MiB, warm pool 1), with the retention the e2e helper turns off.
    ({ dataDir, app, client } = await openSession('pushpals-e2e-copies-', { sandbox: { keepFinishedHours: 24 } }));
    await app.workbench?.start();
    assert.equal(app.workbench?.diskProblem, undefined, app.workbench?.diskProblem?.message);
    assert.equal(app.workbench?.sandboxProblem, undefined, app.workbench?.sandboxProblem);
    // History that the checkout does not hold: a 16 MB blob, committed and deleted again.
    repoDir = makeFixtureRepo();
    writeFileSync(join(repoDir, 'big.bin'), randomBytes(BLOB_MB * 1024 * 1024));
    git(repoDir, 'add', 'big.bin');
    git(repoDir, 'commit', '-q', '-m', 'big');
    git(repoDir, 'rm', '-q', 'big.bin');
    git(repoDir, 'commit', '-q', '-m', 'drop big');
    ({ repoId } = await client.send('repo_add', { source: repoDir }));
  });

  after(async function () {
    await closeSession({ app, client, dataDir });
  });

  it(`${TASKS} tasks: every copy borrows the clone's objects; together they take a small fraction of ${TASKS} full copies`, async function () {
    assert.ok(app?.workbench && client, 'set-up failed');
    await app.workbench.sandboxes.waitForPool(60_000);
    for (let i = 0; i < TASKS; i++) taskIds.push((await client.send('task_new', { request: 'Run git status on this repo', repoId })).taskId);
    for (const taskId of taskIds) {
      await waitIdle(client, taskId);
      const c: WsTestClient = client;
      const result = ofType(c.forTask(taskId), 'tool_result')[0];
      assert.equal(result?.payload.ok, true, trace(c, taskId));
      assert.match(result?.payload.stdout ?? '', /nothing to commit, working tree clean/, trace(c, taskId));
    }
    spawnSync('sync'); // ext4 allocates on writeback: count the volumes' blocks once they are written
    const mirrorObjects = join(dataDir, 'repos', repoId, 'objects');
    const objectsBytes = allocatedBytes(mirrorObjects);
    let copiesBytes = 0;
    let copiesGitBytes = 0;
    let checkoutBytes = 0;
    for (const taskId of taskIds) {
      // Kept (finished less than 24 h ago), a volume of its own, borrowing the objects.
      assert.ok(existsSync(join(ws(taskId), 'README.md')), `the copy of ${taskId} was not kept`);
      assert.equal(readFileSync(join(ws(taskId), '.git', 'objects', 'info', 'alternates'), 'utf8'), `../../../.objects/${repoId}\n`);
      copiesBytes += allocatedBytes(ws(taskId));
      copiesGitBytes += allocatedBytes(join(ws(taskId), '.git'));
      checkoutBytes = allocatedBytes(ws(taskId)) - allocatedBytes(join(ws(taskId), '.git'));
    }
    const fullCopies = TASKS * (objectsBytes + checkoutBytes);
    const imagesBytes = taskIds.reduce((n, t) => n + statSync(join(dataDir, 'volumes', `${t}.img`)).blocks * 512, 0);
    console.log(`      ${TASKS} working copies: files ${mb(copiesBytes)} (their .git: ${mb(copiesGitBytes)}), host disk of their volumes ${mb(imagesBytes)}, + the shared objects once: ${mb(objectsBytes)}; ${TASKS} full copies (objects each): ${mb(fullCopies)}`);
    assert.ok(imagesBytes + objectsBytes < fullCopies / 2, `the volumes ${mb(imagesBytes)} + shared ${mb(objectsBytes)} are not a fraction of ${mb(fullCopies)}`);
    assert.ok(objectsBytes > BLOB_MB * 1e6, `the clone holds the ${BLOB_MB} MB blob (${mb(objectsBytes)})`);
    assert.ok(copiesBytes + objectsBytes < fullCopies / 5, `copies ${mb(copiesBytes)} + shared ${mb(objectsBytes)} is not a small fraction of ${mb(fullCopies)}`);
    assert.ok(copiesGitBytes < objectsBytes / 10, `the copies' .git dirs (${mb(copiesGitBytes)}) hold objects`);

    const status = (await (await fetch(`${app.url}/api/status`, { headers: { Authorization: `Bearer ${app.token}` } })).json()) as { workbench: { workingCopies: number; workingCopiesBytes: number; sharedObjectsBytes: number; diskLimit: { ok: boolean } } };
    assert.equal(status.workbench.workingCopies, TASKS);
    assert.equal(status.workbench.diskLimit.ok, true);
    assert.ok(status.workbench.sharedObjectsBytes >= objectsBytes);
  });

  it('a commit inside the sandbox works on the shared objects (read-only there) and lands in the copy\'s own store; the host sees it', async function () {
    assert.ok(app?.workbench, 'set-up failed');
    const taskId = taskIds[0] as string;
    const sb = await app.workbench.acquireSandbox(taskId, ws(taskId));
    try {
      const run = async (cmd: string) => sb.exec(cmd, { timeoutMs: 60_000 });
      const write = await run(`touch /.objects/${repoId}/planted 2>&1; echo rc=$?`);
      assert.match(write.stdout, /Read-only file system[\s\S]*rc=1/, `the shared objects are writable in the sandbox: ${write.stdout}`);
      const commit = await run('echo change >> README.md && git -c user.name=Agent -c user.email=agent@example.invalid commit -qam "agent change" && git log --oneline | head -3 && git fsck --connectivity-only 2>&1 && git count-objects -v');
      assert.equal(commit.exitCode, 0, `${commit.stdout}\n${commit.stderr}`);
      assert.match(commit.stdout, /agent change[\s\S]*drop big[\s\S]*big/);
      assert.match(commit.stdout, /^count: [1-9]/m, 'the new objects are loose in the copy');
    } finally {
      await sb.release();
    }
    assert.ok(!existsSync(join(dataDir, 'repos', repoId, 'objects', 'planted')));
    // The person's host git (sudo by the sandbox user) reads the commit through the relative alternates.
    const log = personGit(ws(taskId), ['log', '--format=%s', '-n', '3'], { SUDO_UID: '1000' });
    assert.equal(log.status, 0, log.out);
    assert.deepEqual(log.out.trim().split('\n'), ['agent change', 'drop big', 'big']);
  });

  it('the person can git status a working copy: as the sandbox user (sudo), or as root with the documented safe.directory', function () {
    const dir = ws(taskIds[1] as string);
    // Control: plain root is refused (the copy belongs to the sandbox user, uid 1000): git's own guard against planted config.
    const root = personGit(dir, ['status', '--short']);
    assert.notEqual(root.status, 0);
    assert.match(root.out, /dubious ownership/);
    const sudo = personGit(dir, ['status'], { SUDO_UID: '1000' });
    assert.equal(sudo.status, 0, sudo.out);
    assert.match(sudo.out, /nothing to commit, working tree clean/);
    const trusted = personGit(dir, ['-c', `safe.directory=${dir}`, 'status', '--short']);
    assert.equal(trusted.status, 0, trusted.out);
    assert.equal(trusted.out, '');
  });

  it('a warm slot checked out ahead at the default branch; the live base is another branch with uncommitted work: the task gets that commit, files rewritten where they differ, the overlay on top (writable by the sandbox user)', async function () {
    assert.ok(app?.workbench && client, 'set-up failed');
    await app.workbench.sandboxes.waitForPool(60_000); // a slot holding main's head ("drop big")
    // The person switches to an older branch and edits without committing: that is the next base.
    git(repoDir, 'checkout', '-q', '-b', 'older', 'HEAD~1');
    const big = git(repoDir, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(repoDir, 'README.md'), '# edited, not committed\n');
    writeFileSync(join(repoDir, 'staged.txt'), 'staged, not committed\n');
    git(repoDir, 'add', 'staged.txt');
    writeFileSync(join(repoDir, 'untracked.txt'), 'untracked\n');
    try {
      const { taskId } = await client.send('task_new', { request: 'Run git status on this repo', repoId, includeUncommitted: true });
      taskIds.push(taskId);
      await waitIdle(client, taskId);
      const result = ofType(client.forTask(taskId), 'tool_result')[0];
      assert.equal(result?.payload.ok, true, trace(client, taskId));
      const out = result?.payload.stdout ?? '';
      assert.match(out, new RegExp(`On branch pushpals/${taskId}\\b`), out);
      assert.match(out, /Changes to be committed:[\s\S]*new file:\s+staged\.txt[\s\S]*Changes not staged for commit:[\s\S]*modified:\s+README\.md[\s\S]*Untracked files:[\s\S]*untracked\.txt/, out);
      assert.deepEqual(ofType(client.forTask(taskId), 'task_base')[0]?.payload.base, { commit: big, branch: 'older', uncommitted: true, files: 3 });
      assert.equal(statSync(join(ws(taskId), 'big.bin')).size, BLOB_MB * 1024 * 1024, 'the base commit\'s file is checked out');
      assert.equal(readFileSync(join(ws(taskId), '.git', 'refs', 'heads', 'pushpals', taskId), 'utf8').trim(), big);
      assert.equal(readFileSync(join(ws(taskId), '.git', 'refs', 'remotes', 'origin', 'older'), 'utf8').trim(), big);
      assert.ok(!existsSync(join(ws(taskId), '.git', 'refs', 'remotes', 'origin', 'main')), 'the slot\'s remote-tracking ref went');
      assert.ok(!existsSync(join(ws(taskId), '.git', 'refs', 'heads', 'pushpals', 'pool')), 'the pool branch is gone');
      // What the host wrote into the copy belongs to the sandbox user, who can change and commit it.
      for (const f of ['README.md', 'staged.txt', 'untracked.txt', '.git/index']) assert.equal(statSync(join(ws(taskId), f)).uid, 1000, f);
      const sb = await app.workbench.acquireSandbox(taskId, ws(taskId));
      try {
        const r = await sb.exec('echo more >> untracked.txt && git add -A && git -c user.name=Agent -c user.email=agent@example.invalid commit -qm overlay && git show --stat --format=%s HEAD', { timeoutMs: 60_000 });
        assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /overlay[\s\S]*README\.md[\s\S]*staged\.txt[\s\S]*untracked\.txt/, r.stdout);
      } finally {
        await sb.release();
      }
    } finally {
      git(repoDir, 'checkout', '-q', '-f', 'main');
      git(repoDir, 'clean', '-qfd');
    }
  });

  it('pushpals gc: finished copies younger than --older-than-hours stay; 0 deletes every finished one (volumes and images too)', async function () {
    assert.ok(app, 'set-up failed');
    const young = await runCliAsync(dataDir, ['gc', '--older-than-hours', '1', '--json', '--url', app.url]);
    assert.equal(young.status, 0, young.stderr);
    assert.deepEqual(JSON.parse(young.stdout), { removed: [], freedBytes: 0, kept: taskIds.length });
    const all = await runCliAsync(dataDir, ['gc', '--older-than-hours', '0', '--json', '--url', app.url]);
    assert.equal(all.status, 0, all.stderr);
    const r = JSON.parse(all.stdout) as { removed: string[]; freedBytes: number; kept: number };
    assert.deepEqual([...r.removed].sort(), [...taskIds].sort());
    assert.equal(r.kept, 0);
    assert.ok(r.freedBytes > 0);
    for (const taskId of taskIds) {
      assert.ok(!existsSync(ws(taskId)), `${taskId} still has a copy`);
      assert.ok(!existsSync(join(dataDir, 'volumes', `${taskId}.img`)), `${taskId} still has an image`);
    }
    assert.deepEqual(readdirSync(join(dataDir, 'workspaces')).filter((n) => !n.startsWith('.')), []);
    const status = await runCliAsync(dataDir, ['status', '--url', app.url]);
    assert.equal(status.status, 0, status.stderr);
    assert.match(status.stdout, /working copies: 0 using 0\.0 MB \+ [0-9.]+ MB of shared objects; finished ones kept 24 h/);
  });
});
