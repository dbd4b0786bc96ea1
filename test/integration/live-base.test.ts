/**
 * End to end with the real `pushpals` CLI (spawned, zero-config through server.json) against the real
 * orchestrator, real Docker sandboxes and a real git checkout that the person keeps working in:
 *
 * - a commit made after `repo add` is where the next task starts ("Run git log" shows it);
 * - with --uncommitted, their modified and untracked files are in the task's working copy (git status
 *   shows them; the tests the task runs read them), an ignored file is not; without, the commit alone;
 * - repo add again / sync / remove; several repositories and none named: refused at creation, listing
 *   the choices (no task is created); --data-dir instead of PUSHPALS_HOME;
 * - the loop from a terminal: task watch (live, with command output), approve, deny, task cancel.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeServerInfo } from '@pushpals/orchestrator';
import { type CliResult, CommandError, git, makeFixtureRepo, runCliAsync, SuiteSession } from '../helpers/e2e-env';
import { ofType } from '../helpers/task-flow';

const NOTES = 'hello from the editor, never committed';

describe('end to end: tasks start from the live repository; the CLI manages repos and follows, decides and cancels tasks', function () {
  const s = new SuiteSession();
  const { c } = s;
  let checkout = '';
  let repoName = '';
  let repoId = '';
  let otherName = '';

  const cli = (...args: string[]): Promise<CliResult> => runCliAsync(s.dataDir(), args, 120_000);
  const ok = (r: CliResult, what: string): string => {
    assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const taskCount = async (): Promise<number> => (await c().send('status_get', {})).tasks.length;

  before(async function () {
    await s.open('pushpals-e2e-live-');
    writeServerInfo(s.dataDir(), s.app().url, s.app().wsUrl); // what `pushpals serve` writes: the CLI finds the server by itself
    checkout = makeFixtureRepo({ files: { '.gitignore': '.env\n' } });
  });

  after(async function () {
    await s.close();
  });

  it('pushpals repo add registers the checkout; adding it again answers with the same repository', async function () {
    const added = JSON.parse(ok(await cli('repo', 'add', checkout, '--json'), 'repo add')) as { repoId: string; name: string };
    ({ repoId, name: repoName } = added);
    const again = JSON.parse(ok(await cli('repo', 'add', join(checkout, '.git'), '--json'), 'repo add again')) as { repoId: string; existing?: boolean };
    assert.deepEqual({ id: again.repoId, existing: again.existing }, { id: repoId, existing: true });
    assert.match(ok(await cli('repo', 'list'), 'repo list'), new RegExp(`^${repoName}\\s+${repoId}\\s+main @ [0-9a-f]{12}`, 'm'));
  });

  it('a commit made in the checkout after repo add is the next task\'s base: "Run git log" (task new --watch) shows it', async function () {
    writeFileSync(join(checkout, 'later.txt'), 'committed after repo add\n');
    git(checkout, 'add', 'later.txt');
    git(checkout, 'commit', '-q', '-m', 'a commit made after repo add');
    const head = git(checkout, 'rev-parse', 'HEAD').trim();
    const out = ok(await cli('task', 'new', 'Run git log', '--watch'), 'task new --watch');
    assert.match(out, new RegExp(`base: main @ ${head.slice(0, 12)}, committed state only`), out);
    assert.match(out, /\$ git log --oneline -n 20/, out);
    assert.match(out, new RegExp(`${head.slice(0, 7)} a commit made after repo add`), out);
    assert.match(out, /completed: /, out);
  });

  it('--uncommitted: the modified and untracked files are in the working copy (git status, and the tests the task runs read them), the ignored one is not; without it, the commit alone', async function () {
    writeFileSync(join(checkout, 'README.md'), '# Demo project\n\nEdited in the editor, not committed.\n');
    writeFileSync(join(checkout, 'notes.txt'), `${NOTES}\n`);
    writeFileSync(join(checkout, '.env'), 'API_KEY=ignored-by-git\n');
    // The person's uncommitted test script: it proves the sandbox runs THEIR working tree.
    const script = `node -e "const fs=require('fs'); console.log('notes: ' + fs.readFileSync('notes.txt','utf8').trim()); console.log('env present: ' + fs.existsSync('.env'))"`;
    writeFileSync(join(checkout, 'package.json'), `${JSON.stringify({ name: 'e2e-demo', private: true, scripts: { test: script } }, null, 2)}\n`);
    const head = git(checkout, 'rev-parse', 'HEAD').trim();

    const status = ok(await cli('task', 'new', 'Run git status', '--uncommitted', '--watch'), 'Run git status --uncommitted');
    assert.match(status, new RegExp(`base: main @ ${head.slice(0, 12)}, with your uncommitted changes \\(3 file\\(s\\)\\)`), status);
    assert.match(status, /modified:\s+README\.md/, status);
    assert.match(status, /modified:\s+package\.json/, status);
    assert.match(status, /Untracked files:[\s\S]*notes\.txt/, status);
    assert.doesNotMatch(status, /\.env/, `an ignored file reached the working copy:\n${status}`);

    const tests = ok(await cli('task', 'new', 'Run the tests', '--uncommitted', '--watch'), 'Run the tests --uncommitted');
    assert.match(tests, new RegExp(`notes: ${NOTES}`), tests);
    assert.match(tests, /env present: false/, tests);

    const clean = ok(await cli('task', 'new', 'Run git status', '--watch'), 'Run git status (committed state)');
    assert.match(clean, /committed state only/, clean);
    assert.match(clean, /nothing to commit, working tree clean/, clean);

    // The task record carries the base; status and task list show it.
    const { tasks } = await c().send('status_get', {});
    const withUncommitted = tasks.filter((t) => t.base?.uncommitted);
    assert.equal(withUncommitted.length, 2, JSON.stringify(tasks));
    for (const t of withUncommitted) assert.deepEqual(t.base, { commit: head, branch: 'main', uncommitted: true, files: 3 });
    const base = ofType(c().events, 'task_base').at(-1);
    assert.deepEqual(base?.payload.base, { commit: head, branch: 'main', uncommitted: false });
    assert.match(ok(await cli('task', 'list'), 'task list'), new RegExp(`completed\\s+${repoName}\\s+main @ ${head.slice(0, 12)} \\+ 3 uncommitted\\s+Run the tests`));
    assert.match(ok(await cli('status'), 'status'), /\+ 3 uncommitted/);
  });

  it('with two repositories and none named, task new is refused at creation listing both (no task is created); --data-dir works without PUSHPALS_HOME', async function () {
    const other = makeFixtureRepo({ testScript: 'sleep 120' });
    const added = await runCliAsync(undefined, ['repo', 'add', other, '--name', 'sleepy', '--data-dir', s.dataDir(), '--json'], 60_000);
    otherName = (JSON.parse(ok(added, 'repo add --data-dir')) as { name: string }).name;
    assert.equal(otherName, 'sleepy');
    const before = await taskCount();
    const refused = await cli('task', 'new', 'Run git status');
    assert.equal(refused.status, 1, `${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /2 repositories are registered/);
    assert.match(refused.stderr, new RegExp(`${repoName} \\(${repoId}\\)`));
    assert.match(refused.stderr, /sleepy \(repo-/);
    await assert.rejects(c().send('task_new', { request: 'Run git status' }), (e: unknown) => {
      assert.ok(e instanceof CommandError, String(e));
      assert.equal(e.info.code, 'invalid_message');
      assert.equal(e.info.path, '/payload/repo');
      assert.deepEqual((e.info.details?.choices as Array<{ name: string }>).map((x) => x.name).sort(), [repoName, 'sleepy'].sort());
      return true;
    });
    await assert.rejects(c().send('task_new', { request: 'Run git status', repo: 'no-such-repo' }), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found');
    assert.equal(await taskCount(), before, 'a refused task was created anyway');
    const listed = ok(await runCliAsync(undefined, ['task', 'list', '--data-dir', s.dataDir()], 60_000), 'task list --data-dir');
    assert.match(listed, /Run git log/);
  });

  it('approve and deny from the CLI: task watch shows the approval with the commands that decide it, then the outcome', async function () {
    for (const decision of ['approve', 'deny'] as const) {
      const created = JSON.parse(ok(await cli('task', 'new', 'Apply a patch to fix the README', '--repo', repoName, '--json'), 'task new')) as { taskId: string };
      const watching = cli('task', 'watch', created.taskId);
      const asked = await c().waitFor('approval_required', (p) => p.taskId === created.taskId, 120_000);
      const decided = ok(await cli(decision, asked.payload.approvalId, ...(decision === 'deny' ? ['--reason', 'not now'] : [])), decision);
      assert.match(decided, new RegExp(`${asked.payload.approvalId}: ${decision === 'approve' ? 'approved' : 'denied'}`));
      const watched = ok(await watching, 'task watch');
      assert.match(watched, new RegExp(`decide: pushpals approve ${asked.payload.approvalId}`), watched);
      if (decision === 'approve') {
        assert.match(watched, /approved .* by user/, watched);
        assert.match(watched, /diff ready \(README\.md\)/, watched);
        assert.match(watched, /completed: Applied/, watched);
      } else {
        assert.match(watched, /denied .* by user \(not now\)/, watched);
        assert.match(watched, /completed: Patch not applied/, watched);
      }
    }
  });

  it('task cancel from the CLI stops a running command; task watch ends with exit 1 saying so', async function () {
    const created = JSON.parse(ok(await cli('task', 'new', 'Run the tests', '--repo', otherName, '--json'), 'task new')) as { taskId: string };
    const watching = cli('task', 'watch', created.taskId);
    await c().waitFor('tool_call', (p) => p.taskId === created.taskId, 120_000);
    assert.match(ok(await cli('task', 'cancel', created.taskId, '--reason', 'changed my mind'), 'task cancel'), new RegExp(`task ${created.taskId}: cancelled`));
    const watched = await watching;
    assert.equal(watched.status, 1, `${watched.stdout}${watched.stderr}`);
    assert.match(watched.stdout, /\$ npm test/);
    assert.match(watched.stdout, /cancelled by user: changed my mind/);
  });

  it('repo sync shows the head it saw; repo remove unregisters, and a task for it is then refused', async function () {
    const head = git(checkout, 'rev-parse', 'HEAD').trim();
    assert.match(ok(await cli('repo', 'sync', repoName), 'repo sync'), new RegExp(`${repoName} \\(${repoId}\\): main @ ${head.slice(0, 12)}`));
    assert.match(ok(await cli('repo', 'remove', otherName), 'repo remove'), /removed sleepy/);
    assert.doesNotMatch(ok(await cli('repo', 'list'), 'repo list'), /sleepy/);
    const refused = await cli('task', 'new', 'Run git status', '--repo', 'sleepy');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /no repository "sleepy" is registered/);
    const removedAgain = await cli('repo', 'remove', 'sleepy');
    assert.equal(removedAgain.status, 1);
  });
});
