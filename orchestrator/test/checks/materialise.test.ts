/**
 * The tree a check runs on is exactly the commit's: regular files with their modes, executables,
 * and symlinks as symlinks (test suites rely on them), none of them followed on the host.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { materialiseCommit } from '../../src/review/task-branch';
import { chownTree } from '../../src/workbench/fs-safe';
import { hostGit } from '../git/fixtures';
import { removeTempDirs, tempDir } from '../helpers/temp';

describe('checks: materialiseCommit writes exactly the commit tree', () => {
  after(removeTempDirs);

  it('files, modes, nested dirs and symlinks (relative and pointing outside) — nothing followed, nothing of .git', async () => {
    const src = tempDir('pushpals-mat-src-');
    hostGit(src, 'init', '-q', '-b', 'main');
    fs.mkdirSync(path.join(src, 'tests/fixtures/another-dir'), { recursive: true });
    fs.writeFileSync(path.join(src, 'tests/fixtures/pm.js'), 'module.exports = 1;\n');
    fs.symlinkSync('../pm.js', path.join(src, 'tests/fixtures/another-dir/pm'));
    fs.symlinkSync('/etc/passwd', path.join(src, 'outside'));
    fs.writeFileSync(path.join(src, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    hostGit(src, 'add', '-A');
    hostGit(src, 'commit', '-q', '-m', 'fixture');
    const sha = hostGit(src, 'rev-parse', 'HEAD').trim();

    const dir = path.join(tempDir('pushpals-mat-out-'), 'tree');
    const n = await materialiseCommit(path.join(src, '.git'), sha, dir);
    assert.equal(n, 4);
    assert.equal(fs.readlinkSync(path.join(dir, 'tests/fixtures/another-dir/pm')), '../pm.js');
    assert.equal(fs.readFileSync(path.join(dir, 'tests/fixtures/another-dir/pm'), 'utf8'), 'module.exports = 1;\n', 'the relative link resolves inside the tree');
    assert.equal(fs.readlinkSync(path.join(dir, 'outside')), '/etc/passwd', 'written as a link, its target never read');
    assert.equal(fs.statSync(path.join(dir, 'run.sh')).mode & 0o777, 0o755);
    assert.equal(fs.existsSync(path.join(dir, '.git')), false);
    // chown and removal do not follow the link out of the tree.
    const before = fs.statSync('/etc/passwd');
    if (process.getuid?.() === 0) chownTree(dir, 1000, 1000);
    fs.rmSync(dir, { recursive: true, force: true });
    const after = fs.statSync('/etc/passwd');
    assert.deepEqual([after.uid, after.gid, after.size], [before.uid, before.gid, before.size]);
  });
});
