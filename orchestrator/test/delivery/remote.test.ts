/**
 * Delivery's pure parts: a forge remote URL → owner/repo/API base URL; credentials never kept or shown;
 * the one ref a push may write; the forge config section; the token file's permissions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkForgeConfig, defaultForgeConfig, readForgeToken, writeForgeToken } from '../../src/delivery/forge-config';
import { deliveryRef } from '../../src/delivery/push';
import { parseForgeRemote, redactSecret, resolvePushRemote, withoutCredentials } from '../../src/delivery/remote';
import { PushPalsError } from '../../src/errors';
import { removeTempDirs, tempDir } from '../helpers/temp';

const isPushPalsError = (code: string) => (e: unknown) => e instanceof PushPalsError && e.code === code;

describe('delivery: remote URLs, credentials, the push target', function () {
  after(() => removeTempDirs());

  it('parses github.com https remotes with and without .git', function () {
    const gh = { owner: 'octo-org', repo: 'hello.world', apiBaseUrl: 'https://api.github.com' };
    assert.deepEqual(parseForgeRemote('https://github.com/octo-org/hello.world.git'), gh);
    assert.deepEqual(parseForgeRemote('https://github.com/octo-org/hello.world'), gh);
    assert.deepEqual(parseForgeRemote('https://github.com/octo-org/hello.world/'), gh);
    assert.deepEqual(parseForgeRemote('https://GitHub.com/octo-org/hello.world.git'), gh);
  });

  it('parses GitHub Enterprise https remotes: the API at https://<host>/api/v3 (a port kept)', function () {
    assert.deepEqual(parseForgeRemote('https://ghe.example.com/platform/api-server.git'), { owner: 'platform', repo: 'api-server', apiBaseUrl: 'https://ghe.example.com/api/v3' });
    assert.deepEqual(parseForgeRemote('https://ghe.example.com:8443/platform/api-server'), { owner: 'platform', repo: 'api-server', apiBaseUrl: 'https://ghe.example.com:8443/api/v3' });
  });

  it('credentials in a remote URL are dropped before parsing; other shapes are not a forge remote', function () {
    assert.deepEqual(parseForgeRemote('https://x-access-token:ghp_secret123@github.com/o/r.git'), { owner: 'o', repo: 'r', apiBaseUrl: 'https://api.github.com' });
    for (const u of ['git@github.com:o/r.git', 'ssh://git@github.com/o/r.git', 'https://github.com/o', 'https://gitlab.example.com/group/sub/r.git', '/srv/git/r.git', 'file:///srv/git/o/r.git', 'not a url']) {
      assert.equal(parseForgeRemote(u), undefined, u);
    }
  });

  it('withoutCredentials and redactSecret never let a token through', function () {
    assert.equal(withoutCredentials('https://alice:s3cr3t@ghe.example.com/o/r.git'), 'https://ghe.example.com/o/r.git');
    assert.equal(withoutCredentials('https://ghp_tok3n@github.com/o/r'), 'https://github.com/o/r');
    assert.equal(withoutCredentials('/srv/git/r.git'), '/srv/git/r.git');
    assert.equal(redactSecret('HttpError: Bad credentials for ghp_tok3n (ghp_tok3n)', 'ghp_tok3n'), 'HttpError: Bad credentials for *** (***)');
    assert.equal(redactSecret('nothing here', undefined), 'nothing here');
  });

  it('a push writes only refs/heads/pushpals/<task>: never the default branch or another branch', function () {
    assert.equal(deliveryRef('t_1', 'pushpals/t_1', 'main'), 'refs/heads/pushpals/t_1');
    for (const [branch, def] of [['main', 'main'], ['refs/heads/main', 'main'], ['pushpals/t_2', 'main'], ['pushpals/t_1', 'pushpals/t_1'], ['pushpals/t_1/../main', 'main']] as const) {
      assert.throws(() => deliveryRef('t_1', branch, def), isPushPalsError('forbidden'), `${branch} (default ${def})`);
    }
  });

  it('resolves the remote of a local repository: origin by default, by name or URL; ssh refused; credentials never shown', async function () {
    const dir = tempDir('pushpals-delivery-remote-');
    const git = (...args: string[]) => assert.equal(spawnSync('git', args, { cwd: dir, encoding: 'utf8' }).status, 0, args.join(' '));
    git('init', '-q', '-b', 'main');
    const bare = path.join(dir, 'remote.git');
    git('init', '-q', '--bare', bare);
    git('remote', 'add', 'origin', bare);
    git('remote', 'add', 'gh', 'https://bob:hunter2hunter2@github.com/o/r.git');
    git('remote', 'add', 'old', 'git@github.com:o/r.git');
    const repo = { kind: 'path' as const, source: dir, name: 'demo' };
    const origin = await resolvePushRemote(repo);
    assert.deepEqual([origin.name, origin.target, origin.shown], ['origin', { kind: 'path', gitdir: bare }, bare]);
    const gh = await resolvePushRemote(repo, 'gh');
    assert.deepEqual([gh.target, gh.shown], [{ kind: 'http', url: 'https://github.com/o/r.git' }, 'https://***@github.com/o/r.git']);
    assert.equal((await resolvePushRemote(repo, 'https://github.com/o/r.git')).name, 'gh');
    await assert.rejects(resolvePushRemote(repo, 'old'), (e: unknown) => isPushPalsError('invalid_message')(e) && /ssh/.test((e as Error).message));
    await assert.rejects(resolvePushRemote(repo, 'upstream'), (e: unknown) => isPushPalsError('not_found')(e) && /origin, gh, old/.test((e as Error).message));
  });

  it('the forge config: defaults valid, bad values named', function () {
    assert.deepEqual(checkForgeConfig(defaultForgeConfig()), []);
    assert.deepEqual(checkForgeConfig({ tokenEnv: 'GH_TOKEN', repos: { web: { apiBaseUrl: 'https://ghe.example.com/api/v3', repository: 'acme/web', tokenEnv: 'WEB_TOKEN' } } }), []);
    const problems = checkForgeConfig({ tokenEnv: 'bad name', repos: { web: { apiBaseUrl: 'https://user:pw@ghe.example.com', repository: 'acme', token: 'x' } }, extra: 1 });
    assert.deepEqual(problems, [
      'forge.extra: unknown setting',
      'forge.tokenEnv: must be an environment variable name',
      'forge.repos.web.token: unknown setting',
      'forge.repos.web.apiBaseUrl: must be an http(s) URL without credentials',
      'forge.repos.web.repository: must be "owner/name"',
    ]);
  });

  it('a token: the env variable wins; the file is 0600; a file others can read is refused', function () {
    const dataDir = tempDir('pushpals-delivery-token-');
    const repo = { id: 'r_1', name: 'web' };
    const cfg = { tokenEnv: 'ALL_TOKEN', repos: { web: { tokenEnv: 'WEB_TOKEN' } } };
    assert.deepEqual(readForgeToken(dataDir, cfg, repo, {}), { value: undefined, source: 'none' });
    const file = writeForgeToken(dataDir, repo.id, ' ghp_fromfile \n');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(readForgeToken(dataDir, cfg, repo, {}), { value: 'ghp_fromfile', source: `file ${file}` });
    assert.deepEqual(readForgeToken(dataDir, cfg, repo, { ALL_TOKEN: 'ghp_all' }), { value: 'ghp_all', source: 'env ALL_TOKEN' });
    assert.deepEqual(readForgeToken(dataDir, cfg, repo, { ALL_TOKEN: 'ghp_all', WEB_TOKEN: 'ghp_web' }), { value: 'ghp_web', source: 'env WEB_TOKEN' });
    fs.chmodSync(file, 0o644);
    assert.throws(() => readForgeToken(dataDir, cfg, repo, {}), (e: unknown) => isPushPalsError('invalid_message')(e) && /chmod 600/.test((e as Error).message));
    assert.throws(() => writeForgeToken(dataDir, repo.id, 'two words'), isPushPalsError('invalid_message'));
  });
});
