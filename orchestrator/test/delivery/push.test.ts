/**
 * pushRef to a local remote, as data: real git repositories (a source with the commit, a bare remote
 * with every receive hook planted), isomorphic-git for the objects, git's lock-file protocol for the ref.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { pushRef } from '../../src/delivery/push';
import type { PushRemote } from '../../src/delivery/remote';
import { PushPalsError } from '../../src/errors';
import { gitHttpServer, type GitHttpServer } from '../git/fixtures';
import { removeTempDirs, tempDir } from '../helpers/temp';

const isPushPalsError = (code: string) => (e: unknown) => e instanceof PushPalsError && e.code === code;
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };

function git(cwd: string, ...args: string[]): string {
  // Our own set-up and checks run with hooks off (the planted reference-transaction hook would refuse them).
  const r = spawnSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], { cwd, encoding: 'utf8', env: { ...ENV, HOME: cwd } });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A new repository at `work` with one commit (a.txt "one"); its sha. */
function commitBase(work: string): string {
  fs.mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(work, 'a.txt'), 'one\n');
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', 'base');
  return git(work, 'rev-parse', 'HEAD');
}

describe('delivery: pushing a task branch to a local remote', function () {
  let mirror = '';
  let remoteDir = '';
  let marker = '';
  let remote: PushRemote;
  let base = '';
  let sha = '';
  const ref = 'refs/heads/pushpals/t_1';

  beforeEach(function () {
    const root = tempDir('pushpals-delivery-push-');
    const work = path.join(root, 'work');
    base = commitBase(work);
    remoteDir = path.join(root, 'remote.git');
    git(root, 'clone', '-q', '--bare', work, remoteDir);
    fs.writeFileSync(path.join(work, 'a.txt'), 'two\n');
    git(work, 'commit', '-q', '-am', 'the task');
    sha = git(work, 'rev-parse', 'HEAD');
    mirror = path.join(root, 'mirror.git');
    git(root, 'clone', '-q', '--bare', work, mirror);
    git(mirror, 'update-ref', ref, sha);
    marker = path.join(root, 'hook-ran');
    for (const h of ['pre-receive', 'update', 'post-receive', 'post-update', 'reference-transaction']) {
      fs.writeFileSync(path.join(remoteDir, 'hooks', h), `#!/bin/sh\necho ${h} >> ${marker}\nexit 1\n`, { mode: 0o755 });
    }
    remote = { name: 'origin', target: { kind: 'path', gitdir: remoteDir }, shown: remoteDir };
  });

  after(() => removeTempDirs());

  it('copies the objects and creates the branch; no hook runs; the default branch stays; again: up to date', async function () {
    const out = await pushRef(mirror, sha, ref, remote, undefined);
    assert.deepEqual(out, { previous: undefined, upToDate: false });
    assert.equal(git(remoteDir, 'rev-parse', ref), sha);
    assert.equal(git(remoteDir, 'rev-parse', 'main'), base);
    git(remoteDir, 'fsck', '--no-dangling');
    assert.equal(fs.existsSync(marker), false);
    assert.deepEqual(await pushRef(mirror, sha, ref, remote, undefined), { previous: sha, upToDate: true });
  });

  it('a fast-forward moves the branch, also when it is only in packed-refs', async function () {
    git(remoteDir, 'update-ref', ref, base);
    git(remoteDir, 'pack-refs', '--all');
    assert.equal(fs.existsSync(path.join(remoteDir, ref)), false);
    assert.deepEqual(await pushRef(mirror, sha, ref, remote, undefined), { previous: base, upToDate: false });
    assert.equal(git(remoteDir, 'rev-parse', ref), sha);
  });

  it('refuses a non-fast-forward and leaves the branch where it was', async function () {
    const theirs = git(remoteDir, 'commit-tree', `${base}^{tree}`, '-p', base, '-m', 'theirs');
    git(remoteDir, 'update-ref', ref, theirs);
    await assert.rejects(pushRef(mirror, sha, ref, remote, undefined), (e: unknown) => isPushPalsError('conflict')(e) && /not a fast-forward/.test((e as Error).message));
    assert.equal(git(remoteDir, 'rev-parse', ref), theirs);
  });

  it('refuses while another update holds the ref lock (compare-and-swap), and leaves the lock alone', async function () {
    fs.mkdirSync(path.dirname(path.join(remoteDir, ref)), { recursive: true });
    fs.writeFileSync(path.join(remoteDir, `${ref}.lock`), '');
    await assert.rejects(pushRef(mirror, sha, ref, remote, undefined), (e: unknown) => isPushPalsError('conflict')(e) && /being updated/.test((e as Error).message));
    assert.equal(fs.existsSync(path.join(remoteDir, ref)), false);
    assert.ok(fs.existsSync(path.join(remoteDir, `${ref}.lock`)));
  });
});

describe('delivery: pushing a task branch over http(s) (a real git http-backend behind Basic auth)', function () {
  const TOKEN = 'ghp_httpPushToken0123456789';
  const ref = 'refs/heads/pushpals/t_2';
  let backend: GitHttpServer | undefined;
  let front: http.Server | undefined;
  let url = '';
  let served = '';
  let mirror = '';
  let sha = '';
  let base = '';
  const auths: Array<string | undefined> = [];

  before(async function () {
    const root = tempDir('pushpals-delivery-http-');
    const work = path.join(root, 'work');
    base = commitBase(work);
    served = path.join(root, 'srv', 'o', 'r.git');
    fs.mkdirSync(path.dirname(served), { recursive: true });
    git(root, 'clone', '-q', '--bare', work, served);
    git(served, 'config', 'http.receivepack', 'true');
    fs.writeFileSync(path.join(work, 'a.txt'), 'two\n');
    git(work, 'commit', '-q', '-am', 'the task');
    sha = git(work, 'rev-parse', 'HEAD');
    mirror = path.join(root, 'mirror.git');
    git(root, 'clone', '-q', '--bare', work, mirror);
    git(mirror, 'update-ref', ref, sha);
    backend = await gitHttpServer(path.join(root, 'srv'));
    // The forge's side: anything without the token is a 401 challenge, as GitHub answers a push.
    const expected = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    front = http.createServer((req, res) => {
      auths.push(req.headers.authorization);
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
        return void res.end('authentication required');
      }
      const target = new URL(backend!.url);
      const fwd = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((r) => front!.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(front.address() as { port: number }).port}/o/r.git`;
  });

  after(async function () {
    await new Promise<void>((r) => (front ? front.close(() => r()) : r()));
    await backend?.close();
  });

  const remoteOf = (): PushRemote => ({ name: 'origin', target: { kind: 'http', url }, shown: url });

  it('without a token: forbidden, saying how to set one; nothing written', async function () {
    await assert.rejects(pushRef(mirror, sha, ref, remoteOf(), undefined), (e: unknown) => isPushPalsError('forbidden')(e) && /pushpals forge token set/.test((e as Error).message));
    assert.equal(spawnSync('git', ['rev-parse', '--verify', '-q', ref], { cwd: served }).status, 1);
  });

  it('a wrong token: forbidden, and the token is not in the message', async function () {
    await assert.rejects(pushRef(mirror, sha, ref, remoteOf(), 'ghp_wrongToken999'), (e: unknown) => isPushPalsError('forbidden')(e) && !(e as Error).message.includes('ghp_wrongToken999'));
  });

  it('with the token (Basic x-access-token): the branch is created at the sha; again: up to date; a non-fast-forward is refused', async function () {
    auths.length = 0;
    assert.deepEqual(await pushRef(mirror, sha, ref, remoteOf(), TOKEN), { previous: undefined, upToDate: false });
    assert.equal(git(served, 'rev-parse', ref), sha);
    assert.equal(git(served, 'rev-parse', 'main'), base);
    assert.ok(auths.includes(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`));
    assert.deepEqual(await pushRef(mirror, sha, ref, remoteOf(), TOKEN), { previous: sha, upToDate: true });
    const theirs = git(served, 'commit-tree', `${base}^{tree}`, '-p', base, '-m', 'theirs');
    git(served, 'update-ref', ref, theirs);
    await assert.rejects(pushRef(mirror, sha, ref, remoteOf(), TOKEN), (e: unknown) => isPushPalsError('conflict')(e) && /not a fast-forward/.test((e as Error).message));
    assert.equal(git(served, 'rev-parse', ref), theirs);
  });
});
