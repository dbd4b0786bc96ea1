/**
 * Per-task disk limits and working-copy lifetime, end to end over the wire: a task whose command
 * writes past sandbox.diskLimitMb fails with `disk_full` saying the limit and how to raise it; a
 * finished task's working copy (mount, image, loop device) is deleted; a copy with a diff awaiting
 * review is kept until nothing of it is left to commit (here: every hunk rejected), also across a restart; a restart sweeps copies of
 * tasks that are final already. Real orchestrator, real Docker, real loop-mounted ext4.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFixtureRepo, startInProcessOrchestrator, SuiteSession, WsTestClient } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const LIMIT_MB = 64;

const isMountPoint = (p: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);
const loopDevicesOf = (img: string): string => execFileSync('losetup', ['-j', img], { encoding: 'utf8' }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

describe('disk limits end to end: disk_full, working copies deleted when done, kept for review', function () {
  const s = new SuiteSession();
  const { c } = s;
  const ws = (taskId: string) => join(s.dataDir(), 'workspaces', taskId);
  const img = (taskId: string) => join(s.dataDir(), 'volumes', `${taskId}.img`);
  /** The working copy, its image, its mount and its loop device are all gone. */
  const gone = (taskId: string): boolean => !existsSync(ws(taskId)) && !existsSync(img(taskId)) && !isMountPoint(ws(taskId));

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('sandbox.diskLimitMb > 0 needs root (loop mounts): run the tests as root');
    await s.open('pushpals-e2e-disk-', { sandbox: { diskLimitMb: LIMIT_MB, tmpMb: 32 } });
    await s.app().workbench?.start();
    assert.equal(s.app().workbench?.diskProblem, undefined, s.app().workbench?.diskProblem?.message);
  });

  after(async function () {
    await s.close();
  });

  it(`"Run the tests" writing 200 MB into a ${LIMIT_MB} MiB working copy: ENOSPC inside, task_failed disk_full with the limit and how to raise it, copy deleted`, async function () {
    const { repoId } = await c().send('repo_add', { source: makeFixtureRepo({ testScript: 'dd if=/dev/zero of=big.bin bs=1M count=200' }) });
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId });
    // While it runs, the working copy is a mounted volume of the configured size.
    await c().waitFor('tool_call', (p) => p.taskId === taskId, 60_000);
    assert.ok(isMountPoint(ws(taskId)), 'the working copy is a mounted volume');
    const end = await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    assert.equal(end.type, 'task_failed', t);
    const error = (end.payload as { error: { code: string; message: string; details?: { limitBytes?: number; mount?: string } } }).error;
    assert.equal(error.code, 'disk_full', t);
    assert.match(error.message, new RegExp(`limited to ${LIMIT_MB} MiB and is full`));
    assert.match(error.message, /sandbox\.diskLimitMb/);
    assert.ok(error.message.includes(join(s.dataDir(), 'config.json')), error.message);
    assert.equal(error.details?.limitBytes, LIMIT_MB * 1024 * 1024);
    assert.equal(error.details?.mount, '/workspace');
    const result = ofType(c().forTask(taskId), 'tool_result')[0];
    assert.match(result?.payload.stderr ?? '', /No space left on device/, t);

    await eventually(() => gone(taskId), 'the failed task\'s working copy is deleted');
    assert.equal(loopDevicesOf(img(taskId)), '', 'no loop device left');
  });

  it('a completed task\'s working copy is deleted', async function () {
    const { repoId } = await c().send('repo_add', { source: makeFixtureRepo() });
    const { taskId } = await c().send('task_new', { request: 'Run git status on this repo', repoId });
    const end = await waitTerminal(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    await eventually(() => gone(taskId), 'the completed task\'s working copy is deleted');
  });

  it('a diff awaiting review keeps its copy (also across a restart, mounted again) until every hunk is rejected; a restart sweeps copies of final tasks', async function () {
    const { repoId } = await c().send('repo_add', { source: makeFixtureRepo() });
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    await c().send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'approve' });
    const end = await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    const diff = ofType(c().forTask(taskId), 'diff_ready')[0];
    assert.ok(diff && diff.payload.hunks.length > 0, trace(c(), taskId));
    await s.app().workbench?.janitor.idle();
    await sleep(500);
    assert.ok(isMountPoint(ws(taskId)), 'kept while the diff awaits review');
    assert.match(readFileSync(join(ws(taskId), 'README.md'), 'utf8'), /The project says hello\./);

    // A final task whose copy outlived its orchestrator (crash): the restart's sweep deletes it.
    const { taskId: doneId } = await c().send('task_new', { request: 'Run git status on this repo', repoId });
    await waitTerminal(c(), doneId);
    await eventually(() => gone(doneId), 'deleted');
    mkdirSync(ws(doneId));
    writeFileSync(join(ws(doneId), 'left-over'), 'x');
    writeFileSync(img(doneId), '');

    c().close();
    await s.app().close();
    assert.equal(isMountPoint(ws(taskId)), false, 'mounts end with the orchestrator');
    assert.ok(existsSync(img(taskId)), 'the image stays');
    s.parts.app = await startInProcessOrchestrator(s.dataDir(), { sandbox: { diskLimitMb: LIMIT_MB, tmpMb: 32 } });
    s.parts.client = await WsTestClient.connect(s.app().wsUrl, s.app().token);
    await c().start(0);
    await s.app().workbench?.start();
    await eventually(() => gone(doneId), 'the sweep deleted the final task\'s left-over copy and image');
    await eventually(() => isMountPoint(ws(taskId)), 'the copy under review is mounted again');
    assert.match(readFileSync(join(ws(taskId), 'README.md'), 'utf8'), /The project says hello\./);

    // An accepted hunk keeps the copy until its commit; every hunk rejected: nothing left to review.
    const [first, ...rest] = diff.payload.hunks;
    assert.ok(first);
    await c().send('hunk_decide', { taskId, hunkId: first.hunkId, decision: 'reject' });
    if (rest.length) {
      await sleep(300);
      assert.ok(isMountPoint(ws(taskId)), 'kept while a hunk is undecided');
      for (const h of rest) await c().send('hunk_decide', { taskId, hunkId: h.hunkId, decision: 'reject' });
    }
    await eventually(() => gone(taskId), 'the reviewed copy is deleted');
    assert.equal(loopDevicesOf(img(taskId)), '');
  });
});
