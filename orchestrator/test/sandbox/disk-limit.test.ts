/**
 * Size limits against real Docker and a real loop-mounted ext4 volume: a container writing past the
 * working copy's limit gets ENOSPC inside, the host disk holds no more than the limit, the result
 * says disk full (which limit, how big, how to raise it); /tmp is bounded the same way. Every
 * mount and loop device the test makes is gone afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkspaceVolumes, type SandboxManager } from '../../src/sandbox';
import { newManager, reapByLabel, requireDocker } from './helpers';

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;
const TMP = 32 * MiB;

const loopDevicesOf = (img: string): string => execFileSync('losetup', ['-j', img], { encoding: 'utf8' }).trim();
const isMountPoint = (p: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

describe('sandbox: per-task disk limits (loop-mounted ext4 volume, real Docker)', function () {
  this.timeout(120_000);
  let root: string;
  let volumes: WorkspaceVolumes;
  let manager: SandboxManager;
  let ws: string;

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('these tests need root (loop mounts), like the orchestrator with sandbox.diskLimitMb > 0');
    await requireDocker();
    root = mkdtempSync(join(tmpdir(), 'pp-disk-'));
    volumes = new WorkspaceVolumes({ imagesDir: join(root, 'volumes'), sizeBytes: LIMIT, uid: 1000, gid: 1000, hint: '(test hint)' });
    await volumes.check();
    ws = join(root, 'workspaces', 't_disk');
    await volumes.create(ws);
    manager = newManager({
      limits: { tmpfsBytes: TMP, workspaceBytes: LIMIT },
      diskHints: { workspace: 'Raise sandbox.diskLimitMb.', tmp: 'Raise sandbox.tmpMb.' },
    });
  });

  after(async () => {
    await manager?.close();
    await reapByLabel();
    const img = volumes?.imageOf(ws);
    await volumes?.remove(ws);
    if (img) {
      assert.equal(existsSync(img), false, 'the image file is deleted');
      assert.equal(loopDevicesOf(img), '', 'no loop device left for the image');
    }
    assert.equal(isMountPoint(ws), false, 'nothing left mounted');
    rmSync(root, { recursive: true, force: true });
  });

  it('the working copy is its own filesystem of the configured size, owned by the sandbox user, empty', () => {
    assert.ok(isMountPoint(ws));
    const st = statSync(ws);
    assert.equal(st.uid, 1000);
    assert.deepEqual(execFileSync('ls', ['-A', ws], { encoding: 'utf8' }), '', 'no lost+found');
    const img = volumes.imageOf(ws);
    assert.equal(statSync(img).size, LIMIT);
    assert.ok(statSync(img).blocks * 512 < 8 * MiB, `the image is sparse (${statSync(img).blocks * 512} bytes allocated)`);
  });

  it('writing past the limit gets ENOSPC inside the container; the result says disk full; the host holds at most the limit', async () => {
    const sb = await manager.acquire({ taskId: 't_disk', workspaceHostPath: ws });
    try {
      const df = await sb.exec('df -B1 --output=size /workspace | tail -1');
      assert.ok(Math.abs(Number(df.stdout.trim()) - LIMIT) < LIMIT * 0.15, `/workspace is ${df.stdout.trim()} bytes inside`);

      const r = await sb.exec('dd if=/dev/zero of=/workspace/big bs=1M count=200 status=none', { timeoutMs: 60_000 });
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /No space left on device/);
      assert.ok(r.diskFull, `no diskFull in ${JSON.stringify({ ...r, stdout: undefined })}`);
      assert.equal(r.diskFull.mount, '/workspace');
      assert.equal(r.diskFull.limitBytes, LIMIT);
      assert.match(r.diskFull.message, /working copy \(\/workspace\) is limited to 64 MiB and is full/);
      assert.match(r.diskFull.message, /Raise sandbox\.diskLimitMb\./);

      // On the host: the file stopped at the limit and the image never grew past it.
      const written = statSync(join(ws, 'big')).size;
      assert.ok(written < LIMIT && written > LIMIT / 2, `wrote ${written} bytes`);
      const img = volumes.imageOf(ws);
      assert.ok(statSync(img).blocks * 512 <= LIMIT, `image allocates ${statSync(img).blocks * 512} bytes on the host`);

      // A failing command that is not about space is not disk full (space is freed first).
      await sb.exec('rm -f /workspace/big');
      const other = await sb.exec('exit 3');
      assert.equal(other.exitCode, 3);
      assert.equal(other.diskFull, undefined);
    } finally {
      await sb.release();
    }
  });

  it('/tmp (also HOME) is a tmpfs of the configured size: past it, ENOSPC and disk full naming /tmp', async () => {
    const sb = await manager.acquire({ taskId: 't_disk', workspaceHostPath: ws });
    try {
      const home = await sb.exec('echo $HOME; df -B1 --output=size /tmp | tail -1');
      const [h, size] = home.stdout.trim().split('\n');
      assert.equal(h, '/tmp');
      assert.equal(Number(size), TMP);
      const r = await sb.exec('dd if=/dev/zero of=$HOME/fill bs=1M count=100 status=none', { timeoutMs: 60_000 });
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /No space left on device/);
      assert.equal(r.diskFull?.mount, '/tmp');
      assert.match(r.diskFull?.message ?? '', /\/tmp \(also HOME\) is limited to 32 MiB and is full/);
      assert.match(r.diskFull?.message ?? '', /Raise sandbox\.tmpMb\./);
    } finally {
      await sb.release();
    }
  });

  it('unmount + mount again (a restart) keeps the data; remove deletes mount, image and loop device', async () => {
    await volumes.unmount(ws);
    assert.equal(isMountPoint(ws), false);
    assert.equal(loopDevicesOf(volumes.imageOf(ws)), '', 'unmounting frees the loop device');
    assert.equal(await volumes.ensureMounted(ws), true);
    assert.ok(isMountPoint(ws));
    const extra = join(root, 'workspaces', 't_gone');
    await volumes.create(extra);
    const img = volumes.imageOf(extra);
    assert.ok(loopDevicesOf(img).length > 0);
    await volumes.remove(extra);
    assert.equal(existsSync(extra), false);
    assert.equal(existsSync(img), false);
    assert.equal(loopDevicesOf(img), '');
  });
});
