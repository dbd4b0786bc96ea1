import assert from 'node:assert/strict';
import { PushPalsError } from '../../src/errors';
import type { Sandbox, SandboxManager } from '../../src/sandbox';
import { requireDocker } from '../helpers/docker';
import { removeTempDirs } from '../helpers/temp';
import { makeWorkspace, newManager, reapByLabel } from './helpers';

describe('sandbox: exec through the runner (real Docker)', function () {
  this.timeout(60_000);
  let m: SandboxManager;
  let sb: Sandbox;

  before(async () => {
    await requireDocker();
    m = newManager();
    await m.init();
    sb = await m.acquire({ taskId: 'exec-task', workspaceHostPath: makeWorkspace({ git: true }) });
  });
  after(async () => {
    await m?.close();
    await reapByLabel();
    removeTempDirs();
  });

  for (const path of ['exec', 'execPlain'] as const) {
    it(`${path}: exit codes, stdout and stderr kept apart`, async () => {
      const r = await sb[path]('echo to-out; echo to-err >&2; printf "no newline"; exit 3');
      assert.equal(r.exitCode, 3);
      assert.equal(r.stdout, 'to-out\nno newline');
      assert.equal(r.stderr, 'to-err\n');
      assert.equal(r.truncated, false);
      assert.equal(r.timedOut, false);
      assert.equal(r.via, path === 'exec' ? 'runner' : 'exec');
      assert.equal((await sb[path]('true')).exitCode, 0);
      assert.equal((await sb[path]('false')).exitCode, 1);
      assert.equal((await sb[path]('kill -9 $$')).exitCode, 137);
      assert.equal((await sb[path]('no-such-command')).exitCode, 127);
    });

    it(`${path}: env, cwd, git in the workspace, the sandbox user`, async () => {
      const r = await sb[path]('echo "$FOO|$HOME|$(pwd)|$(id -u)"; git status --short; git log --oneline | wc -l', {
        env: { FOO: 'bar baz' },
        cwd: '.git',
      });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^bar baz\|\/tmp\|\/workspace\/\.git\|1000\n/);
      const bad = await sb[path]('pwd', { cwd: '/no/such/dir' });
      assert.notEqual(bad.exitCode, 0);
    });

    it(`${path}: timeout`, async () => {
      const t0 = Date.now();
      const r = await sb[path]('echo started; sleep 30', { timeoutMs: 700 });
      assert.equal(r.timedOut, true);
      assert.equal(r.exitCode, 137);
      assert.equal(r.stdout, 'started\n');
      // a loaded machine adds seconds, never 30: the bound tells "killed at the timeout" from "ran its course"
      assert.ok(Date.now() - t0 < 6000, `${Date.now() - t0} ms`);
    });
  }

  it('UTF-8 split across chunks arrives intact; binary-safe framing', async () => {
    const r = await sb.exec(`printf 'h\\xc3'; sleep 0.05; printf '\\xa9llo \\xe2\\x82'; sleep 0.05; printf '\\xac\\n'`);
    assert.equal(r.stdout, 'héllo €\n');
  });

  it('streams output as it is produced', async () => {
    const seen: Array<{ s: string; c: string; at: number }> = [];
    const t0 = Date.now();
    const r = await sb.exec('echo one; echo err-one >&2; sleep 1.5; echo two', { onOutput: (s, c) => seen.push({ s, c, at: Date.now() - t0 }) });
    assert.equal(r.stdout, 'one\ntwo\n');
    // relative, not absolute: "one" arrives well before "two" is even printed, however slow the start
    const first = seen.find((x) => x.c.includes('one') && x.s === 'stdout');
    const second = seen.find((x) => x.c.includes('two') && x.s === 'stdout');
    assert.ok(first && second && second.at - first.at > 700, JSON.stringify(seen));
    assert.ok(seen.some((x) => x.s === 'stderr' && x.c === 'err-one\n'));
    assert.equal(seen.filter((x) => x.s === 'stdout').map((x) => x.c).join(''), 'one\ntwo\n');
  });

  it('a throwing onOutput listener does not break the command', async () => {
    const r = await sb.exec('echo a; echo b', {
      onOutput: () => {
        throw new Error('listener bug');
      },
    });
    assert.equal(r.stdout, 'a\nb\n');
  });

  it('runs concurrent commands in parallel over one runner, results not mixed up', async () => {
    const t0 = Date.now();
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => sb.exec(`sleep 1; for j in 1 2 3; do echo "$0-${i}-$j"; echo "e${i}" >&2; done; exit ${i}`)),
    );
    // one after another would take 8 s
    assert.ok(Date.now() - t0 < 5000, `8 x sleep 1 took ${Date.now() - t0} ms (not parallel?)`);
    rs.forEach((r, i) => {
      assert.equal(r.exitCode, i);
      assert.equal(r.stdout, [1, 2, 3].map((j) => `bash-${i}-${j}\n`).join(''));
      assert.equal(r.stderr, `e${i}\n`.repeat(3));
    });
    assert.equal(sb.runnerStartCount, 1);
  });

  it('background processes a command leaves behind are killed when it ends', async () => {
    const r = await sb.exec('sleep 400 & nohup sleep 401 >/dev/null 2>&1 & setsid sleep 402 >/dev/null 2>&1 < /dev/null & echo bg');
    assert.equal(r.stdout, 'bg\n');
    const ps = await sb.exec('sleep 0.2; ps -eo args | grep "[s]leep 40" || echo NONE');
    assert.equal(ps.stdout.trim(), 'NONE');
  });

  it('cancel through an AbortSignal kills the command', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 300);
    const r = await sb.exec('sleep 20', { signal: ac.signal });
    assert.equal(r.cancelled, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.exitCode, 137);
    assert.ok(Date.now() - t0 < 6000, `${Date.now() - t0} ms (sleep 20 ran its course?)`);
  });

  for (const path of ['exec', 'execPlain'] as const) {
    it(`${path}: a signal aborted before the command starts (a task cancelled while its sandbox started) does not let it run its course`, async () => {
      const ac = new AbortController();
      ac.abort();
      const t0 = Date.now();
      const r = await sb[path]('sleep 20; echo ran-to-the-end', { signal: ac.signal });
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      assert.doesNotMatch(r.stdout, /ran-to-the-end/);
      assert.equal(r.timedOut, false);
    });
  }

  it('commands cannot read the runner protocol from stdin', async () => {
    const r = await sb.exec('cat; echo "rc=$?"', { timeoutMs: 3000 });
    assert.equal(r.stdout, 'rc=0\n');
    assert.equal(r.timedOut, false);
  });

  it('recovers when the runner dies: a clear error for the command in flight, then a new runner', async () => {
    const inflight = sb.exec('sleep 5', { timeoutMs: 10_000 });
    const killer = sb.exec('sleep 0.2; kill -9 $PPID');
    await assert.rejects(inflight, (e: unknown) => e instanceof PushPalsError && e.code === 'sandbox_unavailable' && /runner died/.test(e.message));
    await assert.rejects(killer, /runner died/);
    const r = await sb.exec('echo back');
    assert.equal(r.stdout, 'back\n');
    assert.equal(r.via, 'runner');
    assert.equal(sb.runnerStartCount, 2);
  });

  it('rejects bad options and use after release', async () => {
    await assert.rejects(sb.exec('true', { timeoutMs: 0 }), /timeoutMs/);
    // a huge timeout is clamped (a timer past 2^31 ms would fire at once)
    assert.equal((await sb.exec('sleep 0.1; echo ok', { timeoutMs: 1e12 })).stdout, 'ok\n');
    const other = await m.acquire({ taskId: 'released', workspaceHostPath: makeWorkspace() });
    await other.release();
    await other.release(); // idempotent
    await assert.rejects(other.exec('true'), (e: unknown) => e instanceof PushPalsError && e.code === 'sandbox_unavailable');
  });

  it('an exec right after acquire waits for the runner (no race)', async () => {
    const fresh = await m.acquire({ taskId: 'fresh', workspaceHostPath: makeWorkspace() });
    const rs = await Promise.all([fresh.exec('echo a'), fresh.exec('echo b')]);
    assert.deepEqual(
      rs.map((r) => r.stdout),
      ['a\n', 'b\n'],
    );
    assert.equal(fresh.runnerStartCount, 1);
    await fresh.release();
  });
});
