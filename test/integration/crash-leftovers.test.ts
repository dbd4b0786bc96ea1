/**
 * A killed orchestrator leaves nothing behind after its next start. A real `pushpals serve` with a
 * warm pool of 1 and the disk limit on (so the slot is a loop-mounted ext4 volume) is SIGKILLed once
 * its pool is full: its pool container, the slot's mount, loop device and image outlive it, as do
 * an OpenHands slot dir with a mount in it and a check tree (planted, as a killed run leaves them).
 * Started again on the same data dir, it sweeps all of that before its new pool fills, says so in one
 * log line, and its new pool is healthy; a container labelled with another data dir is untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder } from '@pushpals/orchestrator/dist/src/util/mounts';
import { containersOf, instanceIdFor, removeContainersOf, removeTempDirs, requireDocker, spawnServeChild, tempDir, untilValue, WORKER_IMAGE, type ServeChild } from '../helpers/e2e-env';

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
const loopDevicesOf = (img: string): string => execFileSync('losetup', ['-j', img], { encoding: 'utf8' }).trim();
const poolContainersOf = (dataDir: string): string[] => containersOf(dataDir).filter((id) => docker('inspect', '--format', '{{index .Config.Labels "pushpals.pool"}}', id).stdout.trim() === '1');

interface PoolStatus {
  workbench?: { pool?: { target: number; ready: number }; diskLimit?: { ok: boolean; problem?: string } };
}

async function status(srv: ServeChild): Promise<PoolStatus> {
  const r = await fetch(srv.wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '/api/status'), { headers: { Authorization: `Bearer ${srv.token}` } });
  return (await r.json()) as PoolStatus;
}

/** Waits for the child's warm pool to hold its one slot; returns that slot's container and volume. */
async function fullPool(srv: ServeChild, dataDir: string): Promise<{ container: string; slot: string }> {
  await untilValue('the warm pool to fill', 90_000, async () => ((await status(srv)).workbench?.pool?.ready === 1 ? true : undefined));
  const st = await status(srv);
  assert.equal(st.workbench?.diskLimit?.ok, true, st.workbench?.diskLimit?.problem);
  const [container, ...more] = poolContainersOf(dataDir);
  const slots = mountsUnder(join(dataDir, 'workspaces', '.pool'));
  assert.ok(container && !more.length, `one pool container: ${containersOf(dataDir).join(' ')}`);
  assert.equal(slots.length, 1, `one mounted slot volume: ${slots.join(' ')}`);
  return { container, slot: slots[0]! };
}

describe('a killed orchestrator: its next start sweeps what it left (real process, real Docker, real loop mounts)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let otherDir = '';
  let foreign = '';
  let srv: ServeChild | undefined;

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('sandbox.diskLimitMb > 0 needs root (loop mounts): run the tests as root');
    requireDocker();
    dataDir = tempDir('pushpals-e2e-sweep-');
    otherDir = tempDir('pushpals-e2e-sweep-other-');
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ sandbox: { warmPool: 1, diskLimitMb: 64, tmpMb: 32 } }));
  });

  after(async function () {
    const child = srv?.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await srv!.exited;
    }
    if (foreign) docker('rm', '-f', '-v', foreign);
    if (dataDir) {
      removeContainersOf(dataDir);
      for (const mp of mountsUnder(dataDir)) spawnSync('umount', ['-l', mp]);
    }
    removeTempDirs();
  });

  it('SIGKILL leaves a pool container, a mounted slot volume and socket dirs; the restart removes them, the new pool is healthy, another data dir keeps its container', async function () {
    // A sandbox of another data dir (another orchestrator, or tests running in parallel).
    const run = docker('run', '-d', '--init', '--network', 'none', '--label', 'pushpals.managed=1', '--label', `pushpals.instance=${instanceIdFor(otherDir)}`, '--label', 'pushpals.sandbox=pool', '--label', 'pushpals.pool=1', WORKER_IMAGE, 'sleep', '600');
    assert.equal(run.status, 0, run.stderr);
    foreign = run.stdout.trim();

    // 1. A real orchestrator process; its pool fills: one container, one loop-mounted slot volume.
    srv = await spawnServeChild(dataDir);
    const first = await fullPool(srv, dataDir);
    const oldImage = join(dataDir, 'volumes', `${first.slot.split('/').pop()}.img`);
    assert.ok(existsSync(oldImage), `the slot's image ${oldImage}`);
    assert.notEqual(loopDevicesOf(oldImage), '', 'the slot volume has a loop device');

    // What a killed run leaves elsewhere: an OpenHands slot dir with its mount point, a task's socket dir, a check tree.
    const ohSlot = join(dataDir, 'openhands', '.pool', 'slot-0123456789ab');
    const ohTask = join(dataDir, 'openhands', 'task-killed');
    const checkTree = join(dataDir, 'workspaces', '.check-task-killed-0badc0de');
    mkdirSync(join(ohSlot, 'ws'), { recursive: true });
    mkdirSync(join(ohTask, 'agent'), { recursive: true });
    mkdirSync(checkTree, { recursive: true });
    writeFileSync(join(checkTree, 'package.json'), '{}');
    execFileSync('mount', ['--bind', join(ohSlot, 'ws'), join(ohSlot, 'ws')]);

    // 2. SIGKILL: no goodbye. Everything outlives the process.
    srv.child.kill('SIGKILL');
    await srv.exited;
    const killedLog = srv.log();
    assert.ok(docker('inspect', first.container).status === 0, 'the pool container outlives the killed process');
    assert.deepEqual(mountsUnder(join(dataDir, 'workspaces', '.pool')), [first.slot], 'the slot volume stays mounted');
    assert.notEqual(loopDevicesOf(oldImage), '', 'its loop device stays attached');
    assert.deepEqual(mountsUnder(ohSlot), [join(ohSlot, 'ws')]);

    // 3. The next start on the same data dir sweeps all of it before its pool fills.
    srv = await spawnServeChild(dataDir);
    const second = await fullPool(srv, dataDir);
    assert.notEqual(docker('inspect', first.container).status, 0, `the killed run's pool container ${first.container} was not removed`);
    assert.notEqual(second.container, first.container);
    assert.notEqual(second.slot, first.slot);
    assert.deepEqual(mountsUnder(first.slot), [], 'the old slot volume is unmounted');
    assert.equal(existsSync(first.slot), false, 'the old slot dir is gone');
    assert.equal(existsSync(oldImage), false, 'the old slot image is deleted');
    assert.equal(loopDevicesOf(oldImage), '', 'the old loop device is detached');
    assert.deepEqual(mountsUnder(join(dataDir, 'openhands')), [], 'nothing is mounted in the OpenHands dirs');
    assert.equal(existsSync(ohSlot), false, 'the OpenHands slot dir is gone');
    assert.equal(existsSync(ohTask), false, 'the killed task\'s OpenHands socket dir is gone');
    assert.equal(existsSync(checkTree), false, 'the check tree is gone');
    const images = readdirSync(join(dataDir, 'volumes'));
    assert.deepEqual(images, [`${second.slot.split('/').pop()}.img`], 'only the new slot has an image');
    const line = srv.log().split('\n').find((l) => l.includes('swept what a previous run of this data dir left'));
    assert.ok(line, `no sweep line in the log:\n${srv.log()}`);
    assert.match(line, /1 container \(1 warm-pool slot\), 1 pool slot volume, 1 check tree, 2 OpenHands socket dirs/);
    assert.doesNotMatch(killedLog, /swept what a previous run/, 'the first start on a fresh data dir has nothing to sweep');

    // The new pool is healthy: its container runs, its runner answers.
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', second.container).stdout.trim(), 'true');
    const st = await status(srv);
    assert.deepEqual(st.workbench?.pool && { target: st.workbench.pool.target, ready: st.workbench.pool.ready }, { target: 1, ready: 1 });

    // Another data dir's container: untouched.
    assert.equal(docker('inspect', '--format', '{{.State.Running}}', foreign).stdout.trim(), 'true', 'the other data dir\'s container was touched');

    // 4. A graceful stop leaves nothing of this data dir.
    srv.child.kill('SIGTERM');
    await srv.exited;
    assert.deepEqual(containersOf(dataDir), []);
    assert.deepEqual(mountsUnder(dataDir), []);
    assert.equal(loopDevicesOf(join(dataDir, 'volumes', `${second.slot.split('/').pop()}.img`)), '');
  });
});
