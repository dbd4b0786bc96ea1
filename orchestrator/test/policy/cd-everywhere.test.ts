import * as assert from 'node:assert/strict';
import { classifyCommand, type Verdict } from '../../src/policy';

type Row = [command: string, verdict: Verdict];

/**
 * A `cd` moves the shell wherever it appears, and may fail wherever it appears: every construct bash
 * has is judged from every directory the shell may be in (default policy, workspace /workspace,
 * no host copy — symlinks are symlinks.test.ts). The dangerous targets: `.git` (config and hooks
 * re-arm git), `HEAD` in the workspace root (a bare-looking repository), git run in /tmp.
 * Each family ends with ordinary commands that must stay allowed.
 */
const FAMILIES: Record<string, Row[]> = {
  'if / elif / else': [
    // A cd that fails inside a branch leaves the shell where it was, for the rest of the branch…
    ['if true; then cd /tmp/nope; echo x > HEAD; fi', 'deny'],
    ['cd .git && if true; then cd /tmp/nope; echo x >> config; fi', 'deny'],
    // …and after the if.
    ['if true; then cd /tmp/nope; fi; echo x > HEAD', 'deny'],
    ['if [ -d x ]; then cd .git; fi; echo x >> config', 'deny'],
    ['if true; then cd /tmp/r; fi; git status', 'deny'],
    // The condition's cd: the then-branch runs after it succeeded, the else-branch after it failed.
    ['if cd /tmp/r; then git status; fi', 'deny'],
    ['if cd .git; then echo x >> config; fi', 'deny'],
    ['cd .git && if cd /tmp/nope; then :; else echo x >> config; fi', 'deny'],
    ['if false; then :; elif cd .git; then echo x >> config; fi', 'deny'],
    ['if false; then :; elif true; then cd .git; else :; fi; echo x >> config', 'deny'],
    ['if false; then :; else cd .git; fi && echo x >> config', 'deny'],
    ['if ! cd /tmp/r; then :; else git status; fi', 'deny'],
    // A subshell in a branch keeps its cd.
    ['if true; then (cd /tmp); fi; echo x > HEAD', 'deny'],
    ['if true; then (cd .git; echo x >> config); fi', 'deny'],
    // stays allowed
    ['if cd sub; then git status; fi', 'allow'],
    ['if cd sub; then git status; else git log; fi', 'allow'],
    ['if cd sub; then :; else echo x > config; fi', 'allow'],
    ['if [ -d sub ]; then cd sub; fi; echo hi > out.txt', 'allow'],
    ['if true; then cd sub; fi && git status', 'allow'],
    ['if true; then (cd /tmp); fi; git status', 'allow'],
  ],
  'while / until': [
    ['while true; do cd .git; break; done; echo x >> config', 'deny'],
    ['while cd .git; do echo x >> config; done', 'deny'],
    ['until cd .git; do :; done; echo x >> config', 'deny'],
    ['until ! cd .git; do echo x >> config; done', 'deny'],
    // The next round starts where the last one ended.
    ['while read -r l; do echo "$l" >> config; cd .git; done < list', 'deny'],
    ['n=0; while [ $n -lt 2 ]; do git status; cd /tmp/r; n=$((n+1)); done', 'deny'],
    // A loop that keeps moving: where it ends is not known.
    ['while read -r d; do cd sub; done < list; echo hi > out.txt', 'ask'],
    // stays allowed
    ['while read -r l; do echo "$l"; done < list', 'allow'],
    ['while read -r f; do (cd sub && git status); done < list', 'allow'],
  ],
  'for / select / C-style for': [
    ['for i in 1 2; do echo x >> config; cd .git; done', 'deny'],
    ['for i in 1 2; do cd .git; done; echo x >> config', 'deny'],
    ['for d in a b; do git status; cd /tmp/r; done', 'deny'],
    ['for ((i=0;i<2;i++)); do cd .git; done; echo x >> config', 'deny'],
    ['select x in a; do cd .git; break; done; echo x >> config', 'deny'],
    ['for i in $(cd /tmp/nope; echo x > HEAD); do :; done', 'deny'],
    ['for i in 1 2; do cd sub; done; echo hi > out.txt', 'ask'],
    ['for i in 1 2; do cd sub; git status; done', 'ask'],
    // If `cd sub` fails, `cd ..` leaves the workspace.
    ['for i in 1 2 3; do cd sub; cd ..; done; git status', 'ask'],
    // stays allowed
    ['for f in *.md; do wc -l "$f"; done', 'allow'],
    ['for d in a b; do (cd "sub/$d" && npm test); done', 'allow'],
    ['for i in 1 2; do cd /workspace/sub; done; git status', 'allow'],
  ],
  'case arms': [
    ['case $x in a) cd .git;; esac; echo x >> config', 'deny'],
    ['case $x in a) cd .git;& b) echo x >> config;; esac', 'deny'],
    ['case $x in a) cd .git;;& *) echo x >> config;; esac', 'deny'],
    ['case $x in a) cd /tmp/nope; echo x > HEAD;; esac', 'deny'],
    ['case $(cd /tmp/nope; echo x > HEAD) in *) :;; esac', 'deny'],
    ['case $x in a) cd /tmp/r;; *) :;; esac && git status', 'deny'],
    // stays allowed: `;;` ends the arm, the next one starts where the case started
    ['case $x in a) cd .git;; b) echo x >> config;; esac', 'allow'],
    ['case $x in a) cd sub;; *) cd src;; esac && git status', 'allow'],
  ],
  'brace groups': [
    ['{ cd /tmp/nope; echo x > HEAD; }', 'deny'],
    ['cd .git && { cd /tmp/nope; echo x >> config; }', 'deny'],
    ['{ cd .git; }; echo x >> config', 'deny'],
    ['{ cd .git && echo x >> config; }', 'deny'],
    ['{ cd /tmp/r; } && git status', 'deny'],
    ['{ { cd .git; }; }; echo x >> config', 'deny'],
    ['{ (cd /tmp); echo x > HEAD; }', 'deny'],
    ['{ cd /tmp; } > HEAD', 'deny'],
    // stays allowed
    ['{ cd sub && git status; }', 'allow'],
    ['{ cd sub; npm test; } > /tmp/log 2>&1', 'allow'],
  ],
  'function bodies: judged from where they are called': [
    ['f() { echo x >> config; }; cd .git; f', 'deny'],
    ['f() { echo x >> config; }; cd .git && f', 'deny'],
    ['f() { cd .git; }; f; echo x >> config', 'deny'],
    ['f() { cd .git; }; true; f; echo x >> config', 'deny'],
    ['f() { cd /tmp; }; f && git status', 'deny'],
    ['f() { cd /tmp/nope; echo x > HEAD; }; f', 'deny'],
    ['g() { cd .git; }; f() { g; }; f; echo x >> config', 'deny'],
    ['f() { f; cd .git; }; f; echo x >> config', 'deny'],
    ['function f { if true; then cd .git; fi; }; f; echo x >> config', 'deny'],
    ['cd() { builtin cd /tmp; }; cd sub && git status', 'deny'],
    // A wrapper runs a program or builtin, never the function of that name.
    ['f() { :; }; timeout 5 f', 'ask'],
    ['f() { (cd .git; echo x >> config); }; f', 'deny'],
    // stays allowed
    ['f() { git status; }; cd sub && f', 'allow'],
    // defined, never called: its cd never runs
    ['f() { cd /tmp; }; git status', 'allow'],
    ['f() { (cd sub && git status); }; f; git log -1', 'allow'],
  ],
  'nested subshells, substitutions and nested shells': [
    ['echo $(cd /tmp/nope; echo x > HEAD)', 'deny'],
    ['x=$(cd .git; cd /tmp/nope; echo x >> config)', 'deny'],
    ['cat <(cd .git && echo x >> config)', 'deny'],
    ['(if true; then cd /tmp/nope; fi; echo x > HEAD)', 'deny'],
    ['( (cd .git); echo x > HEAD )', 'deny'],
    ['bash -c "cd /tmp/nope; echo x > HEAD"', 'deny'],
    ['bash -c "cd .git" && echo x > HEAD', 'deny'],
    ['cd .git && bash -c "cd /tmp/nope; echo x >> config"', 'deny'],
    ['echo $(cd /tmp/r && git status)', 'deny'],
    // under lastpipe the last stage of a pipeline runs in the shell itself
    ['shopt -s lastpipe; true | cd .git; echo x >> config', 'deny'],
    ["shopt -s $'last\\x70ipe'; true | cd /tmp/r; git status", 'deny'],
    // stays allowed
    ['true | cd .git; echo x >> config', 'allow'],
    ['echo "$(cd sub && git rev-parse HEAD)"', 'allow'],
    ['(cd sub; npm test) && git status', 'allow'],
    // a child process's cd is its own
    ["bash -c 'cd /tmp'; git status", 'allow'],
  ],
  '&& and || chains inside constructs': [
    ['if true; then cd /tmp/r && git status; fi', 'deny'],
    ['while true; do cd .git || break; echo x >> config; done', 'deny'],
    ['{ true && cd .git; } ; echo x >> config', 'deny'],
    ['! cd /tmp/r || git status', 'deny'],
    ['[[ -d x ]] && cd .git && echo x >> config', 'deny'],
    ['time cd /tmp/r; git status', 'deny'],
    // stays allowed: after `cd x || y`, y runs only where the failed cd left the shell
    ['cd /tmp/r || git status', 'allow'],
    ['cd .git || echo x >> config', 'allow'],
    // …but `cd -Pe` may report failure after it moved
    ['cd -Pe .git || echo x >> config', 'deny'],
    ['cd sub || exit 1; git status', 'allow'],
    // background jobs and coprocesses run in a subshell
    ['cd /tmp/r & git status', 'allow'],
    ['coproc cd /tmp; git status', 'allow'],
  ],
  'cd -, cd alone, ~, pushd/popd': [
    ['cd -; git status', 'ask'],
    ['cd - && echo x > config', 'ask'],
    ['cd; git status', 'ask'],
    ['cd && echo x > .bashrc', 'ask'],
    ['cd ~ && git status', 'ask'],
    ['cd ~/x && echo x > y', 'ask'],
    ['if true; then cd -; fi; echo x > config', 'ask'],
    ['pushd .git && echo x >> config', 'deny'],
    ['pushd .git > /dev/null; echo x >> config', 'deny'],
    ['pushd /tmp/r; git status', 'deny'],
    ['pushd /tmp; popd; git status', 'deny'],
    ['pushd sub; popd; echo x > HEAD', 'deny'],
    ['pushd +1 && git status', 'ask'],
    ['pushd -1; echo x > config', 'ask'],
    ['pushd && git status', 'ask'],
    ['popd && echo x > config', 'ask'],
    ['builtin cd .git && echo x >> config', 'deny'],
    ['command cd /tmp/r && git status', 'deny'],
    // bash checks an assigned $PWD against the real directory (and ignores it): `cd ..` is the parent
    ['PWD=/workspace/.git/hooks; cd .. && git status', 'deny'],
    // stays allowed
    ['pushd sub && git status', 'allow'],
    ['cd sub && cd - && echo done', 'allow'],
  ],
  'CDPATH and cdable_vars: `cd name` may go elsewhere': [
    ['CDPATH=/tmp cd r && git status', 'ask'],
    ['CDPATH=/tmp; cd r && git status', 'ask'],
    ['export CDPATH=/tmp; cd r && git status', 'ask'],
    ['printf -v CDPATH /tmp; cd r && git status', 'ask'],
    ['read CDPATH <<< /tmp; cd r && git status', 'ask'],
    ['declare "CDPATH=/tmp"; cd r && git status', 'ask'],
    ["declare $'\\x43DPATH=/tmp'; cd r && git status", 'ask'],
    ['shopt -s cdable_vars; d=/tmp; cd d && git status', 'ask'],
    ["shopt -s $'cdable\\x5fvars'; d=/tmp/r; cd d && git status", 'ask'],
    // …and judged from ./name as well
    ['CDPATH=/tmp; cd .git && echo x >> config', 'deny'],
    // the same routes for other variables that change what runs
    ['read PATH <<< /tmp; ls', 'ask'],
    ['export "PATH=/tmp/x"; ls', 'ask'],
    ['printf -v GIT_DIR /tmp/r/.git; git status', 'ask'],
    // stays allowed
    ['read -r line < notes.txt; echo "$line"', 'allow'],
    ['printf -v msg "%s" hi; echo "$msg"', 'allow'],
  ],
};

describe('policy: cd in every position (table)', () => {
  for (const [family, rows] of Object.entries(FAMILIES)) {
    describe(family, () => {
      for (const [command, verdict] of rows) {
        it(`${JSON.stringify(command)} → ${verdict}`, () => {
          const r = classifyCommand(command);
          assert.equal(r.verdict, verdict, `${command}: got ${r.verdict} (${r.reason}); parts ${JSON.stringify(r.parts)}`);
          assert.ok(r.reason.length > 0);
        });
      }
    });
  }

  it('bounds the work: functions that call each other twice (2^16 calls) are refused, not walked for minutes', function () {
    this.timeout(60_000);
    let line = 'f0() { cd sub; }';
    for (let i = 1; i <= 16; i++) line += `; f${i}() { f${i - 1}; f${i - 1}; }`;
    const r = classifyCommand(`${line}; f16; git status`);
    assert.equal(r.verdict, 'deny');
    assert.match(r.reason, /too complex to check/);
    // The same functions called once each are judged normally.
    assert.equal(classifyCommand('f0() { cd sub; }; f1() { f0; }; f1 && git status').verdict, 'allow');
  });

  it('judges a command once per distinct outcome, not once per directory', () => {
    const r = classifyCommand('cd sub; git status; npm test');
    assert.deepEqual(
      r.parts.map((p) => p.argv.join(' ')),
      ['cd sub', 'git status', 'npm test'],
    );
  });
});
