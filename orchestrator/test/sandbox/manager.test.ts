import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../../src/errors';
import { LABEL_INSTANCE, LABEL_MANAGED, SandboxManager, buildWorkerImage, sandboxContainerSpec, DEFAULT_LIMITS } from '../../src/sandbox';
import { IMAGE, docker, requireDocker } from '../helpers/docker';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { TEST_INSTANCE, countByLabel, makeWorkspace, newManager, reapByLabel } from './helpers';

const isSandboxUnavailable = (re: RegExp) => (e: unknown) => e instanceof PushPalsError && e.code === 'sandbox_unavailable' && re.test(e.message);

describe('sandbox: manager, pool, reaping, errors (real Docker)', function () {
  this.timeout(90_000);
  before(requireDocker);
  afterEach(async () => {
    await reapByLabel();
  });
  after(removeTempDirs);

  it('reapAll removes labelled leftovers of its own instance only', async () => {
    const other = `${TEST_INSTANCE}-other`;
    const mk = (instance: string) =>
      docker
        .createContainer(
          sandboxContainerSpec({
            image: IMAGE,
            user: '1000:1000',
            workspaceHostPath: makeWorkspace(),
            network: 'none',
            labels: { [LABEL_MANAGED]: '1', [LABEL_INSTANCE]: instance, 'pushpals.sandbox': 'leftover' },
            limits: DEFAULT_LIMITS,
          }),
        )
        .then(async (c) => {
          await c.start();
          return c;
        });
    await Promise.all([mk(TEST_INSTANCE), mk(TEST_INSTANCE), mk(other)]);
    const m = newManager();
    try {
      const { reaped } = await m.init();
      assert.equal(reaped, 2);
      assert.equal(await countByLabel(), 0);
      assert.equal(await countByLabel(other), 1);
      // a live sandbox of this manager survives a later reapAll
      const sb = await m.acquire({ taskId: 'live', workspaceHostPath: makeWorkspace() });
      assert.equal(await m.reapAll(), 0);
      assert.equal((await sb.exec('echo alive')).stdout, 'alive\n');
    } finally {
      await m.close();
      await reapByLabel(other);
    }
    assert.equal(await countByLabel(), 0, 'close() removed everything it made');
  });

  it('two sandboxes at once: each sees only its own workspace', async () => {
    const m = newManager();
    try {
      await m.init();
      const [wa, wb] = [makeWorkspace(), makeWorkspace()];
      const [a, b] = await Promise.all([m.acquire({ taskId: 'A', workspaceHostPath: wa }), m.acquire({ taskId: 'B', workspaceHostPath: wb })]);
      const [ra, rb] = await Promise.all([
        a.exec('echo from-a > /workspace/who; sleep 0.3; cat /workspace/who; ls /workspace'),
        b.exec('echo from-b > /workspace/who; sleep 0.3; cat /workspace/who; ls /workspace'),
      ]);
      assert.equal(ra.stdout, 'from-a\nREADME.md\nwho\n');
      assert.equal(rb.stdout, 'from-b\nREADME.md\nwho\n');
      assert.equal(readFileSync(join(wa, 'who'), 'utf8'), 'from-a\n');
      assert.equal(readFileSync(join(wb, 'who'), 'utf8'), 'from-b\n');
      assert.notEqual(a.id, b.id);
      // processes of one are invisible to the other
      const ps = await a.exec('ps -e -o args');
      assert.doesNotMatch(ps.stdout, /sleep 0.3/);
      assert.equal(m.list().length, 2);
    } finally {
      await m.close();
    }
  });

  it('warm pool: acquire is fast, the slot becomes <workspacesDir>/<taskId>, the pool refills, close cleans up', async () => {
    const root = tempDir('pp-wsroot-', { mountable: true });
    const m = newManager({ workspacesDir: root, pool: { size: 2 } });
    try {
      await m.init();
      await m.waitForPool(60_000);
      assert.deepEqual(m.poolStats(), { target: 2, ready: 2, filling: false });
      const t0 = performance.now();
      const sb = await m.acquire({ taskId: 'task-42' });
      const acquireMs = performance.now() - t0;
      // a cold start is a container start (about a second here); warm is a rename and a label
      assert.ok(acquireMs < 300, `warm acquire took ${acquireMs.toFixed(1)} ms`);
      assert.equal(sb.workspaceHostPath, join(root, 'task-42'));
      assert.equal(sb.taskId, 'task-42');
      // the caller prepares the working copy INTO the directory after acquire; the mount follows
      writeFileSync(join(sb.workspaceHostPath, 'hello.txt'), 'prepared on the host\n');
      const t1 = performance.now();
      const r = await sb.exec('cat /workspace/hello.txt; echo made-inside > /workspace/inside.txt');
      const firstExecMs = performance.now() - t1;
      assert.equal(r.stdout, 'prepared on the host\n');
      // the runner was already up (started while the slot was prepared): no start on first exec
      assert.equal(sb.runnerStartCount, 1);
      assert.ok(firstExecMs < 3000, `first exec on a warm sandbox took ${firstExecMs.toFixed(1)} ms`);
      assert.equal(readFileSync(join(root, 'task-42', 'inside.txt'), 'utf8'), 'made-inside\n');
      await m.waitForPool(60_000);
      assert.equal(m.poolStats().ready, 2);
      // a task whose directory already exists gets a cold sandbox on that directory
      const again = await m.acquire({ taskId: 'task-42' });
      assert.equal((await again.exec('cat /workspace/inside.txt')).stdout, 'made-inside\n');
      // odd task ids map to safe, distinct directory names
      const odd = await m.acquire({ taskId: '../evil/../x' });
      assert.ok(odd.workspaceHostPath.startsWith(`${root}/`) && !odd.workspaceHostPath.slice(root.length + 1).includes('/'));
      assert.equal(m.list().length, 3);
      assert.ok((await countByLabel()) >= 4);
    } finally {
      await m.close();
    }
    assert.equal(await countByLabel(), 0);
    assert.ok(!existsSync(join(root, '.pool')), 'pool slot dirs removed');
    assert.ok(existsSync(join(root, 'task-42', 'inside.txt')), 'task working copies are kept');
    assert.deepEqual(readdirSync(root).sort().length, 2);
  });

  it('the network is none unless configuration allows a name', async () => {
    const m = newManager();
    try {
      await assert.rejects(m.acquire({ taskId: 'n', workspaceHostPath: makeWorkspace(), network: 'host' }), (e: unknown) => e instanceof PushPalsError && e.code === 'forbidden');
      await assert.rejects(m.acquire({ taskId: 'n', workspaceHostPath: makeWorkspace(), network: 'bridge' }), /allowedNetworks/);
    } finally {
      await m.close();
    }
    assert.throws(() => new SandboxManager({ user: '0:0' }), /root/);
    assert.throws(() => new SandboxManager({ user: 'root' }), /root/);
  });

  it('a missing engine gives an actionable sandbox_unavailable error (no hang)', async () => {
    const m = new SandboxManager({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }), instanceId: TEST_INSTANCE });
    const t0 = Date.now();
    await assert.rejects(m.init(), isSandboxUnavailable(/not reachable.*setup-docker\.sh/s));
    await assert.rejects(m.acquire({ taskId: 'x', workspaceHostPath: makeWorkspace() }), isSandboxUnavailable(/setup-docker\.sh/));
    await assert.rejects(buildWorkerImage({ docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) }), isSandboxUnavailable(/not reachable/));
    assert.ok(Date.now() - t0 < 5000);
    await m.close();
    // DOCKER_HOST is honoured (dockerode defaults)
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/other-docker.sock';
    try {
      const viaEnv = new SandboxManager({ instanceId: TEST_INSTANCE });
      await assert.rejects(viaEnv.init(), isSandboxUnavailable(/other-docker\.sock/));
      await viaEnv.close();
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('a missing image gives an actionable sandbox_unavailable error and never pulls', async () => {
    const image = 'pushpals-no-such-image:never';
    const m = newManager({ image });
    await assert.rejects(m.init(), isSandboxUnavailable(/pushpals-no-such-image:never is missing.*build-image/s));
    await assert.rejects(m.acquire({ taskId: 'x', workspaceHostPath: makeWorkspace() }), isSandboxUnavailable(/missing.*build-image/s));
    await m.close();
    await assert.rejects(docker.getImage(image).inspect(), /no such image/i);
  });

  it('a pool that cannot fill (missing image) retries in the background without throwing', async () => {
    const logs: string[] = [];
    const m = newManager({ image: 'pushpals-no-such-image:never', workspacesDir: tempDir('pp-wsroot-', { mountable: true }), pool: { size: 1 }, log: (s) => logs.push(s) });
    await assert.rejects(m.init(), /missing/);
    await m.close();
    assert.equal(await countByLabel(), 0);
  });
});
