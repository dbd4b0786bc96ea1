/** The coding agent's host-side file access: inside the working copy only, never through a symlink. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChangeTracker } from '../../src/agents/builtin/changes';
import { WorkspaceFs } from '../../src/agents/builtin/workspace-fs';
import { PushPalsError } from '../../src/errors';
import { removeTempDirs, tempDir } from '../helpers/temp';

describe('coding agent: workspace file access', () => {
  let root: string;
  let outside: string;
  let wfs: WorkspaceFs;
  beforeEach(() => {
    root = tempDir('pp-wfs-');
    outside = tempDir('pp-wfs-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET\n');
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.js'), 'const a = 1;\nconst b = 2;\n');
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git', 'config'), '[core]\n');
    symlinkSync(outside, join(root, 'linkdir'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'src', 'link.txt'));
    wfs = new WorkspaceFs(root);
  });
  after(removeTempDirs);

  const refuses = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof PushPalsError && e.code === 'invalid_message' && re.test(e.message));

  it('reads and writes inside; creates parent directories', () => {
    assert.equal(wfs.readText('src/a.js').text, 'const a = 1;\nconst b = 2;\n');
    assert.equal(wfs.readText('./src/../src/a.js').rel, 'src/a.js');
    assert.equal(wfs.writeText('lib/deep/new.js', 'x\n'), 'lib/deep/new.js');
    assert.equal(readFileSync(join(root, 'lib/deep/new.js'), 'utf8'), 'x\n');
  });

  it('refuses to leave the working copy: .., symlinked files and directories (read and write), .git', () => {
    refuses(() => wfs.readText('../etc/passwd'), /outside the working copy/);
    refuses(() => wfs.readText('linkdir/secret.txt'), /linkdir is a symlink/);
    refuses(() => wfs.readText('src/link.txt'), /src\/link.txt is a symlink/);
    refuses(() => wfs.writeText('linkdir/planted.txt', 'x'), /linkdir is a symlink/);
    refuses(() => wfs.writeText('src/link.txt', 'overwritten'), /symlink/);
    refuses(() => wfs.readText('.git/config'), /\.git directory/);
    refuses(() => wfs.list('linkdir', 1, 10), /symlink/);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'TOP SECRET\n');
    assert.equal(existsSync(join(outside, 'planted.txt')), false);
  });

  it('lists without entering .git or following links; searches with grep (literal and regex, no links)', async () => {
    assert.deepEqual(wfs.list('.', 2, 100).entries, ['linkdir@', 'src/', 'src/a.js', 'src/link.txt@']);
    assert.deepEqual((await wfs.search('.', 'const b', { regex: false, limit: 10 })).matches, ['src/a.js:2:const b = 2;']);
    assert.deepEqual((await wfs.search('src', '^const [ab] =', { regex: true, limit: 1 })), { matches: ['src/a.js:1:const a = 1;'], truncated: true });
    assert.deepEqual((await wfs.search('.', 'TOP SECRET', { regex: false, limit: 10 })).matches, [], 'grep -r must not follow the symlinks');
    await assert.rejects(wfs.search('.', '(', { regex: true, limit: 10 }), /search failed/);
  });

  it('the change tracker diffs each changed file against its first original', () => {
    const ch = new ChangeTracker(wfs);
    ch.remember('src/a.js', wfs.readText('src/a.js').text);
    wfs.writeText('src/a.js', 'const a = 1;\nconst b = 3;\n');
    ch.remember('src/a.js', 'ignored: only the first original counts');
    ch.remember('src/new.js', undefined);
    wfs.writeText('src/new.js', 'new\n');
    const d = ch.diff('t1');
    assert.deepEqual(d?.files, ['src/a.js', 'src/new.js']);
    assert.match(d?.diff ?? '', /-const b = 2;\n\+const b = 3;/);
    assert.match(d?.diff ?? '', /--- \/dev\/null\n\+\+\+ b\/src\/new.js/);
    assert.equal(d?.hunks.length, 2);
    assert.equal(new ChangeTracker(wfs).diff('t1'), undefined);
  });
});
