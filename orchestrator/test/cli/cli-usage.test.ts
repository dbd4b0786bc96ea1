import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The real CLI, as `pushpals` runs it (compiled entry point, own process). */
const CLI = path.join(__dirname, '..', '..', 'src', 'cli.js');

describe('cli: usage, --help and usage errors (spawned)', function () {
  this.timeout(30000);
  let home: string;
  before(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-cli-'));
  });
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PUSHPALS_HOME: home };
    delete env.PUSHPALS_URL;
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 20000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  /** Every subcommand the top-level usage lists (so a new one is covered without editing this test). */
  const subcommands = (): string[] => {
    const r = run('--help');
    assert.equal(r.code, 0);
    const names = [...r.out.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1] as string);
    assert.ok(names.length >= 7, `expected the command list in:\n${r.out}`);
    return names;
  };

  it('lists the subcommands, including task, repo, audit and sandbox', () => {
    const names = subcommands();
    for (const n of ['serve', 'token', 'status', 'task', 'repo', 'audit', 'sandbox', 'forge']) assert.ok(names.includes(n), `${n} missing from ${names.join(',')}`);
  });

  it('every subcommand prints its usage on --help and -h and exits 0, with nothing on stderr', () => {
    for (const name of subcommands()) {
      for (const flag of ['--help', '-h']) {
        const r = run(name, flag);
        assert.equal(r.code, 0, `${name} ${flag}: exit ${r.code}\n${r.err}`);
        assert.match(r.out, new RegExp(`usage: pushpals ${name}\\b`), `${name} ${flag} printed:\n${r.out}`);
        assert.equal(r.err, '', `${name} ${flag} wrote to stderr: ${r.err}`);
        assert.doesNotMatch(r.out, /TypeError|Unknown option/);
      }
    }
  });

  it('--help after a verb and among other options still prints the usage (task new --help, repo add --help)', () => {
    for (const args of [['task', 'new', '--help'], ['repo', 'add', '--help'], ['repo', 'add', '/x', '--name', 'n', '--help'], ['audit', 'export', '--help'], ['sandbox', 'build-image', '-h']]) {
      const r = run(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.match(r.out, new RegExp(`usage: pushpals ${args[0]}\\b`));
    }
    assert.match(run('help', 'repo').out, /usage: pushpals repo add <path-or-https-url>/);
  });

  it('an unknown option is a usage error: exit 2, the option named, the usage on stderr, no TypeError', () => {
    for (const name of subcommands()) {
      const r = run(name, '--no-such-option');
      assert.equal(r.code, 2, `${name}: exit ${r.code}\n${r.out}${r.err}`);
      assert.match(r.err, new RegExp(`pushpals ${name}: unknown option --no-such-option`));
      assert.match(r.err, new RegExp(`usage: pushpals ${name}\\b`));
      assert.doesNotMatch(r.err, /TypeError/);
    }
  });

  it('a missing or unknown verb and a missing argument are usage errors (exit 2)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['task'], /missing the task command/],
      [['task', 'old', 'x'], /unknown task command "old"/],
      [['task', 'new'], /missing the request text/],
      [['repo'], /missing the repo command/],
      [['repo', 'add'], /missing the repository path or URL/],
      [['repo', 'add', '/a', '/b'], /unexpected argument "\/b"/],
      [['sandbox'], /missing the sandbox command/],
      [['sandbox', 'build-image', '--method', 'magic'], /--method must be auto, dockerfile or debootstrap/],
      [['serve', '--port'], /argument missing|requires an argument|--port/i],
      [['task', 'push'], /missing the task id/],
      [['task', 'pr', 't_1', '--remote', 'origin'], /--remote does not go with task pr/],
      [['task', 'push', 't_1', '--title', 'x'], /--title does not go with task push/],
      [['forge'], /expected "forge token set" or "forge token clear"/],
      [['forge', 'token', 'set'], /missing --repo R/],
      [['forge', 'token', 'set', '--repo', 'web', 'ghp_in_argv'], /unexpected argument "ghp_in_argv" \(the token is read from stdin, never from the command line\)/],
    ];
    for (const [args, msg] of cases) {
      const r = run(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.err}`);
      assert.match(r.err, msg);
      assert.match(r.err, /usage: pushpals/);
    }
    const unknown = run('frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "frobnicate"/);
  });

  it('repo add refuses scp-like ssh syntax with the reason, instead of taking it for a relative path', () => {
    for (const src of ['git@github.com:owner/repo.git', 'host.example:repo.git', 'ssh://git@host/x.git']) {
      const r = run('repo', 'add', src);
      assert.equal(r.code, 1, `${src}: ${r.err}`);
      assert.match(r.err, /SSH remotes are not supported/);
      assert.match(r.err, /https/);
      assert.doesNotMatch(r.err, new RegExp(process.cwd().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
  });
});
