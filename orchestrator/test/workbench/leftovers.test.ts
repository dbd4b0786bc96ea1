/**
 * The leftover sweepers on real directories (and, as root, a real mount): only what a previous run
 * made goes (`madeBefore`), gc takes OpenHands dirs of finished tasks but never a running task's or
 * a live pool slot, a dir with a mount that will not go is left in place, and the log line counts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sweepOpenHandsDirs } from '../../src/agents/openhands/leftovers';
import { mountsUnder, unmountAllUnder } from '../../src/util/mounts';
import { describeSwept, workbenchSweepers, type SweepScope } from '../../src/workbench/leftovers';
import { removeTempDirs, tempDir } from '../helpers/temp';

// Everything on disk now counts as a previous run's. Read at each use: the whole suite loads this file
// a minute or more before it runs, so a constant taken at load time would already be in the past.
const future = (): number => Date.now() + 60_000;
const PAST = 0; // nothing does

const scope = (o: Partial<SweepScope> = {}): SweepScope => ({ atStart: true, madeBefore: future(), isLive: () => true, log: () => {}, ...o });

describe('leftovers of a killed run: the sweepers', function () {
  after(() => removeTempDirs());

  it('check trees, clone scratch dirs and (with the disk limit now off) slot images: only a previous run\'s, only by their prefix', async () => {
    const data = tempDir('pp-leftovers-');
    const ws = join(data, 'workspaces');
    const repos = join(data, 'repos');
    const images = join(data, 'volumes');
    for (const d of [join(ws, '.check-t1-0badc0de'), join(ws, 't1'), join(ws, '.pool'), join(repos, '.clone-abc'), join(repos, 'r1')]) mkdirSync(d, { recursive: true });
    mkdirSync(images);
    writeFileSync(join(images, 'slot-aa.img'), '');
    writeFileSync(join(images, 't1.img'), '');
    const run = async (o: Partial<SweepScope>, volumesOn = false) => {
      const out: Array<[string, number]> = [];
      for (const s of workbenchSweepers({ workspacesDir: ws, reposDir: repos, imagesDir: images, volumesOn })) out.push([s.what, await s.sweep(scope(o))]);
      return out;
    };

    assert.deepEqual(await run({ madeBefore: PAST }), [['check tree', 0], ['clone scratch dir', 0], ['pool slot image', 0]], 'made by this process: kept');
    assert.deepEqual(await run({ atStart: false }), [['check tree', 1], ['clone scratch dir', 1], ['pool slot image', 0]], 'gc: slot images are the pool\'s');
    assert.deepEqual(await run({}, true), [['check tree', 0], ['clone scratch dir', 0], ['pool slot image', 0]], 'disk limit on: the sandbox manager removes slot images with their mounts');
    assert.deepEqual(await run({}), [['check tree', 0], ['clone scratch dir', 0], ['pool slot image', 1]]);
    for (const kept of [join(ws, 't1'), join(ws, '.pool'), join(repos, 'r1'), join(images, 't1.img')]) assert.ok(existsSync(kept), `${kept} is not a leftover`);
  });

  it('OpenHands dirs: at start a previous run\'s; for gc also finished tasks\' (never a live task\'s, never a pool slot made now)', async () => {
    const dir = join(tempDir('pp-leftovers-oh-'), 'openhands');
    const mk = (...names: string[]) => names.forEach((n) => mkdirSync(join(dir, n, 'agent'), { recursive: true }));
    mk('.pool/slot-1', 'done-task', 'running-task');
    assert.equal(await sweepOpenHandsDirs(dir, scope({ madeBefore: PAST })), 0, 'all made by this process');
    const isLive = (t: string) => t !== 'done-task';
    assert.equal(await sweepOpenHandsDirs(dir, scope({ madeBefore: PAST, atStart: false, isLive })), 1);
    assert.deepEqual([existsSync(join(dir, 'done-task')), existsSync(join(dir, 'running-task')), existsSync(join(dir, '.pool', 'slot-1'))], [false, true, true]);
    assert.equal(await sweepOpenHandsDirs(dir, scope()), 2, 'a previous run\'s: the slot and the task dir');
    assert.equal(await sweepOpenHandsDirs(join(dir, 'missing'), scope()), 0);
  });

  it('a dir with something mounted in it: unmounted, then removed (root)', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = join(tempDir('pp-leftovers-mnt-'), 'openhands');
    const ws = join(dir, '.pool', 'slot-2', 'ws');
    mkdirSync(ws, { recursive: true });
    execFileSync('mount', ['--bind', ws, ws]);
    try {
      assert.deepEqual(mountsUnder(dir), [ws]);
      assert.equal(await sweepOpenHandsDirs(dir, scope()), 1);
      assert.deepEqual(mountsUnder(dir), []);
      assert.equal(existsSync(join(dir, '.pool', 'slot-2')), false);
    } finally {
      await unmountAllUnder(dir);
    }
  });

  it('the log line: kinds with leftovers only, plurals, the pool slots among the containers', () => {
    assert.equal(describeSwept([['container', 0], ['check tree', 0]]), undefined);
    assert.equal(describeSwept([['container', 3], ['pool slot volume', 1], ['egress socket dir', 0], ['OpenHands socket dir', 2]], 1), '3 containers (1 warm-pool slot), 1 pool slot volume, 2 OpenHands socket dirs');
    assert.equal(describeSwept([['container', 1]]), '1 container');
  });
});
