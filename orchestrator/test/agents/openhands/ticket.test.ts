/** A ticket worked by OpenHands: its change rebuilt from the container's diff on the base read from the clone. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { changesFromDiff } from '../../../src/agents/openhands/ticket';
import { diffReadyPayload } from '../../../src/agents/openhands/diff';
import { removeTempDirs, tempDir } from '../../helpers/temp';

const git = (cwd: string, ...args: string[]): string => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

describe('OpenHands ticket: the change from the diff', () => {
  after(() => removeTempDirs());

  it('applies modified, new and deleted files to the base from the clone; files without hunks are listed apart', async () => {
    const dir = tempDir('pp-oh-ticket-');
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'a.txt'), 'one\ntwo\n');
    writeFileSync(join(dir, 'gone.txt'), 'bye\n');
    writeFileSync(join(dir, 'empty-later.txt'), 'x\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'base');
    const base = git(dir, 'rev-parse', 'HEAD').trim();
    writeFileSync(join(dir, 'a.txt'), 'one\n2\n');
    rmSync(join(dir, 'gone.txt'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'new.js'), 'exports.x = 1;\n');
    writeFileSync(join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 0, 255]));
    git(dir, 'add', '-N', 'src/new.js', 'blob.bin');
    const payload = diffReadyPayload('t1', git(dir, 'diff', '--no-color', 'HEAD', '--'));
    assert.ok(payload);
    const { changes, skipped } = await changesFromDiff(join(dir, '.git'), base, payload);
    assert.deepEqual(Object.fromEntries(changes), { 'a.txt': 'one\n2\n', 'gone.txt': undefined, 'src/new.js': 'exports.x = 1;\n' });
    assert.deepEqual(skipped, ['blob.bin']);
    // A diff that does not apply to the base is a conflict, not a wrong commit.
    writeFileSync(join(dir, 'a.txt'), 'other\n');
    git(dir, 'commit', '-qam', 'moved on');
    const moved = git(dir, 'rev-parse', 'HEAD').trim();
    await assert.rejects(changesFromDiff(join(dir, '.git'), moved, payload), (e: Error & { code?: string }) => e.code === 'conflict');
  });
});
