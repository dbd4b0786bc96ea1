/**
 * The warm pool serving PREPARED working copies (acquire with workspaceHostPath + adoptPrepared): the
 * prepared directory's entries move into a pooled container's slot dir, which then takes the prepared
 * path. Real Docker; fails (never skips) without it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../../src/errors';
import { LABEL_POOL, LABEL_SANDBOX, type Sandbox, type SandboxManager } from '../../src/sandbox';
import { docker, requireDocker } from '../helpers/docker';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { countByLabel, makeWorkspace, newManager, reapByLabel } from './helpers';

const isRoot = process.getuid?.() === 0;

/** A prepared working copy `<root>/<name>` like RepoRegistry.createWorkspace + chownTree make it. */
function prepare(root: string, name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { mode: 0o755 });
  writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
  mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'src', 'deep', 'a.txt'), 'deep file\n');
  writeFileSync(join(dir, '.hidden'), 'dot file\n');
  symlinkSync('/etc/shadow', join(dir, 'evil-link')); // hostile content: must move as a link, never be followed
  execFileSync('sh', ['-c', `git init -q -b pushpals/${name} && git add README.md src .hidden && git -c user.name=t -c user.email=t@t commit -qm init`], { cwd: dir });
  if (isRoot) execFileSync('chown', ['-R', '-h', '1000:1000', dir]);
  return dir;
}

async function labelsOf(sb: Sandbox): Promise<Record<string, string>> {
  return (await docker.getContainer(sb.id).inspect()).Config.Labels;
}

describe('sandbox: the warm pool adopts prepared working copies (real Docker)', function () {
  this.timeout(90_000);
  before(requireDocker);
  afterEach(async () => {
    await reapByLabel();
  });
  after(removeTempDirs);

  let m: SandboxManager | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('a pooled container takes a prepared dir over: same path, same content and ownership at /workspace, writes land on the host, the pool refills', async () => {
    const root = tempDir('pp-adopt-', { sandboxOwned: true });
    m = newManager({ workspacesDir: root, pool: { size: 1 } });
    await m.init();
    await m.waitForPool(60_000);
    const dir = prepare(root, 'task-1');
    const before = statSync(dir);
    const entries = readdirSync(dir).sort();

    const t0 = performance.now();
    const sb = await m.acquire({ taskId: 'task-1', workspaceHostPath: dir, adoptPrepared: true });
    const ms = performance.now() - t0;
    assert.ok(ms < 300, `pooled acquire of a prepared dir took ${ms.toFixed(1)} ms`);
    assert.equal((await labelsOf(sb))[LABEL_POOL], '1', 'the sandbox did not come from the pool');
    assert.equal(sb.taskId, 'task-1');
    assert.equal(sb.workspaceHostPath, dir, 'the path the rest of the code knows must stay valid');
    assert.notEqual(statSync(dir).ino, before.ino, 'the slot directory now sits at the prepared path');
    assert.deepEqual(readdirSync(dir).sort(), entries, 'every top-level entry moved');
    assert.equal(statSync(dir).uid, before.uid);
    assert.equal(statSync(dir).gid, before.gid);
    assert.equal(statSync(dir).mode, before.mode);
    assert.ok(lstatSync(join(dir, 'evil-link')).isSymbolicLink(), 'a symlink moved as a symlink');
    assert.equal(readlinkSync(join(dir, 'evil-link')), '/etc/shadow');
    assert.equal(readdirSync(join(root, '.pool')).length <= 1, true, 'no slot dir left behind beyond the refill');

    const r = await sb.exec(
      'ls -A /workspace | sort | tr "\\n" " "; echo; stat -c "%u:%g" /workspace /workspace/README.md /workspace/src/deep/a.txt; cat src/deep/a.txt; git status --short --branch; echo written-inside > /workspace/inside.txt; cat evil-link 2>&1 || true',
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0]?.trim(), entries.join(' '));
    const owner = isRoot ? '1000:1000' : `${process.getuid?.()}:${process.getgid?.()}`;
    assert.deepEqual(lines.slice(1, 4), [owner, owner, owner], r.stdout);
    assert.equal(lines[4], 'deep file');
    assert.match(r.stdout, /## pushpals\/task-1\n\?\? evil-link\n/);
    assert.doesNotMatch(r.stdout, /root:/, 'the symlink must not expose the host file');
    assert.equal(readFileSync(join(dir, 'inside.txt'), 'utf8'), 'written-inside\n', 'a write in the sandbox lands in the host dir at the original path');

    const info = await docker.getContainer(sb.id).inspect();
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.notEqual(info.Config.User.split(':')[0], '0');

    await m.waitForPool(60_000);
    assert.equal(m.poolStats().ready, 1, 'the pool refilled');
    await sb.release();
    assert.ok(existsSync(join(dir, 'inside.txt')), 'the working copy outlives its sandbox');
  });

  it('falls back to a cold container when the pool is empty, is off, or the dir does not fit; forbidden paths stay refused', async () => {
    const root = tempDir('pp-adopt-', { sandboxOwned: true });
    const secret = tempDir('pp-secret-', { sandboxOwned: true });
    m = newManager({ workspacesDir: root, pool: { size: 1 }, forbiddenHostPaths: [secret], allowedNetworks: ['bridge'] });
    await m.init();
    await m.waitForPool(60_000);

    // forbidden: refused before the pool is looked at, the slot stays ready
    await assert.rejects(m.acquire({ taskId: 'x', workspaceHostPath: secret, adoptPrepared: true }), (e: unknown) => e instanceof PushPalsError && e.code === 'forbidden');
    // outside workspacesDir: cold, untouched
    const outside = makeWorkspace();
    const outsideIno = statSync(outside).ino;
    const o = await m.acquire({ taskId: 'outside', workspaceHostPath: outside, adoptPrepared: true });
    assert.equal((await labelsOf(o))[LABEL_SANDBOX], 'outside');
    assert.equal(statSync(outside).ino, outsideIno);
    // a network other than none: cold
    const netDir = prepare(root, 'net-task');
    const n = await m.acquire({ taskId: 'net-task', workspaceHostPath: netDir, adoptPrepared: true, network: 'bridge' });
    assert.equal((await labelsOf(n))[LABEL_POOL], undefined);
    assert.equal((await docker.getContainer(n.id).inspect()).HostConfig.NetworkMode, 'bridge');
    await n.release();
    assert.equal(m.poolStats().ready, 1, 'no slot was spent on refused or unfit directories');

    // the first prepared task takes the only slot, the second (pool empty) gets a cold container
    const a = prepare(root, 'task-a');
    const b = prepare(root, 'task-b');
    const sa = await m.acquire({ taskId: 'task-a', workspaceHostPath: a, adoptPrepared: true });
    const sbB = await m.acquire({ taskId: 'task-b', workspaceHostPath: b, adoptPrepared: true });
    assert.equal((await labelsOf(sa))[LABEL_POOL], '1');
    assert.equal((await labelsOf(sbB))[LABEL_POOL], undefined);
    assert.equal((await labelsOf(sbB))[LABEL_SANDBOX], 'task-b');
    assert.equal((await sa.exec('cat README.md')).stdout, '# task-a\n');
    assert.equal((await sbB.exec('cat README.md')).stdout, '# task-b\n');
    // a dir another sandbox of this manager mounts already: cold (its inode must not change under it)
    await m.waitForPool(60_000);
    const ino = statSync(b).ino;
    const again = await m.acquire({ taskId: 'task-b', workspaceHostPath: b, adoptPrepared: true });
    assert.equal((await labelsOf(again))[LABEL_POOL], undefined);
    assert.equal(statSync(b).ino, ino);
    assert.equal((await again.exec('cat README.md')).stdout, '# task-b\n');

    // no pool at all: adoptPrepared is simply a cold acquire
    const off = newManager({ workspacesDir: tempDir('pp-adopt-off-', { sandboxOwned: true }) });
    try {
      const c = prepare(tempDir('pp-adopt-c-', { sandboxOwned: true }), 'task-c');
      const sc = await off.acquire({ taskId: 'task-c', workspaceHostPath: c, adoptPrepared: true });
      assert.equal((await sc.exec('cat README.md')).stdout, '# task-c\n');
    } finally {
      await off.close();
    }
    await m.close();
    m = undefined;
    assert.equal(await countByLabel(), 0);
  });
});
