/**
 * Apply to My Checkout's conflicts, in the real extension host: the three-way merge tells a conflict from
 * a clean merge; this VS Code has the merge editor command; a conflict's four sides are staged as files
 * the merge editor can open; and a plain save of the merge result never touches the person's file (only
 * "Complete Merge" writes it — driven in the browser by test/e2e/vscode-review.mjs).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hasConflictMarkers, threeWay } from '../../review/merge';
import { MergeEditorService, OPEN_MERGE_EDITOR } from '../../review/mergeEditor';

const BASE = 'one\ntwo\nthree\nfour\nfive\n';
const text = async (uri: vscode.Uri) => Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');

describe('apply to my checkout: conflicts and the merge editor', function () {
  this.timeout(30000);
  let tmp: string;
  let merges: MergeEditorService;
  const logged: string[] = [];
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-merge-'));
    // Its own scheme: the activated extension has registered `pushpals-merge` already.
    merges = new MergeEditorService({ info: (m) => logged.push(m), warn: (m) => logged.push(m) }, 'pushpals-merge-test');
  });
  after(() => {
    merges.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the three-way merge: edits on other lines merge cleanly, edits on the same line conflict (with markers)', async () => {
    const clean = await threeWay(BASE.replace('one', 'ONE'), BASE, BASE.replace('five', 'FIVE'), 'pushpals/t1');
    assert.equal(clean.status, 'applied');
    assert.equal(clean.content, 'ONE\ntwo\nthree\nfour\nFIVE\n');
    assert.equal(hasConflictMarkers(clean.content!), false);
    const clash = await threeWay(BASE.replace('three', 'mine'), BASE, BASE.replace('three', 'theirs'), 'pushpals/t1');
    assert.equal(clash.status, 'conflict');
    assert.ok(hasConflictMarkers(clash.content!), clash.content!);
    assert.match(clash.content!, /^<{7} your checkout$/m);
    assert.match(clash.content!, /^>{7} pushpals\/t1$/m);
    // A line that merely looks like a marker somewhere is not an open conflict.
    assert.equal(hasConflictMarkers('a\n<<<<<<< only an opener\nb\n'), false);
  });

  it(`this VS Code has the merge editor (${OPEN_MERGE_EDITOR}, VS Code 1.69 and later)`, async () => {
    assert.equal(await MergeEditorService.available(), true, `${OPEN_MERGE_EDITOR} is not among the commands of VS Code ${vscode.version}`);
  });

  it('a conflict stages base, Yours and PushPals read-only and a result; saving the result leaves the person\'s file as it is', async () => {
    const target = vscode.Uri.file(path.join(tmp, 'notes.txt'));
    const yours = BASE.replace('three', 'mine');
    const theirs = BASE.replace('three', 'theirs');
    fs.writeFileSync(target.fsPath, yours);
    const clash = await threeWay(yours, BASE, theirs, 'pushpals/t1');
    const changes: string[] = [];
    const sub = merges.onDidChange((c) => changes.push(`${c.taskId}:${c.path}`));
    const result = merges.begin({ taskId: 't1', path: 'notes.txt', target, base: BASE, yours, theirs, withMarkers: clash.content!, theirsLabel: 'pushpals/t1' });
    sub.dispose();
    assert.deepEqual(changes, ['t1:notes.txt']);
    assert.equal(merges.stateOf('t1', 'notes.txt'), 'conflict');
    assert.deepEqual(merges.conflictsOf('t1'), ['notes.txt']);
    const side = (role: string) => vscode.Uri.joinPath(result, '..', '..', role, 'notes.txt');
    assert.equal(await text(side('base')), BASE);
    assert.equal(await text(side('yours')), yours);
    assert.equal(await text(side('pushpals')), theirs);
    assert.ok(hasConflictMarkers(await text(result)), 'the result starts with the markers (the merge editor then computes its own start)');
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(side('yours'), Buffer.from('x'))), /NoPermissions|permission/i);
    // A save of a resolution outside "Complete Merge" (Ctrl+S, auto save, the merge editor's own save on open).
    await vscode.workspace.fs.writeFile(result, Buffer.from(BASE.replace('three', 'both')));
    assert.equal(await text(result), BASE.replace('three', 'both'));
    assert.equal(fs.readFileSync(target.fsPath, 'utf8'), yours, 'the person\'s file changed before Complete Merge');
    assert.equal(merges.stateOf('t1', 'notes.txt'), 'conflict');
    assert.ok(logged.some((l) => l.includes('kept with the merge')), logged.join('\n'));
    // Apply again: a new generation of URIs, the old ones are gone.
    const again = merges.begin({ taskId: 't1', path: 'notes.txt', target, base: BASE, yours, theirs, withMarkers: clash.content!, theirsLabel: 'pushpals/t1' });
    assert.notEqual(again.toString(), result.toString());
    await assert.rejects(Promise.resolve(vscode.workspace.fs.readFile(result)), /EntryNotFound|FileNotFound/);
    await assert.rejects(merges.open('t1', 'other.txt'), /no merge waiting/);
  });
});
