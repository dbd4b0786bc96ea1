/**
 * Git with network after an approval: the working copy's `.git/config` (task-written) is cut to an
 * allow-list, and NETWORK_GIT_ENV switches off hooks, fsmonitor, credential helpers and home/system
 * config. Real git pushing to a real (local) remote; markers prove what ran.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NETWORK_GIT_ENV, neutralizeRepoConfig } from '../../src/git';
import { PushPalsError } from '../../src/errors';
import { removeTempDirs, tempDir } from '../helpers/temp';

const isPushPalsError = (code: string) => (e: unknown) => e instanceof PushPalsError && e.code === code;

function run(cwd: string, args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b', ...env } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('git: network git neutralises the working copy\'s config', function () {
  let root = '';
  let markers = '';
  let wc = '';
  let remote = '';
  let decoy = '';

  beforeEach(function () {
    root = tempDir('pushpals-netgit-');
    markers = path.join(root, 'markers');
    fs.mkdirSync(markers);
    remote = path.join(root, 'remote.git');
    decoy = path.join(root, 'decoy.git');
    run(root, ['init', '-q', '--bare', remote]);
    run(root, ['init', '-q', '--bare', decoy]);
    wc = path.join(root, 'wc');
    fs.mkdirSync(wc);
    run(wc, ['init', '-q', '-b', 'main']);
    fs.writeFileSync(path.join(wc, 'a.txt'), 'a\n');
    run(wc, ['add', '.']);
    run(wc, ['commit', '-q', '-m', 'a']);
    const mark = (name: string) => `sh -c 'touch ${markers}/${name}'`;
    const hooks = path.join(wc, '.git', 'hooks');
    fs.writeFileSync(path.join(hooks, 'pre-push'), `#!/bin/sh\ntouch ${markers}/pre-push\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'included'), `[core]\n\tfsmonitor = ${mark('included-fsmonitor')}\n`);
    fs.appendFileSync(
      path.join(wc, '.git', 'config'),
      [
        '[core]',
        `\tfsmonitor = ${mark('fsmonitor')}`,
        `\tsshCommand = ${mark('ssh')}`,
        '[remote "origin"]',
        `\turl = ${remote}`,
        `\tpushurl = ${decoy}`,
        '\tfetch = +refs/heads/*:refs/remotes/origin/*',
        `[url "${decoy}"]`,
        `\tinsteadOf = ${remote}`,
        '[credential]',
        `\thelper = !${mark('credential')}`,
        '[include]',
        `\tpath = ${path.join(root, 'included')}`,
        '[branch "main"]',
        '\tremote = origin',
        '\tmerge = refs/heads/main',
        '[alias]',
        `\tst = !${mark('alias')}`,
        '',
      ].join('\n'),
    );
  });

  afterEach(() => removeTempDirs());

  it('drops every key off the allow-list (insteadOf, pushurl, fsmonitor, sshCommand, credential, include, alias) and keeps remotes and branches', function () {
    const dropped = neutralizeRepoConfig(wc);
    const text = dropped.join('\n');
    for (const k of ['fsmonitor', 'sshcommand', 'pushurl', 'insteadof', 'helper', 'path', 'st']) assert.match(text, new RegExp(`\\b${k}\\b`), `${k} not dropped: ${text}`);
    const config = fs.readFileSync(path.join(wc, '.git', 'config'), 'utf8');
    assert.doesNotMatch(config, /fsmonitor|sshCommand|pushurl|insteadOf|credential|include|alias|decoy/i, config);
    assert.equal(run(wc, ['config', 'remote.origin.url']).out.trim(), remote);
    assert.equal(run(wc, ['config', 'branch.main.merge']).out.trim(), 'refs/heads/main');
    assert.deepEqual(neutralizeRepoConfig(wc), [], 'a second pass has nothing left to drop');
  });

  it('an approved git push then goes to the remote it names, with no hook, fsmonitor, helper or include run (control: without it, the decoy gets the push and the hook runs)', function () {
    // Control: plain git honours the planted config.
    const control = path.join(root, 'control');
    fs.cpSync(wc, control, { recursive: true });
    run(control, ['push', '-q', 'origin', 'main']);
    assert.ok(fs.existsSync(path.join(markers, 'pre-push')), 'control: the planted pre-push hook should have run');
    assert.equal(run(decoy, ['rev-parse', '--verify', '-q', 'refs/heads/main']).status, 0, 'control: the push should have gone to the decoy');
    fs.rmSync(markers, { recursive: true });
    fs.mkdirSync(markers);
    run(decoy, ['update-ref', '-d', 'refs/heads/main']);

    neutralizeRepoConfig(wc);
    fs.writeFileSync(path.join(root, '.gitconfig'), `[url "${decoy}"]\n\tinsteadOf = ${remote}\n`); // a planted home config too
    const push = run(wc, ['push', '-q', 'origin', 'main'], { ...NETWORK_GIT_ENV, HOME: root });
    assert.equal(push.status, 0, push.out);
    assert.equal(run(remote, ['rev-parse', 'refs/heads/main']).out.trim(), run(wc, ['rev-parse', 'HEAD']).out.trim());
    assert.notEqual(run(decoy, ['rev-parse', '--verify', '-q', 'refs/heads/main']).status, 0, 'the decoy got the push');
    run(wc, ['status'], { ...NETWORK_GIT_ENV, HOME: root });
    assert.deepEqual(fs.readdirSync(markers), []);
  });

  it('a .git that is a symlink is refused; a config that is a symlink is replaced, never written through', function () {
    const outside = path.join(root, 'outside-config');
    fs.writeFileSync(outside, '[core]\n\tfsmonitor = x\n');
    fs.rmSync(path.join(wc, '.git', 'config'));
    fs.symlinkSync(outside, path.join(wc, '.git', 'config'));
    assert.ok(neutralizeRepoConfig(wc).length > 0);
    assert.equal(fs.readFileSync(outside, 'utf8'), '[core]\n\tfsmonitor = x\n');
    assert.ok(!fs.lstatSync(path.join(wc, '.git', 'config')).isSymbolicLink());

    const other = path.join(root, 'other');
    fs.mkdirSync(other);
    fs.symlinkSync(path.join(wc, '.git'), path.join(other, '.git'));
    assert.throws(() => neutralizeRepoConfig(other), isPushPalsError('forbidden'));
  });
});
