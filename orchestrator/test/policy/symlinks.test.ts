/**
 * The working copy's symlinks, followed as the sandbox will follow them: a real git working copy on
 * this host with committed links (made and committed by real git), classified with `hostWorkspace`
 * — the same way run_command and the OpenHands judge do.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyCommand, type Verdict } from '../../src/policy';
import { judgeToolCall } from '../../src/agents/openhands/tool-judge';
import { inlineClassifier } from '../../src/policy/classifier-pool';
import { EMPTY_POLICY } from '../../src/policy/policy';
import { removeTempDirs, tempDir } from '../helpers/temp';

/** link name → its text, as committed. */
const LINKS: Record<string, string> = {
  'etc-link': '/etc',
  up: '../..',
  cfg: '.git',
  'abs-cfg': '/workspace/.git',
  hooks: '.git/hooks',
  'tmp-link': '/tmp',
  'ok-link': 'sub/deep',
  'sub/back': '..',
  'sub/deep/gitdir': '../../.git',
  loop1: 'loop2',
  loop2: 'loop1',
  'file-link': 'README.md',
  // What `python3 -m venv .venv` makes in the sandbox: the venv's python is a link to the system's.
  '.venv/bin/python3': '/usr/bin/python3',
  '.venv/bin/python': 'python3',
  'tool-dir': '/usr/local/bin',
};

type Row = [command: string, verdict: Verdict, withoutHost: Verdict];

/** Each row: the verdict with the host copy known, and without (text only: what the policy said before). */
const ROWS: Row[] = [
  ['cd etc-link && rm -rf *', 'deny', 'allow'],
  ['cd etc-link && echo x > passwd', 'deny', 'allow'],
  ['cd up && rm -rf *', 'deny', 'allow'],
  ['cd up/tmp && git status', 'deny', 'allow'],
  ['cd cfg && echo x >> config', 'deny', 'allow'],
  ['cd abs-cfg && echo x >> config', 'deny', 'allow'],
  ['cd hooks && cp ../../hook post-checkout', 'deny', 'allow'],
  ['cd sub/deep/gitdir; echo x >> config', 'deny', 'allow'],
  ['cd tmp-link && git status', 'deny', 'allow'],
  ['cd tmp-link && echo x > .bashrc', 'deny', 'allow'],
  ['cd sub/back/cfg && echo x >> config', 'deny', 'allow'],
  ['if true; then cd cfg; fi; echo x >> config', 'deny', 'allow'],
  ['f() { cd cfg; }; f; echo x >> config', 'deny', 'allow'],
  // Not only after cd: any path through a link.
  ['echo x >> cfg/config', 'deny', 'allow'],
  ['echo x > etc-link/passwd', 'deny', 'allow'],
  ['git -C cfg status', 'ask', 'allow'],
  // A link loop: where it leads is not known.
  ['cd loop1 && echo x > y', 'ask', 'allow'],
  // `cd a/..` drops `a/..` before looking at the disk (-L); `cd -P` follows the link first.
  ['cd etc-link/.. && git status', 'allow', 'allow'],
  ['cd -P etc-link/.. && git status', 'deny', 'allow'],
  // A link the same line may have made (git checkout of a branch with one, cp, a script …): not known.
  ['git checkout -q other && cd cfg2 && echo x >> config', 'ask', 'allow'],
  ['./setup.sh && cd sub && echo x > out', 'ask', 'allow'],
  ['mkdir -p build && cd build && echo x > out', 'allow', 'allow'],
  // stays allowed: links inside the working copy, and removing a link (not what it points to)
  ['cd ok-link && echo x > out && git status', 'allow', 'allow'],
  ['cd sub/back && git status', 'allow', 'allow'],
  ['cd sub && echo x > out && git status', 'allow', 'allow'],
  ['echo x >> file-link', 'allow', 'allow'],
  ['rm cfg etc-link', 'allow', 'allow'],
  ['rm -rf up', 'allow', 'allow'],
  ['cat etc-link/os-release', 'allow', 'allow'],
  // A program that is a link in the working copy runs with the working copy's trust (a venv's python,
  // node_modules/.bin/*); a linked directory on the way still leads outside.
  ['.venv/bin/python -m pytest -q', 'allow', 'allow'],
  ['.venv/bin/python3 -m pip --version', 'allow', 'allow'],
  ['tool-dir/node -e 1', 'ask', 'allow'],
];

describe('policy: symlinks of a real working copy (hostWorkspace)', () => {
  let host: string;

  before(() => {
    host = tempDir('pp-links-');
    fs.mkdirSync(path.join(host, 'sub', 'deep'), { recursive: true });
    fs.mkdirSync(path.join(host, '.venv', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(host, 'README.md'), '# demo\n');
    fs.writeFileSync(path.join(host, 'sub', 'deep', 'a.txt'), 'a\n');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: host, stdio: 'pipe' });
    git('init', '-q');
    for (const [name, target] of Object.entries(LINKS)) fs.symlinkSync(target, path.join(host, name));
    git('add', '-A');
    git('commit', '-qm', 'links');
    // What a person cloning it gets: the links are in the tree, as links.
    const tree = git('ls-tree', '-r', 'HEAD').toString();
    for (const name of Object.keys(LINKS)) assert.match(tree, new RegExp(`^120000 blob \\w+\\t${name.replace(/[.]/g, '\\.')}$`, 'm'), `${name} is committed as a link`);
  });
  after(() => removeTempDirs());

  for (const [command, verdict, withoutHost] of ROWS) {
    it(`${JSON.stringify(command)} → ${verdict} (text only: ${withoutHost})`, () => {
      const r = classifyCommand(command, undefined, { hostWorkspace: host });
      assert.equal(r.verdict, verdict, `${command}: got ${r.verdict} (${r.reason}); parts ${JSON.stringify(r.parts)}`);
      assert.equal(classifyCommand(command).verdict, withoutHost, `${command} without the host copy`);
    });
  }

  it('never reads the host outside the working copy: an absolute link is a sandbox path', () => {
    // The host's /tmp holds the working copy itself; through `tmp-link` it is still the sandbox's /tmp.
    const rel = path.relative('/tmp', host);
    if (rel.startsWith('..')) return; // the OS temp dir is elsewhere: nothing to confuse
    assert.equal(classifyCommand(`cd tmp-link/${rel} && git status`, undefined, { hostWorkspace: host }).verdict, 'deny');
  });

  it('the OpenHands judge follows the links too (terminal and file_editor)', async () => {
    assert.equal((await judgeToolCall(inlineClassifier, 'terminal', { command: 'cd cfg && echo x >> config' }, EMPTY_POLICY, false, ['/workspace'], host)).verdict, 'deny');
    assert.equal((await judgeToolCall(inlineClassifier, 'file_editor', { command: 'create', path: '/workspace/cfg/config', file_text: 'x' }, EMPTY_POLICY, false, ['/workspace'], host)).verdict, 'deny');
    assert.equal((await judgeToolCall(inlineClassifier, 'file_editor', { command: 'create', path: '/workspace/ok-link/b.txt', file_text: 'x' }, EMPTY_POLICY, false, ['/workspace'], host)).verdict, 'allow');
    // A shell left in a linked directory by an earlier command is where the link leads.
    assert.equal((await judgeToolCall(inlineClassifier, 'terminal', { command: 'echo x >> config' }, EMPTY_POLICY, false, ['/workspace/cfg'], host)).verdict, 'deny');
  });
});
