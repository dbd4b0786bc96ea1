/**
 * Binary files, renames and mode changes from a working copy's changes to a commit, on real git: the
 * OpenHands diff script run by bash in a real repository (as inside the container), its new blobs
 * fetched into a separate clone and checked against their ids; then the commit of the accepted
 * whole-file changes, read back with host git. And a plan's combined diff of two tickets (a binary
 * file and text) that keeps the binary bytes intact.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workingCopyDiff } from '../../src/agents/openhands/diff';
import { changesFromDiff } from '../../src/agents/openhands/ticket';
import { commitChanges } from '../../src/git/commits';
import { stackResults } from '../../src/plans/combine';
import type { TicketRecord } from '../../src/plans/plan-store';
import { combinedDiff } from '../../src/plans/combined-diff';
import { diffResult, entryDiff } from '../../src/review/diff-result';
import { PUSHPALS_AUTHOR, writeCommitObjects } from '../../src/review/task-branch';
import { removeTempDirs, tempDir } from '../helpers/temp';

const run = (cwd: string, cmd: string, args: string[], input?: string) => spawnSync(cmd, args, { cwd, input, encoding: 'buffer', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } });
const git = (cwd: string, ...args: string[]): string => {
  const r = run(cwd, 'git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString('utf8');
};
const gitBytes = (cwd: string, ...args: string[]): Buffer => run(cwd, 'git', args).stdout;

/** PNG-like bytes: the signature, NULs, every byte value. */
const png = (n: number): Buffer => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256))]);
const SCRIPT = '#!/bin/sh\necho hi\n';
const HELPER = 'export const helper = 1;\n';

describe('whole-file changes: binary, rename, mode — diff, decisions, commit (real git)', () => {
  after(() => removeTempDirs());

  /** A repository with a binary image, a script and a file to rename; its bare clone is the "orchestrator's". */
  function fixture(): { work: string; mirror: string; base: string } {
    const work = tempDir('pp-whole-work-');
    git(work, 'init', '-q', '-b', 'main');
    mkdirSync(join(work, 'src'));
    writeFileSync(join(work, 'logo.png'), png(3000));
    writeFileSync(join(work, 'run.sh'), SCRIPT);
    writeFileSync(join(work, 'src', 'a.ts'), HELPER);
    writeFileSync(join(work, 'README.md'), 'one\ntwo\n');
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', 'base');
    const mirror = join(tempDir('pp-whole-mirror-'), 'mirror.git');
    git(work, 'clone', '-q', '--bare', work, mirror);
    return { work, mirror, base: git(work, 'rev-parse', 'HEAD').trim() };
  }

  it('the OpenHands diff lists the binary, the rename and the mode change; accepting two and rejecting one commits exactly those', async () => {
    const { work, mirror, base } = fixture();
    const newPng = png(5000);
    writeFileSync(join(work, 'logo.png'), newPng);
    renameSync(join(work, 'src', 'a.ts'), join(work, 'src', 'b.ts'));
    chmodSync(join(work, 'run.sh'), 0o755);
    writeFileSync(join(work, 'README.md'), 'one\n2\n');
    const warnings: string[] = [];
    const diff = await workingCopyDiff('t1', { exec: async (script) => { const r = run(work, 'bash', ['-c', script]); return { exitCode: r.status ?? -1, stdout: r.stdout.toString('utf8') }; }, mirror, warn: (m) => warnings.push(m) });
    assert.ok(diff);
    assert.deepEqual(warnings, []);
    const entries = diff.fileChanges ?? [];
    assert.deepEqual(entries.map((e) => [e.fileId, e.kind, e.change, e.path, e.oldPath]), [
      ['f1', 'binary', 'modified', 'logo.png', undefined],
      ['f2', 'mode', 'modified', 'run.sh', undefined],
      ['f3', 'rename', 'renamed', 'src/b.ts', 'src/a.ts'],
    ]);
    const bin = entries[0]!;
    assert.deepEqual([bin.oldSize, bin.newSize, bin.newBlob], [png(3000).length, newPng.length, git(work, 'hash-object', 'logo.png').trim()]);
    assert.deepEqual([entries[1]!.oldMode, entries[1]!.newMode], ['100644', '100755']);
    // Text stays hunks; the binary never does.
    assert.deepEqual(diff.hunks.map((h) => h.file), ['README.md']);
    assert.doesNotMatch(diff.diff, /logo\.png|PNG/);

    // Accept the binary, the rename and the README hunk; reject the mode change.
    const decided = new Set(['f1', 'f3', diff.hunks[0]!.hunkId]);
    const result = await diffResult(mirror, base, diff, (id) => decided.has(id));
    assert.deepEqual(result.entries.map((e) => e.fileId), ['f1', 'f3']);
    assert.match(result.entries.map(entryDiff).join(''), /Binary files a\/logo\.png and b\/logo\.png differ[\s\S]*rename from src\/a\.ts\nrename to src\/b\.ts/);
    const sha = await writeCommitObjects(mirror, { parent: base, changes: result.changes, message: 'accepted', author: PUSHPALS_AUTHOR, timestamp: 0 });
    assert.ok(gitBytes(mirror, 'cat-file', 'blob', `${sha}:logo.png`).equals(newPng), 'the binary is committed byte-exactly');
    assert.equal(git(mirror, 'show', `${sha}:src/b.ts`), HELPER);
    assert.match(git(mirror, 'diff', '--name-status', '-M', base, sha), /R100\tsrc\/a\.ts\tsrc\/b\.ts/);
    assert.match(git(mirror, 'ls-tree', sha, 'run.sh'), /^100644 blob /, 'the rejected mode change is not committed');
    assert.equal(git(mirror, 'show', `${sha}:README.md`), 'one\n2\n');

    // Everything accepted (a ticket's commit): the mode change too.
    const all = await changesFromDiff(mirror, base, diff);
    const ticket = await commitChanges(mirror, { base, changes: all, ref: 'refs/heads/ticket', message: 'ticket' });
    assert.match(git(mirror, 'ls-tree', ticket, 'run.sh'), /^100755 blob /);
    assert.ok(gitBytes(mirror, 'cat-file', 'blob', `${ticket}:logo.png`).equals(newPng));

    // A whole-file change whose base moved on is a conflict, never an overwrite.
    writeFileSync(join(work, 'logo.png'), png(10));
    git(work, 'commit', '-qam', 'moved on');
    git(work, 'push', '-q', mirror, 'main:moved');
    const moved = git(mirror, 'rev-parse', 'moved').trim();
    await assert.rejects(diffResult(mirror, moved, diff, (id) => id === 'f1'), (e: Error & { code?: string }) => e.code === 'conflict' && /logo\.png/.test(e.message));
  });

  it('new untracked files: an empty one and an executable script are whole-file changes beside their text', async () => {
    const { work, mirror, base } = fixture();
    writeFileSync(join(work, 'empty.txt'), '');
    writeFileSync(join(work, 'go.sh'), SCRIPT, { mode: 0o755 });
    const exec = async (script: string) => { const r = run(work, 'bash', ['-c', script]); return { exitCode: r.status ?? -1, stdout: r.stdout.toString('utf8') }; };
    const diff = await workingCopyDiff('t2', { exec, mirror, warn: () => undefined });
    assert.deepEqual((diff?.fileChanges ?? []).map((e) => [e.kind, e.change, e.path, e.newMode]), [['empty', 'added', 'empty.txt', '100644'], ['mode', 'added', 'go.sh', '100755']]);
    assert.deepEqual(diff?.hunks.map((h) => h.file), ['go.sh']);
    assert.equal(git(work, 'status', '--short'), '?? empty.txt\n?? go.sh\n', "the working copy's own index is untouched");
    // The new script's mode accepted but its text rejected: the file stays absent; the empty file accepted is created empty.
    const ids = new Set((diff?.fileChanges ?? []).map((e) => e.fileId));
    const result = await diffResult(mirror, base, diff!, (id) => ids.has(id));
    assert.deepEqual([...result.changes], [['empty.txt', { text: '', mode: '100644' }]]);
  });

  it("a plan's combined diff of two tickets (a binary file, text) keeps the binary intact", async () => {
    const { mirror, base } = fixture();
    const newPng = png(7000);
    // Ticket 1 changes the image (its result holds the bytes as a blob), ticket 2 the README.
    const t1Blob = spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: mirror, input: newPng }).stdout.toString().trim();
    const t1 = await commitChanges(mirror, { base, changes: new Map([['logo.png', { oid: t1Blob }]]), ref: 'refs/heads/t1', message: 't1' });
    const t2 = await commitChanges(mirror, { base, changes: new Map([['README.md', 'one\ntwo\nthree\n']]), ref: 'refs/heads/t2', message: 't2' });
    const ticket = (taskId: string, ordinal: number, resultCommit: string) => ({ taskId, ordinal, key: `T${ordinal}`, title: taskId, dependsOn: [], resultCommit }) as unknown as TicketRecord;
    const { head } = await stackResults(mirror, base, [ticket('t1', 1, t1), ticket('t2', 2, t2)], async () => undefined);
    const diff = await combinedDiff(mirror, 'plan', base, head);
    assert.ok(diff);
    assert.deepEqual(diff.hunks.map((h) => h.file), ['README.md']);
    assert.deepEqual(diff.fileChanges?.map((e) => [e.kind, e.change, e.path, e.newBlob]), [['binary', 'modified', 'logo.png', t1Blob]]);
    assert.doesNotMatch(diff.diff, /logo\.png/);
    const all = await diffResult(mirror, base, diff, () => true);
    const sha = await writeCommitObjects(mirror, { parent: base, changes: all.changes, message: 'combined', author: PUSHPALS_AUTHOR, timestamp: 0 });
    assert.ok(gitBytes(mirror, 'cat-file', 'blob', `${sha}:logo.png`).equals(newPng));
    assert.equal(git(mirror, 'rev-parse', `${sha}^{tree}`).trim(), git(mirror, 'rev-parse', `${head}^{tree}`).trim(), 'the reviewed result is exactly the combined tree');
  });
});
