/**
 * Hunk-level review (src/review): pairing a diff's hunks with diff_ready's ids, applying only the accepted
 * ones (edits, creations, deletions, a missing final newline), the committed file diff, the inline document.
 */
import assert from 'node:assert/strict';
import { createTwoFilesPatch } from 'diff';
import { applyAccepted, fileDiff, inlineDocument, splitDiff, ReviewDiffError } from '../src/review';

const base = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
const after = base.replace('line 2\n', 'LINE 2\n').replace('line 18\n', 'line 18\nnew after 18\n');
const diffOf = (file: string, a: string | null, b: string | null) => createTwoFilesPatch(a === null ? '/dev/null' : `a/${file}`, b === null ? '/dev/null' : `b/${file}`, a ?? '', b ?? '', undefined, undefined, { context: 3 });

describe('review (src/review)', () => {
  const diff = diffOf('a.txt', base, after) + diffOf('new.txt', null, 'hello\n') + diffOf('gone.txt', 'bye\n', null);
  const refs = [{ hunkId: 'h1_1', file: 'a.txt' }, { hunkId: 'h1_2', file: 'a.txt' }, { hunkId: 'h2_1', file: 'new.txt' }, { hunkId: 'h3_1', file: 'gone.txt' }];

  it('splitDiff pairs the hunks with the ids in order and knows creations and deletions', () => {
    const files = splitDiff(diff, refs);
    assert.deepEqual(files.map((f) => [f.path, f.hunks.map((h) => h.hunkId), f.created, f.deleted]), [
      ['a.txt', ['h1_1', 'h1_2'], false, false],
      ['new.txt', ['h2_1'], true, false],
      ['gone.txt', ['h3_1'], false, true],
    ]);
    assert.throws(() => splitDiff(diff, refs.slice(0, 3)), ReviewDiffError);
    assert.throws(() => splitDiff(diff, [...refs, { hunkId: 'x', file: 'a.txt' }]), /lists 5 hunks, the diff has 4/);
  });

  it('git\'s diff of a binary file and of a pure rename has no hunks: splitDiff leaves them out and keeps the ids paired; a rename with edits names its file', () => {
    const git = [
      'diff --git a/img.png b/img.png\nindex 1111111..2222222 100644\nBinary files a/img.png and b/img.png differ\n',
      'diff --git a/old.txt b/new.txt\nsimilarity index 100%\nrename from old.txt\nrename to new.txt\n',
      diffOf('a.txt', base, after),
      'diff --git a/r2.txt b/r3.txt\nsimilarity index 80%\nrename from r2.txt\nrename to r3.txt\n--- a/r2.txt\n+++ b/r3.txt\n@@ -1 +1 @@\n-x\n+y\n',
    ].join('');
    const files = splitDiff(git, [{ hunkId: 'h3_1', file: 'a.txt' }, { hunkId: 'h3_2', file: 'a.txt' }, { hunkId: 'h4_1', file: 'r3.txt' }]);
    assert.deepEqual(files.map((f) => [f.path, f.hunks.map((h) => h.hunkId)]), [['a.txt', ['h3_1', 'h3_2']], ['r3.txt', ['h4_1']]]);
    // The base has no file at the rename's new path: the review cannot apply it (the commit reports a conflict).
    assert.throws(() => applyAccepted(null, files[1]!, () => true), (e: unknown) => e instanceof ReviewDiffError && /r3\.txt does not exist in the base/.test(e.message));
  });

  it('applyAccepted applies exactly the accepted hunks', () => {
    const [a, created, deleted] = splitDiff(diff, refs);
    assert.equal(applyAccepted(base, a!, () => true), after);
    assert.equal(applyAccepted(base, a!, () => false), base);
    assert.equal(applyAccepted(base, a!, (id) => id === 'h1_1'), base.replace('line 2\n', 'LINE 2\n'));
    assert.equal(applyAccepted(base, a!, (id) => id === 'h1_2'), base.replace('line 18\n', 'line 18\nnew after 18\n'));
    assert.equal(applyAccepted(null, created!, () => true), 'hello\n');
    assert.equal(applyAccepted(null, created!, () => false), null);
    assert.equal(applyAccepted('bye\n', deleted!, () => true), null);
    assert.equal(applyAccepted('bye\n', deleted!, () => false), 'bye\n');
  });

  it('keeps a missing final newline as the accepted side has it', () => {
    const b = 'x\ny';
    const [f] = splitDiff(diffOf('f', b, 'x\nY\n'), [{ hunkId: 'h', file: 'f' }]);
    assert.equal(applyAccepted(b, f!, () => true), 'x\nY\n');
    assert.equal(applyAccepted(b, f!, () => false), b);
  });

  it('a base that is not the diff\'s fails with ReviewDiffError naming the file', () => {
    const [a, , deleted] = splitDiff(diff, refs);
    assert.throws(() => applyAccepted('something else\n', a!, () => true), (e: unknown) => e instanceof ReviewDiffError && e.file === 'a.txt');
    assert.throws(() => applyAccepted(null, deleted!, () => true), /does not exist in the base/);
  });

  it('fileDiff writes a git-style diff that reapplies', () => {
    const d = fileDiff('a.txt', base, after);
    assert.match(d, /^diff --git a\/a.txt b\/a.txt\n--- a\/a.txt\n\+\+\+ b\/a.txt\n@@ -1,5 \+1,5 @@/);
    const [f] = splitDiff(d, [{ hunkId: 'x', file: 'a.txt' }, { hunkId: 'y', file: 'a.txt' }]);
    assert.equal(applyAccepted(base, f!, () => true), after);
    assert.match(fileDiff('n', null, 'a\n'), /--- \/dev\/null\n\+\+\+ b\/n/);
    assert.equal(fileDiff('same', 'a', 'a'), '');
  });

  it('inlineDocument shows removed and added lines in place and where each hunk starts', () => {
    const [a, created] = splitDiff(diff, refs);
    const doc = inlineDocument(base, a!);
    const lines = doc.text.split('\n');
    assert.equal(lines.length - 1, 20 + 1 + 1); // the base, "LINE 2" beside "line 2", the new line
    const [h1, h2] = doc.hunks;
    assert.deepEqual([h1!.anchor, h1!.removed, h1!.added], [1, [1], [2]]);
    assert.equal(lines[1], 'line 2');
    assert.equal(lines[2], 'LINE 2');
    assert.deepEqual(h2!.removed, []);
    assert.equal(lines[h2!.added[0]!], 'new after 18');
    assert.equal(h2!.anchor, h2!.added[0]);
    const [ins] = splitDiff(createTwoFilesPatch('a/x', 'b/x', 'a\nb\nc\n', 'a\nb\nX\nY\nc\n', undefined, undefined, { context: 0 }), [{ hunkId: 'h', file: 'x' }]);
    assert.deepEqual(inlineDocument('a\nb\nc\n', ins!), { text: 'a\nb\nX\nY\nc\n', hunks: [{ hunkId: 'h', anchor: 2, removed: [], added: [2, 3] }] });
    const c = inlineDocument(null, created!);
    assert.deepEqual([c.text, c.hunks[0]!.added], ['hello\n', [0]]);
  });
});
