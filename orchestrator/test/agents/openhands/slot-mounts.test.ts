/**
 * The warm pool's hand-over mounts, with real mounts (root) and a real container (Docker): a
 * container started on a slot's empty mount points sees the working copy (read-write) and the
 * objects (read-only) bound after its start; unmounting leaves nothing; the working copy is intact.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bindTaskIntoSlot, mountsUnder, prepareSlotMounts, unmountAllUnder } from '../../../src/agents/openhands/slot-mounts';
import { IMAGE, requireDocker } from '../../helpers/docker';
import { removeTempDirs, tempDir } from '../../helpers/temp';

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });

describe('OpenHands pool slot mounts (real mounts, real container)', function () {
  this.timeout(60_000);
  let container = '';
  let slot = '';
  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // mounts need root (as the pool does)
    await requireDocker();
  });
  after(async () => {
    if (container) docker('rm', '-f', container);
    if (slot) await unmountAllUnder(slot);
    removeTempDirs();
  });

  it('a started container gets the working copy (rw) and the objects (ro) later; unmounting leaves the copy intact', async () => {
    const root = tempDir('pp-slot-');
    slot = join(root, 'slot');
    const ws = join(root, 'wc');
    const objects = join(root, 'objects');
    mkdirSync(ws, { mode: 0o777 });
    mkdirSync(objects);
    writeFileSync(join(ws, 'README.md'), 'hello\n');
    writeFileSync(join(objects, 'pack'), 'objects\n');
    spawnSync('chmod', ['0777', ws]);
    const points = await prepareSlotMounts(slot);
    const r = docker('run', '-d', '--rm', '--network', 'none', '--user', '1000:1000', '--label', 'pushpals.test=slot-mounts', '--mount', `type=bind,src=${points.ws},dst=/workspace,bind-propagation=rslave`, '--mount', `type=bind,src=${points.objects},dst=/.objects,readonly,bind-propagation=rslave`, IMAGE, 'sleep', '120');
    assert.equal(r.status, 0, r.stderr);
    container = r.stdout.trim();
    assert.equal(docker('exec', container, 'ls', '-A', '/workspace').stdout.trim(), '', 'empty before the hand-over');

    await bindTaskIntoSlot(slot, ws, { hostPath: objects, name: 'r_1' });
    assert.equal(docker('exec', container, 'cat', '/workspace/README.md').stdout, 'hello\n');
    assert.equal(docker('exec', container, 'sh', '-c', 'echo new > /workspace/made.txt').status, 0, 'the working copy is writable');
    assert.equal(readFileSync(join(ws, 'made.txt'), 'utf8'), 'new\n');
    assert.equal(docker('exec', container, 'cat', '/.objects/r_1/pack').stdout, 'objects\n');
    const w = docker('exec', container, 'sh', '-c', 'echo x > /.objects/r_1/evil');
    assert.notEqual(w.status, 0, 'the objects are read-only inside');
    assert.match(w.stderr, /Read-only file system/);
    assert.equal(existsSync(join(objects, 'evil')), false);

    docker('rm', '-f', container);
    container = '';
    assert.deepEqual(await unmountAllUnder(slot), []);
    assert.deepEqual(mountsUnder(root), []);
    assert.equal(readFileSync(join(ws, 'README.md'), 'utf8'), 'hello\n', 'the working copy is untouched');
  });
});
