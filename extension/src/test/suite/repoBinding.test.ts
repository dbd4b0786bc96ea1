/**
 * Which repository a window's tasks go to: the folder's checkout read as data (git root from a
 * sub-folder, remotes, objects loose and packed) and matched by path, or by remote URL + root commit
 * for an orchestrator elsewhere (a fork with the same URL but another history does not match); live,
 * the window binds to its folder's repository, shows its name in the status bar, and a new task
 * carries that repository and the person's uncommitted changes.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findCheckout, hasObject, matchRepos, normalizeRemote, type RegisteredRepo } from '../../repoBinding';
import { debugInfo, Fatal, liveOrchestrator, waitFor } from '../helpers';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'core.hooksPath=/dev/null', ...args], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });

function repoWithHistory(dir: string, remote?: string): { root: string; head: string } {
  fs.mkdirSync(path.join(dir, 'pkg', 'sub'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'pkg', 'sub', 'a.txt'), `${dir}\n`);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'root');
  fs.writeFileSync(path.join(dir, 'b.txt'), 'b\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'second');
  if (remote) git(dir, 'remote', 'add', 'origin', remote);
  return { root: git(dir, 'rev-list', '--max-parents=0', 'HEAD').trim(), head: git(dir, 'rev-parse', 'HEAD').trim() };
}

describe('repository binding', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-bind-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('reads a checkout from a sub-folder: its root, its remotes, its objects loose and packed', () => {
    const dir = path.join(tmp, 'one');
    const { root, head } = repoWithHistory(dir, 'git@GitHub.com:owner/project.git');
    const c = findCheckout(path.join(dir, 'pkg', 'sub'));
    assert.ok(c);
    assert.equal(c.root, fs.realpathSync(dir));
    assert.deepEqual(c.remotes, ['git@GitHub.com:owner/project.git']);
    assert.ok(hasObject(c.gitdir, root), 'the root commit, loose');
    git(dir, 'gc', '-q', '--prune=now');
    assert.equal(fs.readdirSync(path.join(dir, '.git', 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d)).length, 0, 'gc left loose objects');
    assert.ok(hasObject(c.gitdir, root), 'the root commit, in a pack');
    assert.ok(hasObject(c.gitdir, head));
    assert.ok(!hasObject(c.gitdir, 'f'.repeat(40)));
    assert.equal(findCheckout(os.tmpdir()), undefined);
  });

  it('normalises the spellings of one remote to the same key', () => {
    const key = 'github.com/owner/project';
    for (const u of ['https://github.com/owner/project.git', 'https://user:tok@GitHub.com/owner/project', 'https://***@github.com:443/owner/project/', 'git@github.com:owner/project.git', 'ssh://git@github.com/owner/project']) {
      assert.equal(normalizeRemote(u), key, u);
    }
    assert.notEqual(normalizeRemote('https://github.com/owner/other'), key);
  });

  it('matches by path (the orchestrator here), else by remote URL + root commit; a fork with the same URL and another history does not match', () => {
    const mine = path.join(tmp, 'mine');
    const { root } = repoWithHistory(mine, 'https://github.com/owner/project.git');
    const fork = path.join(tmp, 'fork');
    const forkRoot = repoWithHistory(fork).root;
    const checkout = findCheckout(path.join(mine, 'pkg'));
    assert.ok(checkout);
    const repo = (over: Partial<RegisteredRepo>): RegisteredRepo => ({ repoId: 'repo-x', name: 'x', source: '/nowhere/x', kind: 'path', rootCommits: [root], remotes: [], ...over });
    const here = repo({ repoId: 'repo-here', source: mine });
    const elsewhere = repo({ repoId: 'repo-remote', remotes: ['git@github.com:owner/project.git'] });
    const otherHistory = repo({ repoId: 'repo-fork', remotes: ['https://github.com/owner/project'], rootCommits: [forkRoot] });
    assert.deepEqual(matchRepos(checkout, [elsewhere, here, otherHistory]).map((r) => r.repoId), ['repo-here']);
    assert.deepEqual(matchRepos(checkout, [elsewhere, otherHistory]).map((r) => r.repoId), ['repo-remote']);
    assert.deepEqual(matchRepos(checkout, [otherHistory]), []);
    assert.deepEqual(matchRepos(checkout, [repo({ repoId: 'repo-url', kind: 'url', source: 'https://***@github.com/owner/project.git', remotes: ['https://***@github.com/owner/project.git'] })]).map((r) => r.repoId), ['repo-url']);
  });

  describe('live (real orchestrator)', function () {
    this.timeout(150000);
    liveOrchestrator();

    it('binds the window to its folder\'s repository (registered on connect), names it in the status bar; a new task carries it and the uncommitted changes', async () => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      assert.ok(folder, 'the host tests run with a workspace folder');
      const name = path.basename(fs.realpathSync(folder.uri.fsPath));
      const bound = await waitFor('the folder bound to a repository', async () => (await debugInfo()).repo, 30000);
      assert.equal(bound.name, name);
      await waitFor('the repository named in the status bar', async () => (await debugInfo()).statusBarText.endsWith(`PushPals: idle · ${name}`), 10000);
      const taskId = (await vscode.commands.executeCommand('pushpals.newTask', 'Run git status on this repo')) as string;
      assert.ok(taskId, 'pushpals.newTask returned no task id');
      const t = await waitFor('the task to complete', async () => {
        const x = (await debugInfo()).tasks.find((y) => y.taskId === taskId);
        if (x?.state === 'failed') throw new Fatal(`task ${taskId} failed`);
        return x?.state === 'completed' ? x : undefined;
      }, 120000);
      assert.equal(t.repoId, bound.repoId);
      assert.equal(t.base?.uncommitted, true, JSON.stringify(t));
      assert.ok((t.base?.files ?? 0) >= 1, `the workspace's untracked notes.txt was not taken along: ${JSON.stringify(t)}`);
    });
  });
});
