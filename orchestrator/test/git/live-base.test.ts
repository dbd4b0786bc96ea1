/**
 * A task's base is the repository as the person has it NOW: commits made after `add`, their
 * uncommitted edits (modified, deleted, chmod, staged, untracked — not ignored ones), read from a
 * hostile repository without running anything of it and without writing a byte into it.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RepoRegistry, type Repo } from '../../src/git';
import { openDatabase, type Db } from '../../src/store/db';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { gitHttpServer, hostGit, isPushPalsError, makeHostile, personGit, snapshot } from './fixtures';

/** Host git on a working copy the test made (ours, not the hostile source): to compare views. */
const inspect = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null', ...args], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } });

describe('git: live base (the person\'s current state of a repository)', function () {
  this.timeout(60000);
  let root: string;
  let dataDir: string;
  let markers: string;
  let db: Db;
  let reg: RepoRegistry;
  let n = 0;

  /** Reads the live base and materialises it as task `id`; returns the working copy's path. */
  const taskCopy = async (repo: Repo, uncommitted: boolean): Promise<{ dir: string; base: Awaited<ReturnType<RepoRegistry['liveBase']>> }> => {
    const id = `t${++n}`;
    const base = await reg.liveBase(repo.id, { uncommitted });
    const ws = await reg.createWorkspace(repo.id, id, { commit: base.commit, branch: base.branch });
    await reg.applyUncommitted(repo.id, id, base);
    return { dir: ws.path, base };
  };

  beforeEach(() => {
    root = tempDir('pp-live-');
    dataDir = path.join(root, 'data');
    markers = path.join(root, 'markers');
    fs.mkdirSync(dataDir);
    fs.mkdirSync(markers);
    db = openDatabase(path.join(dataDir, 'db.sqlite'));
    reg = new RepoRegistry(db, dataDir);
  });
  afterEach(() => {
    db.close();
    removeTempDirs();
  });

  it('a commit made after add is the next base (the current branch\'s head), and a branch switch moves it', async () => {
    const src = makeHostile(root, markers);
    const repo = await reg.add(src);
    const first = hostGit(src, 'rev-parse', 'HEAD').trim();
    fs.writeFileSync(path.join(src, 'later.txt'), 'committed after add\n');
    personGit(src, 'add', 'later.txt');
    personGit(src, 'commit', '-q', '--no-verify', '-m', 'later');
    const second = hostGit(src, 'rev-parse', 'HEAD').trim();
    assert.notEqual(first, second);
    const a = await taskCopy(repo, false);
    assert.equal(a.base.commit, second);
    assert.equal(a.base.branch, 'main');
    assert.equal(fs.readFileSync(path.join(a.dir, 'later.txt'), 'utf8'), 'committed after add\n');
    assert.equal(inspect(a.dir, 'log', '-1', '--format=%H %s').trim(), `${second} later`);

    personGit(src, 'checkout', '-q', 'feature');
    const b = await taskCopy(repo, false);
    assert.equal(b.base.branch, 'feature');
    assert.equal(b.base.commit, first);
    assert.ok(!fs.existsSync(path.join(b.dir, 'later.txt')));
    assert.equal(reg.get(repo.id)?.defaultBranch, 'feature');
    personGit(src, 'checkout', '-q', '--detach', second);
    const c = await taskCopy(repo, false);
    assert.equal(c.base.branch, undefined);
    assert.equal(c.base.commit, second);
    assert.deepEqual(fs.readdirSync(markers), [], `the hostile repository ran code on the host: ${fs.readdirSync(markers).join(', ')}`);
  });

  it('uncommitted work is laid over the base: git status and the staged diff in the copy are the person\'s, ignored files stay out, and the source is not written', async () => {
    const src = makeHostile(root, markers);
    fs.writeFileSync(path.join(src, '.gitignore'), 'secret.env\nbuild/\n');
    fs.writeFileSync(path.join(src, 'tool.sh'), '#!/bin/sh\necho hi\n');
    fs.writeFileSync(path.join(src, 'gone.txt'), 'to be deleted\n');
    fs.writeFileSync(path.join(src, 'staged.txt'), 'v1\n');
    personGit(src, 'add', '.');
    personGit(src, 'commit', '-q', '--no-verify', '-m', 'more files');
    const repo = await reg.add(src);
    // The person's edits, none committed:
    fs.writeFileSync(path.join(src, 'README.md'), '# hostile, edited in the editor\n');
    fs.writeFileSync(path.join(src, 'untracked.txt'), 'new and not ignored\n');
    fs.mkdirSync(path.join(src, 'newdir'));
    fs.writeFileSync(path.join(src, 'newdir', 'deep.txt'), 'deep\n');
    fs.writeFileSync(path.join(src, 'secret.env'), 'API_KEY=ignored\n');
    fs.mkdirSync(path.join(src, 'build'));
    fs.writeFileSync(path.join(src, 'build', 'out.o'), 'ignored dir\n');
    fs.rmSync(path.join(src, 'gone.txt'));
    fs.chmodSync(path.join(src, 'tool.sh'), 0o755);
    fs.writeFileSync(path.join(src, 'staged.txt'), 'v2 staged\n');
    personGit(src, 'add', 'staged.txt');
    fs.writeFileSync(path.join(src, 'staged.txt'), 'v3 in the working tree\n');
    fs.symlinkSync('README.md', path.join(src, 'link-to-readme'));
    // Same content, new mtime: a reader that refreshes the index's stat cache would rewrite it.
    fs.utimesSync(path.join(src, 'data.txt'), new Date(), new Date(Date.now() + 5000));
    fs.rmSync(markers, { recursive: true });
    fs.mkdirSync(markers);
    const before = snapshot(path.join(src, '.git'));

    const { dir, base } = await taskCopy(repo, true);

    assert.deepEqual(snapshot(path.join(src, '.git')), before, 'the person\'s .git changed (index refreshed? lock left?)');
    assert.deepEqual(fs.readdirSync(markers), [], `the hostile repository ran code on the host: ${fs.readdirSync(markers).join(', ')}`);
    assert.equal(base.uncommitted?.length, 7, JSON.stringify(base.uncommitted));
    const status = (cwd: string): string => inspect(cwd, '-c', 'core.filemode=true', 'status', '--porcelain=v1', '--untracked-files=all');
    assert.equal(status(dir), status(src));
    assert.match(status(dir), /^ M README\.md$/m);
    assert.match(status(dir), /^MM staged\.txt$/m);
    assert.match(status(dir), /^\?\? untracked\.txt$/m);
    assert.equal(inspect(dir, 'diff', '--cached', '--no-ext-diff', '--no-textconv'), inspect(src, 'diff', '--cached', '--no-ext-diff', '--no-textconv'));
    assert.match(inspect(dir, 'diff', '--cached', '--no-ext-diff'), /^\+v2 staged$/m);
    assert.equal(fs.readFileSync(path.join(dir, 'staged.txt'), 'utf8'), 'v3 in the working tree\n');
    assert.equal(fs.readFileSync(path.join(dir, 'newdir', 'deep.txt'), 'utf8'), 'deep\n');
    assert.equal(fs.statSync(path.join(dir, 'tool.sh')).mode & 0o111, 0o111);
    assert.equal(fs.readlinkSync(path.join(dir, 'link-to-readme')), 'README.md');
    assert.ok(!fs.existsSync(path.join(dir, 'gone.txt')));
    assert.ok(!fs.existsSync(path.join(dir, 'secret.env')), 'an ignored file was copied');
    assert.ok(!fs.existsSync(path.join(dir, 'build')), 'an ignored directory was copied');

    // Without uncommitted changes: the commit alone.
    const plain = await taskCopy(repo, false);
    assert.equal(plain.base.uncommitted, undefined);
    assert.equal(status(plain.dir), '');
  });

  it('a committed symlink where the person now has a directory is replaced, never written through', async () => {
    const src = path.join(root, 'src');
    const outside = path.join(root, 'outside');
    fs.mkdirSync(src);
    fs.mkdirSync(outside);
    hostGit(src, 'init', '-q', '-b', 'main');
    fs.symlinkSync(outside, path.join(src, 'escape'));
    hostGit(src, 'add', '.');
    hostGit(src, 'commit', '-q', '-m', 'a symlink to a host directory');
    const repo = await reg.add(src);
    fs.rmSync(path.join(src, 'escape'));
    fs.mkdirSync(path.join(src, 'escape'));
    fs.writeFileSync(path.join(src, 'escape', 'pwned'), 'must land in the copy only\n');
    const { dir } = await taskCopy(repo, true);
    assert.deepEqual(fs.readdirSync(outside), [], 'the overlay wrote through a committed symlink onto the host');
    assert.ok(fs.lstatSync(path.join(dir, 'escape')).isDirectory());
    assert.equal(fs.readFileSync(path.join(dir, 'escape', 'pwned'), 'utf8'), 'must land in the copy only\n');
  });

  it('odd working trees: a symlinked .gitignore is not followed, a FIFO does not block, a nested repository and an index v4 are handled', async () => {
    const src = path.join(root, 'odd');
    fs.mkdirSync(src);
    hostGit(src, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(src, 'a.txt'), 'a\n');
    hostGit(src, 'add', '.');
    hostGit(src, 'commit', '-q', '-m', 'a');
    const repo = await reg.add(src);
    fs.writeFileSync(path.join(root, 'elsewhere-ignore'), '*.txt\n');
    fs.symlinkSync(path.join(root, 'elsewhere-ignore'), path.join(src, '.gitignore'));
    fs.writeFileSync(path.join(src, 'b.txt'), 'not ignored: the symlinked .gitignore is not read\n');
    assert.equal(spawnSync('mkfifo', [path.join(src, 'pipe')]).status, 0);
    fs.mkdirSync(path.join(src, 'vendor'));
    hostGit(path.join(src, 'vendor'), 'init', '-q');
    fs.writeFileSync(path.join(src, 'vendor', 'inner.txt'), 'nested repository\n');
    hostGit(src, 'update-index', '--index-version', '4');
    fs.writeFileSync(path.join(src, 'a.txt'), 'a, edited\n');
    const before = snapshot(path.join(src, '.git'));
    const { dir, base } = await taskCopy(repo, true);
    assert.deepEqual(snapshot(path.join(src, '.git')), before);
    const paths = (base.uncommitted ?? []).map((c) => c.path).sort();
    assert.deepEqual(paths, ['.gitignore', 'a.txt', 'b.txt']);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'a, edited\n');
    assert.ok(!fs.existsSync(path.join(dir, 'pipe')));
    assert.ok(!fs.existsSync(path.join(dir, 'vendor')));
  });

  it('too much uncommitted work is refused as too_large, saying what to do', async () => {
    const small = new RepoRegistry(db, dataDir, { uncommitted: { maxFiles: 3 } });
    const src = path.join(root, 'many');
    fs.mkdirSync(src);
    hostGit(src, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(src, 'a.txt'), 'a\n');
    hostGit(src, 'add', '.');
    hostGit(src, 'commit', '-q', '-m', 'a');
    const repo = await small.add(src);
    for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `${i}\n`);
    await assert.rejects(small.liveBase(repo.id, { uncommitted: true }), (e: unknown) => isPushPalsError('too_large')(e) && /\.gitignore|without uncommitted/.test((e as Error).message));
    assert.equal((await small.liveBase(repo.id, { uncommitted: false })).uncommitted, undefined);
  });

  it('sync follows branches and tags (added, moved, deleted); names are unique; resolve by id or name; remove deletes the copy', async () => {
    const src = makeHostile(root, markers);
    const repo = await reg.add(src);
    hostGit(src, 'branch', 'topic');
    hostGit(src, 'branch', '-D', 'feature');
    hostGit(src, 'tag', 'v2');
    const synced = await reg.sync(repo.id);
    const branches = fs.readdirSync(path.join(repo.mirrorPath, 'refs', 'heads')).sort();
    assert.deepEqual(branches, ['main', 'topic']);
    assert.deepEqual(fs.readdirSync(path.join(repo.mirrorPath, 'refs', 'tags')).sort(), ['v1', 'v2']);
    assert.equal(synced.head?.commit, hostGit(src, 'rev-parse', 'HEAD').trim());
    assert.deepEqual(synced.rootCommits, [hostGit(src, 'rev-list', '--max-parents=0', 'HEAD').trim()]);

    // A second checkout with the same directory name gets a distinct name; an explicit taken name is a conflict.
    const other = path.join(root, 'again');
    fs.mkdirSync(other);
    const twin = path.join(other, 'hostile');
    hostGit(root, 'clone', '-q', '--no-local', '-c', 'core.hooksPath=/dev/null', src, twin);
    const second = await reg.add(twin);
    assert.equal(second.name, 'hostile-2');
    await assert.rejects(reg.add(path.join(root, 'alt-hooks'), 'hostile'), isPushPalsError('conflict'));
    assert.equal(reg.resolve('hostile').id, repo.id);
    assert.equal(reg.resolve(second.id).name, 'hostile-2');
    await assert.rejects(async () => reg.resolve('nope'), (e: unknown) => isPushPalsError('not_found')(e) && Array.isArray((e as { details?: { choices?: unknown } }).details?.choices));

    reg.remove(repo.id);
    assert.ok(!fs.existsSync(repo.mirrorPath));
    assert.deepEqual(reg.list().map((r) => r.name), ['hostile-2']);
    fs.rmSync(twin, { recursive: true, force: true });
    await assert.rejects(reg.sync(second.id), (e: unknown) => isPushPalsError('not_found')(e) && /repo remove hostile-2/.test((e as Error).message));
    assert.deepEqual(fs.readdirSync(markers), []);
  });

  it('a URL repository is fetched again for each task, without the credentials it was registered with; offline, the last fetched commit with a note', async () => {
    const served = path.join(root, 'served');
    fs.mkdirSync(served);
    const upstream = path.join(served, 'project.git');
    const work = path.join(root, 'work');
    fs.mkdirSync(work);
    hostGit(work, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(work, 'a.txt'), 'one\n');
    hostGit(work, 'add', '.');
    hostGit(work, 'commit', '-q', '-m', 'one');
    hostGit(root, 'clone', '-q', '--bare', work, upstream);
    const server = await gitHttpServer(served);
    try {
      const withCredentials = server.url.replace('http://', 'http://alice:s3cret-pass@') + '/project.git';
      const repo = await reg.add(withCredentials);
      assert.equal(repo.kind, 'url');
      assert.equal(repo.source, `http://***@${server.url.slice('http://'.length)}/project.git`);
      assert.ok(server.requests.some((r) => r.authorization?.startsWith('Basic ')), 'the first clone sent the credentials');
      const cloneRequests = server.requests.length;

      fs.writeFileSync(path.join(work, 'b.txt'), 'two\n');
      hostGit(work, 'add', '.');
      hostGit(work, 'commit', '-q', '-m', 'two, pushed after add');
      hostGit(work, 'push', '-q', upstream, 'main');
      const pushed = hostGit(work, 'rev-parse', 'HEAD').trim();
      const { dir, base } = await taskCopy(repo, true);
      assert.equal(base.commit, pushed);
      assert.equal(base.branch, 'main');
      assert.equal(base.uncommitted, undefined);
      assert.match(base.note ?? '', /URL has no working tree/);
      assert.equal(fs.readFileSync(path.join(dir, 'b.txt'), 'utf8'), 'two\n');
      const later = server.requests.slice(cloneRequests);
      assert.ok(later.length > 0, 'no fetch reached the server');
      assert.deepEqual(later.filter((r) => r.authorization !== undefined), [], 'a fetch sent credentials that should not have been kept');
      assert.ok(!JSON.stringify(reg.get(repo.id)).includes('s3cret'));
      for (const f of fs.readdirSync(repo.mirrorPath)) if (fs.statSync(path.join(repo.mirrorPath, f)).isFile()) assert.ok(!fs.readFileSync(path.join(repo.mirrorPath, f), 'utf8').includes('s3cret'), f);

      await server.close();
      const offline = await reg.liveBase(repo.id, { uncommitted: false });
      assert.equal(offline.commit, pushed);
      assert.match(offline.note ?? '', /could not fetch .*last fetched commit/);
      await assert.rejects(reg.sync(repo.id), isPushPalsError('not_found'));
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});
