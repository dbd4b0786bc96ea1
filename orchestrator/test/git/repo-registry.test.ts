import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RepoRegistry } from '../../src/git';
import { openDatabase, type Db } from '../../src/store/db';
import { hostGit, isPushPalsError, makeHostile } from './fixtures';

describe('git: RepoRegistry', function () {
  this.timeout(30000);
  let root: string;
  let dataDir: string;
  let markers: string;
  let db: Db;
  let reg: RepoRegistry;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-git-'));
    dataDir = path.join(root, 'data');
    markers = path.join(root, 'markers');
    fs.mkdirSync(dataDir);
    fs.mkdirSync(markers);
    db = openDatabase(path.join(dataDir, 'db.sqlite'));
    reg = new RepoRegistry(db, dataDir);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the hostile fixture really is hostile to host git (control)', () => {
    const src = makeHostile(root, markers);
    try {
      execFileSync('git', ['status'], { cwd: src, env: { ...process.env, HOME: root, GIT_CONFIG_NOSYSTEM: '1' }, stdio: 'ignore' });
    } catch {
      // git may fail after running the hostile commands: only the markers matter here.
    }
    assert.ok(fs.readdirSync(markers).length > 0, 'host git status should have run the fsmonitor');
  });

  it('add + createWorkspace + status/listing never run anything the hostile repo controls', async () => {
    const src = makeHostile(root, markers);
    const repo = await reg.add(src);
    assert.equal(repo.defaultBranch, 'main');
    assert.equal(repo.name, 'hostile');
    assert.equal(repo.mirrorPath, path.join(fs.realpathSync(dataDir), 'repos', repo.id));
    assert.deepEqual(reg.list().map((r) => r.id), [repo.id]);
    assert.deepEqual(reg.get(repo.id), repo);
    assert.deepEqual((await reg.listFiles(repo.id)).sort(), ['.gitattributes', 'README.md', 'data.txt']);

    const ws = await reg.createWorkspace(repo.id, 'task-1');
    assert.equal(ws.path, path.join(fs.realpathSync(dataDir), 'workspaces', 'task-1'));
    assert.equal(ws.branch, 'pushpals/task-1');
    assert.equal(fs.readFileSync(path.join(ws.path, 'data.txt'), 'utf8'), 'clean content\n'); // no smudge filter ran
    assert.equal(fs.readFileSync(path.join(ws.path, '.git', 'HEAD'), 'utf8'), 'ref: refs/heads/pushpals/task-1\n');
    assert.deepEqual(await reg.changedFiles('task-1'), []);
    fs.writeFileSync(path.join(ws.path, 'data.txt'), 'changed\n');
    fs.writeFileSync(path.join(ws.path, 'new.txt'), 'new\n');
    assert.deepEqual(await reg.changedFiles('task-1'), [
      { path: 'data.txt', status: 'modified' },
      { path: 'new.txt', status: 'untracked' },
    ]);

    // Nothing the source controls was copied: no hooks, no config keys, no symlinks.
    for (const gitdir of [repo.mirrorPath, path.join(ws.path, '.git')]) {
      const config = fs.readFileSync(path.join(gitdir, 'config'), 'utf8');
      assert.doesNotMatch(config, /fsmonitor|hooksPath|sshCommand|pager|filter|external|include|credential|alias|editor/i, config);
      assert.ok(!fs.existsSync(path.join(gitdir, 'hooks')) || fs.readdirSync(path.join(gitdir, 'hooks')).length === 0);
      assert.ok(!fs.existsSync(path.join(gitdir, 'objects', 'evil-link')));
    }
    assert.deepEqual(fs.readdirSync(markers), [], `markers written: ${fs.readdirSync(markers).join(', ')}`);

    reg.removeWorkspace('task-1');
    assert.ok(!fs.existsSync(ws.path));
    reg.removeWorkspace('task-1'); // idempotent
    assert.deepEqual(fs.readdirSync(markers), []);
  });

  it('gives every task its own working copy on its own branch', async () => {
    const src = makeHostile(root, markers);
    const repo = await reg.add(src);
    const a = await reg.createWorkspace(repo.id, 'a');
    const b = await reg.createWorkspace(repo.id, 'b', 'feature');
    fs.writeFileSync(path.join(a.path, 'README.md'), 'changed in a\n');
    assert.equal(fs.readFileSync(path.join(b.path, 'README.md'), 'utf8'), '# hostile\n');
    assert.equal(a.baseCommit, b.baseCommit);
    await assert.rejects(reg.createWorkspace(repo.id, 'a'), isPushPalsError('conflict'));
    await assert.rejects(reg.createWorkspace(repo.id, '../escape'), isPushPalsError('invalid_message'));
    await assert.rejects(reg.createWorkspace(repo.id, 'x', 'nope'), isPushPalsError('not_found'));
    await assert.rejects(reg.createWorkspace('repo-missing', 'y'), isPushPalsError('not_found'));
    // Host git (used here only to inspect) sees a valid repository on the right branch.
    assert.equal(execFileSync('git', ['-c', 'core.fsmonitor=false', 'rev-parse', '--abbrev-ref', 'HEAD'], { cwd: b.path, encoding: 'utf8' }).trim(), 'pushpals/b');
    assert.deepEqual(fs.readdirSync(markers), []);
  });

  it('a working copy at a commit of another branch (a live base); removing the repository keeps the objects its copies borrow until none does', async () => {
    const src = makeHostile(root, markers);
    const repo = await reg.add(src);
    const feature = hostGit(src, 'rev-parse', 'feature').trim();
    const ws = await reg.createWorkspace(repo.id, 'live', { commit: feature, branch: 'feature' });
    assert.equal(ws.baseCommit, feature);
    assert.equal(fs.readFileSync(path.join(ws.path, '.git', 'refs', 'remotes', 'origin', 'feature'), 'utf8').trim(), feature);
    await assert.rejects(reg.createWorkspace(repo.id, 'bad', { commit: 'f'.repeat(40), branch: 'main' }), isPushPalsError('not_found'));
    await assert.rejects(reg.createWorkspace(repo.id, 'bad2', { commit: 'HEAD' }), isPushPalsError('invalid_message'));
    const inspect = (...args: string[]) => execFileSync('git', ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', ...args], { cwd: ws.path, encoding: 'utf8', env: { ...process.env, HOME: root, GIT_CONFIG_NOSYSTEM: '1' } });
    reg.remove(repo.id);
    assert.ok(!fs.existsSync(path.join(repo.mirrorPath, 'HEAD')), 'the clone itself went');
    assert.equal(inspect('rev-parse', 'HEAD').trim(), feature); // the copy still has its history (alternates)
    inspect('fsck', '--connectivity-only');
    assert.equal(reg.sharedObjectsOf(ws.path), path.join(dataDir, 'workspaces', '.objects', repo.id));
    assert.deepEqual(reg.pruneRemovedObjects(['live']), [], 'a copy still borrows them');
    assert.deepEqual(reg.pruneRemovedObjects(['live', 'not-mounted']), [], 'a copy that cannot be read counts as borrowing');
    reg.removeWorkspace('live');
    assert.deepEqual(reg.pruneRemovedObjects([]), [repo.id]);
    assert.ok(!fs.existsSync(repo.mirrorPath));
    assert.ok(!fs.existsSync(path.join(dataDir, 'workspaces', '.objects', repo.id)));
    assert.deepEqual(fs.readdirSync(markers), []);
  });

  it('works with a bare source repository', async () => {
    const src = makeHostile(root, markers);
    const bare = path.join(root, 'bare.git');
    hostGit(root, 'clone', '-q', '--bare', '--no-local', src, bare);
    fs.rmSync(path.join(markers), { recursive: true, force: true });
    fs.mkdirSync(markers);
    const repo = await reg.add(bare);
    assert.equal(repo.name, 'bare');
    const ws = await reg.createWorkspace(repo.id, 't');
    assert.ok(fs.existsSync(path.join(ws.path, 'README.md')));
  });

  it('a symlinked ref (to a host file, or a symlinked refs dir / HEAD) is refused as hostile, naming the ref', async () => {
    const make = (name: string): string => {
      const src = path.join(root, name);
      fs.mkdirSync(src);
      hostGit(src, 'init', '-q', '-b', 'main');
      fs.writeFileSync(path.join(src, 'a.txt'), 'a\n');
      hostGit(src, 'add', '.');
      hostGit(src, 'commit', '-q', '-m', 'a');
      return src;
    };
    const fileLink = make('file-link');
    fs.symlinkSync('/etc/hostname', path.join(fileLink, '.git', 'refs', 'heads', 'evil'));
    const dirLink = make('dir-link');
    fs.mkdirSync(path.join(root, 'elsewhere'));
    fs.symlinkSync(path.join(root, 'elsewhere'), path.join(dirLink, '.git', 'refs', 'tags', 'nested'));
    const headLink = make('head-link');
    fs.rmSync(path.join(headLink, '.git', 'HEAD'));
    fs.symlinkSync('refs/heads/main', path.join(headLink, '.git', 'HEAD'));
    for (const [src, ref] of [[fileLink, 'refs/heads/evil'], [dirLink, 'refs/tags/nested'], [headLink, 'HEAD']] as const) {
      await assert.rejects(reg.add(src), (e: unknown) => {
        assert.ok(isPushPalsError('invalid_message')(e), String(e));
        assert.match((e as Error).message, new RegExp(`hostile or unsupported repository: ${ref} is a symlinked ref`));
        return true;
      });
    }
    assert.equal(reg.list().length, 0);
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'repos')), []);
  });

  it('clear errors: missing path, non-repo path, duplicate, data dir overlap, unsupported or unreachable URL', async () => {
    await assert.rejects(reg.add(path.join(root, 'missing')), (e: unknown) => isPushPalsError('not_found')(e) && /does not exist/.test((e as Error).message));
    const plain = path.join(root, 'plain');
    fs.mkdirSync(plain);
    await assert.rejects(reg.add(plain), (e: unknown) => isPushPalsError('invalid_message')(e) && /not a git repository/.test((e as Error).message));
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    hostGit(empty, 'init', '-q');
    await assert.rejects(reg.add(empty), (e: unknown) => isPushPalsError('invalid_message')(e) && /no commits yet/.test((e as Error).message));
    await assert.rejects(reg.add(dataDir), isPushPalsError('invalid_message'));
    await assert.rejects(reg.add('git@github.com:a/b.git'), (e: unknown) => isPushPalsError('invalid_message')(e) && /SSH remotes are not supported/.test((e as Error).message));
    await assert.rejects(reg.add('ftp://host/x.git'), (e: unknown) => isPushPalsError('invalid_message')(e) && /http\(s\) only/.test((e as Error).message));
    await assert.rejects(reg.add('http://127.0.0.1:9/nothing.git'), (e: unknown) => isPushPalsError('not_found')(e) && /unreachable/.test((e as Error).message));
    const src = makeHostile(root, markers);
    await reg.add(src);
    await assert.rejects(reg.add(src), isPushPalsError('conflict'));
    assert.deepEqual(fs.readdirSync(path.join(dataDir, 'repos')).filter((n) => !n.startsWith('repo-')), []);
    assert.equal(reg.list().length, 1);
  });
});
