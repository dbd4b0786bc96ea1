/**
 * The command-policy bypasses found by black-box testing, executed for real in the worker image
 * (real Docker, no network): each case first proves that the exact command DOES run its payload
 * (a marker file, a setuid bit, a connection, a redirected push) — so the case is real — and then
 * that the policy now denies or asks it. Commands the policy wrongly asked are shown to be allowed.
 */
import assert from 'node:assert/strict';
import { classifyCommand, type Verdict } from '../../src/policy';
import type { Sandbox, SandboxManager } from '../../src/sandbox';
import { requireDocker } from '../helpers/docker';
import { removeTempDirs } from '../helpers/temp';
import { makeWorkspace, newManager, reapByLabel } from '../sandbox/helpers';

interface Case {
  name: string;
  /** Prepares the sandbox (not judged: it stands for whatever state an earlier step left). */
  setup?: string;
  /** Started in the same exec just before the command (the runner ends leftover processes after each exec). */
  background?: string;
  /** The exact command whose verdict was wrong; it is classified, then run. */
  command: string;
  /** A shell check that exits 0 when the payload ran. */
  proof: string;
  /** The verdict the policy gives now. */
  verdict: Exclude<Verdict, 'allow'>;
  /** An allowed command that the payload re-arms (checked to be allowed and then run before the proof). */
  trigger?: string;
  network?: boolean;
}

const M = '/tmp/pp-marker';
/** A TCP server on the sandbox's loopback interface (the only one it has) that greets and closes. */
const listener = (port: number): string => `timeout 20 node -e "require('net').createServer((s) => s.end('pp-net-ok\\n')).listen(${port}, '127.0.0.1')" > /dev/null 2>&1 & sleep 1;`;
const FSMONITOR = `printf '[core]\\n\\tfsmonitor = "touch ${M}; false"\\n'`;

const CASES: Case[] = [
  { name: 'git grep --open-files-in-pager runs any command', command: `git grep --open-files-in-pager='touch ${M}; :' demo`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'git grep -O<cmd>', command: `git grep -O'touch ${M}; :' demo`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'git grep --open-files (an abbreviation)', command: `git grep --open-files='touch ${M}; :' demo`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'test -v evaluates a quoted subscript', command: `test -v 'a[$(touch ${M})]'`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: '[[ -v ]] evaluates a quoted subscript', command: `[[ -v 'a[$(touch ${M})]' ]]`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'read NAME evaluates a quoted subscript', command: `read 'a[$(touch ${M})]' <<< x`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'printf -v NAME evaluates a quoted subscript', command: `printf -v 'a[$(touch ${M})]' x`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'declare -i evaluates the assigned text', command: `declare -i n='a[$(touch ${M})]'`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'unset evaluates a quoted subscript', command: `a=(1); unset 'a[$(touch ${M})]'`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'let evaluates a quoted subscript', command: `let 'a[$(touch ${M})]=1'`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'wait -p evaluates a quoted subscript', command: `sleep 0 & wait -p 'a[$(touch ${M})]' $!`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: "arithmetic evaluates a variable's value", command: `x='a[$(touch ${M})]'; echo $((x))`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: '${!x} indirection evaluates the subscript in the value', command: `x='a[$(touch ${M})]'; echo \${!x}`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'mapfile -C runs a callback string', command: `mapfile -C 'touch ${M}' -c 1 x <<< a`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'compgen -W expands its word list', command: `compgen -W '$(touch ${M})'`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'sort --compress-program runs a program', command: `seq 1 20000 | sed 's|.*|touch ${M}; exec cat|' | sort -S 16K --compress-program=sh > /dev/null`, proof: `test -e ${M}`, verdict: 'ask' },
  { name: 'install -m 4755 sets the setuid bit', command: 'install -m 4755 /bin/true ./suid-true', proof: 'test "$(stat -c %a ./suid-true)" = 4755', verdict: 'deny' },
  { name: 'mkdir -m 2755 sets the setgid bit', command: 'mkdir -m 2755 ./sgid-dir', proof: 'test "$(stat -c %a ./sgid-dir)" = 2755', verdict: 'deny' },
  { name: 'chmod 04755 (five digits) sets the setuid bit', setup: 'cp /bin/true ./suid2', command: 'chmod 04755 ./suid2', proof: 'test "$(stat -c %a ./suid2)" = 4755', verdict: 'deny' },
  {
    name: 'cat < /dev/tcp/… opens a network connection',
    background: listener(7777),
    command: 'cat < /dev/tcp/127.0.0.1/7777 > /tmp/pp-net',
    proof: 'grep -q pp-net-ok /tmp/pp-net',
    verdict: 'ask',
    network: true,
  },
  {
    name: 'exec {fd}<>/dev/tcp/… opens a network connection',
    background: listener(7778),
    command: 'exec {fd}<>/dev/tcp/127.0.0.1/7778; cat <&$fd > /tmp/pp-net2',
    proof: 'grep -q pp-net-ok /tmp/pp-net2',
    verdict: 'ask',
    network: true,
  },
  { name: 'git -C /tmp/… runs the config of a repository outside the workspace', setup: `git init -q /tmp/outside && ${FSMONITOR} >> /tmp/outside/.git/config`, command: 'git -C /tmp/outside status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'GIT_DIR=/tmp/… does the same', setup: `git init -q /tmp/outside2 && ${FSMONITOR} >> /tmp/outside2/.git/config`, command: 'GIT_DIR=/tmp/outside2/.git git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'cd /tmp/… && git status does the same', setup: `git init -q /tmp/outside3 && ${FSMONITOR} >> /tmp/outside3/.git/config`, command: 'cd /tmp/outside3 && git status', proof: `test -e ${M}`, verdict: 'deny' },
  {
    name: 'git remote add redirects a later (approved) push',
    setup: 'git init -q --bare /tmp/elsewhere.git',
    command: 'git remote add origin /tmp/elsewhere.git',
    trigger: 'git push origin HEAD:refs/heads/leak',
    proof: 'git --git-dir=/tmp/elsewhere.git rev-parse --verify -q refs/heads/leak',
    verdict: 'deny',
  },
  {
    name: 'git remote set-url redirects a later (approved) push',
    setup: 'git init -q --bare /tmp/approved.git && git init -q --bare /tmp/elsewhere2.git && git remote add origin /tmp/approved.git',
    command: 'git remote set-url origin /tmp/elsewhere2.git',
    trigger: 'git push origin HEAD:refs/heads/leak2',
    proof: 'git --git-dir=/tmp/elsewhere2.git rev-parse --verify -q refs/heads/leak2',
    verdict: 'deny',
  },
  { name: '>> .git/config re-arms core.fsmonitor for the next git status', command: `${FSMONITOR} >> .git/config`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'tee .git/hooks/post-checkout re-arms a hook for git checkout -b', command: `printf '#!/bin/sh\\ntouch ${M}\\n' | tee .git/hooks/post-checkout > /dev/null && chmod +x .git/hooks/post-checkout`, trigger: 'git checkout -q -b via-hook', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'cd .git && sed -i re-arms core.fsmonitor', setup: 'git config core.fsmonitor false', command: `cd .git && sed -i 's|fsmonitor = false|fsmonitor = "touch ${M}; false"|' config`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: '$HOME/.gitconfig (HOME=/tmp) re-arms core.fsmonitor', command: `${FSMONITOR} > /tmp/.gitconfig`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  // A cd that fails inside a construct leaves the shell where it was (here: in .git).
  { name: 'a failed cd in a { } group writes .git/config', command: `cd .git && { cd /tmp/nope; ${FSMONITOR} >> config; }`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'a failed cd in an if body writes .git/config', command: `cd .git && if true; then cd /tmp/nope; ${FSMONITOR} >> config; fi`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'a failed cd in a case arm writes .git/config', command: `cd .git && case a in a) cd /tmp/nope; ${FSMONITOR} >> config;; esac`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'a failed cd in $( ) writes .git/config', command: `x=$(cd .git; cd /tmp/nope; ${FSMONITOR} >> config)`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  // A loop's next round starts where the last one ended; a function runs where it is called.
  { name: "a loop's second round writes .git/config", command: `for i in 1 2; do ${FSMONITOR} >> config; cd .git; done`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'a function called after cd .git writes .git/config', command: `f() { ${FSMONITOR} >> config; }; cd .git && f`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  { name: 'under lastpipe the last pipeline stage cds the shell itself', command: `shopt -s lastpipe; true | cd .git; ${FSMONITOR} >> config`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  // A committed link into .git (the classifier reads it from the host copy, as mounted).
  { name: 'cd through a link to .git writes .git/config', setup: 'ln -s .git cfg', command: `cd cfg && ${FSMONITOR} >> config`, trigger: 'git status', proof: `test -e ${M}`, verdict: 'deny' },
  {
    name: 'a link the same line checks out: cd through it writes .git/config',
    setup: 'b=$(git rev-parse --abbrev-ref HEAD) && git checkout -q -b linkbranch && ln -s .git cfg2 && git add cfg2 && git -c user.name=t -c user.email=t@t commit -qm link && git checkout -q "$b" && ! test -e cfg2',
    command: `git checkout -q linkbranch && cd cfg2 && ${FSMONITOR} >> config`,
    trigger: 'git status',
    proof: `test -e ${M}`,
    verdict: 'ask',
  },
];

/** Commands the policy asked although they only print a version: allowed now, and they run. */
const FALSE_POSITIVES = ['node --version', 'python3 --version', '[ -d .git ] && echo yes'];

describe('policy: the black-box bypasses, executed in the worker image (real Docker)', function () {
  this.timeout(180_000);
  let m: SandboxManager;
  let sb: Sandbox;
  /** The working copy on this host, mounted at /workspace: the classifier follows its links, as run_command does. */
  let ws: string;

  before(async () => {
    await requireDocker();
    m = newManager();
    await m.init();
    ws = makeWorkspace({ git: true });
    sb = await m.acquire({ taskId: 'policy-bypass', workspaceHostPath: ws });
  });
  after(async () => {
    await m?.close();
    await reapByLabel();
    removeTempDirs();
  });

  /** Runs a setup or check step and fails loudly when it does not succeed. */
  async function must(step: string, what: string): Promise<void> {
    const r = await sb.exec(step, { timeoutMs: 60_000 });
    assert.equal(r.exitCode, 0, `${what}: ${step}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }

  beforeEach(async () => {
    // A clean state: no marker, no hostile config, no remote, hooks and HEAD as git made them.
    await must(`rm -f ${M} /tmp/.gitconfig; git config --unset-all core.fsmonitor; git remote remove origin 2>/dev/null; rm -f .git/hooks/post-checkout config cfg; git checkout -q master 2>/dev/null || git checkout -q main; git branch -q -D linkbranch 2>/dev/null; true`, 'reset');
  });

  for (const c of CASES) {
    it(`${c.name}: runs its payload, and is now ${c.verdict}`, async () => {
      if (c.setup) await must(c.setup, 'setup');
      // Judged after the setup: it stands for the state an earlier step left, links included.
      const verdict = classifyCommand(c.command, undefined, { workspace: '/workspace', hostWorkspace: ws });
      assert.equal(verdict.verdict, c.verdict, `${c.command}: ${verdict.reason}`);
      if (c.network) assert.equal(verdict.needsNetwork, true, `${c.command} needs the network`);
      if (c.trigger) assert.notEqual(classifyCommand(c.trigger).verdict, 'deny', `${c.trigger} is what the payload waits for`);
      await must(`! ( ${c.proof} )`, 'the payload has not run before the command');
      await sb.exec(c.background ? `${c.background} ${c.command}` : c.command, { timeoutMs: 60_000 });
      if (c.trigger) await sb.exec(c.trigger, { timeoutMs: 60_000 });
      await must(c.proof, 'the payload ran');
    });
  }

  for (const command of FALSE_POSITIVES) {
    it(`${command}: allowed, and runs`, async () => {
      const verdict = classifyCommand(command);
      assert.equal(verdict.verdict, 'allow', verdict.reason);
      await must(command, 'runs');
    });
  }
});
