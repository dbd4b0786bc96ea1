import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PushPalsError } from '../../src/errors';
import type { Sandbox, SandboxManager } from '../../src/sandbox';
import { docker, requireDocker } from '../helpers/docker';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { makeWorkspace, newManager, reapByLabel } from './helpers';

describe('sandbox: hardening and escapes (real Docker)', function () {
  this.timeout(120_000);
  let m: SandboxManager;
  let sb: Sandbox;
  let ws: string;
  let dataDir: string;
  const token = `pp-secret-token-${Math.random().toString(36).slice(2)}`;

  before(async () => {
    await requireDocker();
    await reapByLabel();
    dataDir = tempDir('pp-data-', { mountable: true });
    writeFileSync(join(dataDir, 'token'), token, { mode: 0o600 });
    writeFileSync(join(dataDir, 'pushpals.db'), `db ${token}`);
    ws = makeWorkspace({ git: true });
    mkdirSync(join(dataDir, 'repos', 'r1'), { recursive: true });
    m = newManager({ forbiddenHostPaths: [join(dataDir, 'token'), join(dataDir, 'pushpals.db'), join(dataDir, 'repos')], limits: { pidsLimit: 128 } });
    await m.init();
    sb = await m.acquire({ taskId: 'escape-task', workspaceHostPath: ws });
  });
  after(async () => {
    await m?.close();
    await reapByLabel();
    removeTempDirs();
  });

  it('the container is created with the hardened options', async () => {
    const info = await sb.container.inspect();
    const h = info.HostConfig;
    assert.equal(h.NetworkMode, 'none');
    assert.deepEqual(h.CapDrop, ['ALL']);
    assert.ok(!h.CapAdd || h.CapAdd.length === 0);
    assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
    assert.equal(h.ReadonlyRootfs, true);
    assert.equal(h.Privileged, false);
    assert.match(String(h.Tmpfs?.['/tmp']), /exec.*size=\d+/);
    assert.equal(h.PidsLimit, 128);
    assert.equal(h.Memory, 1024 ** 3);
    assert.equal(h.MemorySwap, 1024 ** 3);
    assert.equal(h.NanoCpus, 1e9);
    assert.equal(h.Init, true);
    assert.equal(info.Config.User, '1000:1000');
    assert.equal(info.Config.Labels['pushpals.sandbox'], 'escape-task');
    assert.equal(info.Config.Labels['pushpals.managed'], '1');
    const mounts = info.Mounts.filter((x) => x.Destination !== '/tmp');
    assert.equal(mounts.length, 1, JSON.stringify(info.Mounts));
    assert.equal(mounts[0]?.Destination, '/workspace');
    assert.equal(mounts[0]?.Source, ws);
    assert.equal(mounts[0]?.RW, true);
  });

  it('inside: uid/gid 1000, no capabilities, no_new_privs, seccomp, only lo, limits in the cgroup', async () => {
    const r = await sb.exec('id -u; id -g; grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; echo routes=$(tail -n +2 /proc/net/route | wc -l); cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null; true');
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '1000');
    assert.equal(lines[1], '1000');
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.match(r.stdout, new RegExp(`${cap}:\\s+0+\\n`), cap);
    assert.match(r.stdout, /NoNewPrivs:\s+1/);
    assert.match(r.stdout, /Seccomp:\s+2/);
    const ifaces = lines.filter((l) => /^[a-z0-9]+$/.test(l) && !/^\d+$/.test(l));
    assert.deepEqual(ifaces, ['lo']);
    assert.match(r.stdout, /routes=0/);
    assert.match(r.stdout, /\n128\n/);
    assert.match(r.stdout, /\n1073741824\n?$/);
  });

  describe('network', () => {
    let server: Server;
    let port = 0;
    let connections = 0;
    before(async () => {
      server = createServer((s) => {
        connections++;
        s.destroy();
      });
      await new Promise<void>((res) => server.listen(0, '0.0.0.0', res));
      port = (server.address() as { port: number }).port;
    });
    after(() => server.close());

    it('cannot reach a port the host opened on 127.0.0.1 (the container has its own loopback)', async () => {
      const r = await sb.exec(`echo hi > /dev/tcp/127.0.0.1/${port} && echo CONNECTED`, { timeoutMs: 5000 });
      assert.notEqual(r.exitCode, 0);
      assert.doesNotMatch(r.stdout, /CONNECTED/);
      assert.match(r.stderr, /refused|unreachable/i);
    });

    it("cannot reach the host's other addresses nor the outside world", async () => {
      const hostIps = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === 'IPv4' && !a.internal)
        .map((a) => a?.address as string);
      const targets = [...hostIps.map((ip) => `${ip}/${port}`), '1.1.1.1/53', '8.8.8.8/443', '172.17.0.1/2375'];
      for (const t of targets) {
        const started = Date.now();
        const r = await sb.exec(`timeout 5 bash -c 'echo x > /dev/tcp/${t}' && echo CONNECTED`, { timeoutMs: 10_000 });
        assert.notEqual(r.exitCode, 0, `${t}: ${r.stdout}`);
        assert.doesNotMatch(r.stdout, /CONNECTED/);
        assert.match(r.stderr, /unreachable/i, `${t}: ${r.stderr}`);
        // `timeout 5` would end a connect that hangs: under 4 s means the route failed, not the clock
        assert.ok(Date.now() - started < 4000, `${t} should fail at once (no route), took ${Date.now() - started} ms`);
      }
      const dns = await sb.exec('getent hosts deb.debian.org || echo NO-DNS', { timeoutMs: 10_000 });
      assert.match(dns.stdout, /NO-DNS/);
      assert.equal(connections, 0, 'the host server saw no connection');
    });
  });

  it('cannot write outside /workspace (read-only root fs); /workspace and /tmp are writable', async () => {
    for (const p of ['/x', '/etc/x', '/usr/x', '/usr/bin/x', '/var/tmp/x', '/home/agent/x', '/bin/bash']) {
      const r = await sb.exec(`echo pwned >> ${p}`);
      assert.notEqual(r.exitCode, 0, `${p} must not be writable`);
      assert.match(r.stderr, /Read-only file system|Permission denied/, p);
    }
    const ok = await sb.exec('echo from-sandbox > /workspace/out.txt && echo t > /tmp/t && cat /tmp/t');
    assert.equal(ok.exitCode, 0, ok.stderr);
    assert.equal(readFileSync(join(ws, 'out.txt'), 'utf8'), 'from-sandbox\n');
    // no privilege escalation path: no sudo/su success, setuid bits ignored under no_new_privs
    const su = await sb.exec('su -c id root </dev/null; sudo id </dev/null');
    assert.doesNotMatch(su.stdout, /uid=0/);
  });

  it("cannot see the orchestrator's data dir or token", async () => {
    const r = await sb.exec(
      `test -e ${dataDir} && echo DATADIR-VISIBLE; ls -a /var/run/docker.sock /run/docker.sock 2>/dev/null && echo DOCKER-SOCKET; grep -rlsF ${token} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; echo scanned`,
      { timeoutMs: 60_000 },
    );
    assert.equal(r.stdout.trim(), 'scanned', r.stdout);
    const env = await sb.exec('cat /proc/1/environ /proc/self/environ | tr "\\0" "\\n"; env');
    assert.ok(!env.stdout.includes(token));
    assert.doesNotMatch(env.stdout, /PUSHPALS_RUNNER_SOURCE=/, 'the runner source is not leaked to commands');
  });

  it('refuses to mount the data dir, an ancestor of it, a symlink to it, or a path inside a forbidden one', async () => {
    const link = join(tempDir('pp-link-', { mountable: true }), 'ws');
    symlinkSync(dataDir, link);
    const repoLink = join(tempDir('pp-link-', { mountable: true }), 'repo');
    symlinkSync(join(dataDir, 'repos', 'r1'), repoLink);
    const forbidden = [dataDir, dirname(dataDir), link, '/', join(dataDir, '..', dataDir.split('/').pop() as string), join(dataDir, 'repos'), join(dataDir, 'repos', 'r1'), repoLink];
    for (const p of forbidden) {
      await assert.rejects(m.acquire({ taskId: 'bad', workspaceHostPath: p }), (e: unknown) => e instanceof PushPalsError && e.code === 'forbidden', p);
    }
    await assert.rejects(m.acquire({ taskId: 'bad', workspaceHostPath: 'relative/path' }), /absolute/);
    const inside = join(dataDir, 'worktrees', 't1');
    mkdirSync(inside, { recursive: true });
    const ok = await m.acquire({ taskId: 'inside-data-dir', workspaceHostPath: inside });
    const r = await ok.exec('ls -a /workspace; cat ../token 2>&1; ls / | tr "\\n" " "');
    assert.ok(!r.stdout.includes(token));
    await ok.release();
  });

  it('a command past its timeout is killed with all its children promptly (seconds before they would end)', async () => {
    const t0 = Date.now();
    const r = await sb.exec('sleep 300 & (sleep 301 &) ; setsid sleep 302 & bash -c "sleep 303"', { timeoutMs: 1000 });
    const took = Date.now() - t0;
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, 137);
    assert.ok(took >= 1000 && took < 5000, `took ${took} ms`);
    await new Promise((res) => setTimeout(res, 200));
    const ps = await sb.exec('ps -eo pid,args | grep "[s]leep 30" || echo NONE');
    assert.equal(ps.stdout.trim(), 'NONE', ps.stdout);
  });

  it('a command that ignores SIGTERM/SIGINT is still killed at its timeout', async () => {
    const t0 = Date.now();
    const r = await sb.exec("trap '' TERM INT HUP; while :; do :; done", { timeoutMs: 800 });
    assert.equal(r.timedOut, true);
    assert.ok(Date.now() - t0 < 1800, `took ${Date.now() - t0} ms`);
  });

  it('1 GB of output is capped: truncated result, the orchestrator memory stays bounded', async () => {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let streamed = 0;
    const r = await sb.exec('head -c 1073741824 /dev/zero | tr "\\0" x; echo done >&2', {
      maxOutputBytes: 1 << 20,
      timeoutMs: 60_000,
      onOutput: (_s, c) => (streamed += c.length),
    });
    clearInterval(sampler);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 1 << 20);
    assert.equal(streamed, 1 << 20);
    assert.equal(r.stderr, '', 'stderr came after the cap: dropped too');
    const growthMb = (peak - rss0) / 1e6;
    assert.ok(growthMb < 64, `RSS grew by ${growthMb.toFixed(1)} MB`);
  });

  it('killOnOverflow stops an endless producer at the cap', async () => {
    const t0 = Date.now();
    const r = await sb.exec('yes', { maxOutputBytes: 4096, killOnOverflow: true, timeoutMs: 30_000 });
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 4096);
    assert.equal(r.timedOut, false);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('the plain-exec path caps output too', async () => {
    const r = await sb.execPlain('head -c 20000000 /dev/zero', { maxOutputBytes: 1000, timeoutMs: 30_000 });
    assert.equal(r.via, 'exec');
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 1000);
  });

  it('a fork bomb is contained by the pids limit; the host stays responsive; the sandbox is removable', async () => {
    const bomb = await m.acquire({ taskId: 'fork-bomb', workspaceHostPath: makeWorkspace() });
    await bomb.startRunner();
    const p = bomb.exec('bomb() { bomb | bomb & }; bomb; sleep 100', { timeoutMs: 4000 }).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    await new Promise((res) => setTimeout(res, 2500));
    const top = await bomb.container.top({ ps_args: '-e' });
    assert.ok(top.Processes.length <= 128 + 1, `${top.Processes.length} processes`);
    const host: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      spawnSync('true');
      host.push(performance.now() - t);
    }
    host.sort((a, b) => a - b);
    assert.ok((host[2] as number) < 100, `host spawn median ${host[2]} ms`);
    const out = await p;
    // Either the command timed out (runner survived) or the runner itself was a victim of the pids
    // limit and the command failed with a clear error; both are containment.
    if (out.ok) assert.equal(out.r.timedOut, true);
    else assert.match(String(out.e), /runner/);
    // after the timeout the bomb is gone and the sandbox works again (runner restarted if it died)
    const after = await bomb.exec('ps -e | wc -l', { timeoutMs: 10_000 });
    assert.equal(after.exitCode, 0);
    assert.ok(Number(after.stdout.trim()) < 10, `processes left: ${after.stdout}`);
    const t = Date.now();
    await bomb.release();
    assert.ok(Date.now() - t < 5000);
    await assert.rejects(docker.getContainer(bomb.id).inspect(), /no such container/i);
    assert.ok(!existsSync(join(dataDir, 'marker')));
  });
});

describe('sandbox: memory limit (real Docker)', function () {
  this.timeout(120_000);
  let m: SandboxManager;
  before(async () => {
    await requireDocker();
    m = newManager({ limits: { memoryBytes: 256 * 1024 ** 2, tmpfsBytes: 64 * 1024 ** 2 } });
    await m.init();
  });
  after(async () => {
    await m?.close();
    await reapByLabel();
    removeTempDirs();
  });

  it('a memory hog is OOM-killed, not the runner (commands run with a higher oom_score_adj)', async () => {
    const sb = await m.acquire({ taskId: 'oom', workspaceHostPath: makeWorkspace() });
    const adj = await sb.exec('sleep 0.05; cat /proc/$$/oom_score_adj');
    assert.equal(adj.stdout.trim(), '800');
    const r = await sb.exec(`node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'`, { timeoutMs: 60_000 });
    assert.equal(r.exitCode, 137, `${r.exitCode} ${r.stderr.slice(0, 200)}`);
    assert.equal(r.timedOut, false);
    assert.equal((await sb.exec('echo still-here')).stdout, 'still-here\n');
    assert.equal(sb.runnerStartCount, 1, 'the runner survived');
    const info = await sb.container.inspect();
    assert.equal(info.State.Running, true);
  });

  it('filling /tmp stops at the tmpfs size', async () => {
    const sb = await m.acquire({ taskId: 'tmpfs', workspaceHostPath: makeWorkspace() });
    const r = await sb.exec('head -c 200000000 /dev/zero > /tmp/big; echo "rc=$?"; du -sm /tmp/big | cut -f1', { timeoutMs: 30_000 });
    assert.match(r.stdout, /rc=1\n6[0-4]\n/, r.stdout + r.stderr);
    assert.match(r.stderr, /No space left/);
  });
});
