/**
 * "Apply to My Checkout", merge mode: each file of the task's accepted result is merged three-way into
 * the workspace folder (base = the diff's base). Files without a conflict are written at once; a file
 * with one is left as it is and opened in VS Code's merge editor, which writes it when the person
 * completes the merge. Where the merge editor is unavailable, the file gets conflict markers instead.
 * Accepted whole-file changes (binary, rename, mode, empty file) are written byte-exactly, never merged
 * as text: a file the person changed too is a conflict and stays as it is (wholeFileMerge.ts).
 */
import { chmodSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import type { Session } from '../session';
import type { ReviewView } from '@pushpals/protocol/client';
import { acceptedContent, filesWithoutHunks } from './model';
import { planWholeFile } from './wholeFileMerge';
import { threeWay, type MergeStatus } from './merge';
import { MergeEditorService, OPEN_MERGE_EDITOR, readText } from './mergeEditor';
import type { ReviewService } from './reviewService';

/** At most this many "Open Merge Editor" buttons on the notification; the Review view lists every file. */
const MAX_MERGE_BUTTONS = 3;

export async function mergeIntoWorkspace(session: Session, reviews: ReviewService, merges: MergeEditorService, taskId: string): Promise<Record<string, MergeStatus>> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('no workspace folder is open');
  const task = reviews.task(taskId);
  if (task?.repoId && session.currentRepoId && task.repoId !== session.currentRepoId) throw new Error(`this task worked on another repository (${task.repoId}) than this window's (${session.currentRepoId})`);
  const review = reviews.reviewOf(taskId);
  if (!review) throw new Error(`task ${taskId} has no diff`);
  const r = await reviews.load(taskId);
  const committedHunks = review.committed?.hunks ? new Set(review.committed.hunks) : undefined;
  const decisions = reviews.decisions(taskId);
  const decisionOf = (id: string) => (committedHunks ? (committedHunks.has(id) ? 'accept' : 'reject') : decisions.get(id));
  const wholeFiles = (review.fileChanges ?? []).filter((f) => decisionOf(f.fileId) === 'accept');
  if (!wholeFiles.length && !r.files.some((f) => f.hunks.some((h) => decisionOf(h.hunkId) === 'accept'))) throw new Error('no hunk is accepted: there is nothing to apply');
  const label = review.committed ? `${review.committed.branch} (${review.committed.sha.slice(0, 8)})` : `pushpals/${taskId}`;
  // Asked once, at the first conflict (the command list is long).
  let useMergeEditor: boolean | undefined;
  const outcome: Record<string, MergeStatus> = {};
  /** Why a file was left alone (`refused`). */
  const reasons: Record<string, string> = {};
  for (const path of filesWithoutHunks(review)) {
    outcome[path] = 'refused';
    reasons[path] = 'binary or renamed: no text lines to apply';
  }
  const conflicts: string[] = [];
  const edit = new vscode.WorkspaceEdit();
  const saves: vscode.Uri[] = [];
  const renames = new Map((review.fileChanges ?? []).filter((e) => e.kind === 'rename' && e.oldPath).map((e) => [e.path, e]));
  const removeAfter: vscode.Uri[] = [];
  for (const f of r.files) {
    // A renamed file's hunks apply to its old content: at the new path when the rename is accepted (the old one goes), else at the old.
    const rename = renames.get(f.path);
    const moved = rename ? decisionOf(rename.fileId) === 'accept' : true;
    const uri = vscode.Uri.joinPath(folder.uri, moved ? f.path : (rename?.oldPath ?? f.path));
    let ours = await readText(uri);
    if (rename && moved && ours === null) {
      const from = vscode.Uri.joinPath(folder.uri, rename.oldPath ?? f.path);
      ours = await readText(from);
      if (ours !== null) removeAfter.push(from);
    }
    let theirs: string | null;
    try {
      theirs = acceptedContent(f, decisionOf);
    } catch (e) {
      // A hunk that does not apply to the base (e.g. a renamed file's edits: the base has no file at the new path).
      outcome[f.path] = 'refused';
      reasons[f.path] = (e as Error).message;
      continue;
    }
    const m = await threeWay(ours, f.base, theirs, label);
    outcome[f.path] = m.status;
    if (m.reason) reasons[f.path] = m.reason;
    if (m.content === undefined) continue;
    if (m.status === 'conflict') {
      conflicts.push(f.path);
      useMergeEditor ??= await MergeEditorService.available();
      // A conflict needs both sides present (threeWay refuses the deletion cases).
      if (useMergeEditor && ours !== null && theirs !== null && m.content !== null) {
        merges.begin({ taskId, path: f.path, target: uri, base: f.base, yours: ours, theirs, withMarkers: m.content, theirsLabel: label });
        continue; // the person's file stays as it is until they complete the merge
      }
    }
    if (m.content === null) edit.deleteFile(uri, { ignoreIfNotExists: true });
    else if (ours === null) edit.createFile(uri, { overwrite: false, contents: Buffer.from(m.content, 'utf8') });
    else {
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      const doc = open ?? (await vscode.workspace.openTextDocument(uri));
      edit.replace(uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), m.content);
      saves.push(uri);
    }
  }
  for (const from of removeAfter) edit.deleteFile(from, { ignoreIfNotExists: true });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code refused the edit');
  await applyWholeFiles(session, taskId, folder.uri, wholeFiles.filter((e) => !(renames.has(e.path) && r.byPath.has(e.path) && e.kind === 'rename')), outcome, reasons);
  for (const uri of saves) await vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString())?.save();
  const counts = Object.values(outcome).reduce<Record<string, number>>((a, s) => ({ ...a, [s]: (a[s] ?? 0) + 1 }), {});
  session.log.info(`applied ${taskId} to ${folder.uri.fsPath}: ${JSON.stringify(outcome)}${conflicts.length ? ` (${useMergeEditor ? 'merge editor' : 'conflict markers'} for ${conflicts.join(', ')})` : ''}`);
  const summary = Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ');
  const refused = Object.entries(outcome).filter(([, s]) => s === 'refused').map(([p]) => `${p} (${reasons[p] ?? 'refused'})`);
  const leftAlone = refused.length ? `; left alone: ${refused.join('; ')}` : '';
  if (!conflicts.length) {
    void vscode.window.showInformationMessage(`PushPals: applied to your working tree (${summary})${leftAlone}. Nothing was committed in your repository.`);
  } else if (useMergeEditor) {
    await merges.open(taskId, conflicts[0]!);
    void offerMergeEditors(merges, taskId, conflicts, `PushPals: applied what merged cleanly (${summary})${leftAlone}. ${conflicts.length} file(s) overlap your own edits and need merging — they stay as they are until you complete the merge: ${conflicts.join(', ')}.`);
  } else {
    await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, conflicts[0]!));
    void vscode.window.showWarningMessage(
      `PushPals: applied with conflicts (${summary})${leftAlone}. This VS Code has no merge editor (the \`${OPEN_MERGE_EDITOR}\` command, VS Code 1.69 and later), so the overlaps are written as conflict markers: resolve them in ${conflicts.join(', ')}.`,
    );
  }
  return outcome;
}

/** The notification with an "Open Merge Editor" button per conflicting file (the first few). */
async function offerMergeEditors(merges: MergeEditorService, taskId: string, files: string[], message: string): Promise<void> {
  const buttons = files.slice(0, MAX_MERGE_BUTTONS).map((f) => `Open Merge Editor: ${f}`);
  const pick = await vscode.window.showWarningMessage(message, ...buttons);
  const file = pick && files[buttons.indexOf(pick)];
  if (file) await merges.open(taskId, file).catch((e: Error) => vscode.window.showErrorMessage(`PushPals: could not open the merge editor — ${e.message}`));
}

/**
 * The accepted whole-file changes, byte-exactly: the diff's before and after come from the orchestrator
 * (`review_get` with `blobs`), the person's file is compared with them (wholeFileMerge.ts), and only a
 * file that is still the diff's before (or absent, for an addition) is written.
 */
async function applyWholeFiles(session: Session, taskId: string, folder: vscode.Uri, entries: NonNullable<ReviewView['fileChanges']>, outcome: Record<string, MergeStatus>, reasons: Record<string, string>): Promise<void> {
  if (!entries.length) return;
  const oids = [...new Set(entries.flatMap((e) => [e.oldBlob, e.newBlob]).filter((x): x is string => x !== undefined))];
  const got = oids.length ? await session.request('review_get', { taskId, blobs: oids }) : undefined;
  const bytes = new Map((got?.blobs ?? []).map((b) => [b.oid, Buffer.from(b.base64, 'base64')]));
  const read = async (path: string): Promise<Uint8Array | null> => vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, path)).then((b) => b, () => null);
  for (const e of entries) {
    const ours = { path: await read(e.path), oldPath: e.oldPath ? await read(e.oldPath) : null };
    const a = planWholeFile(e, ours, e.oldBlob ? bytes.get(e.oldBlob) : undefined, e.newBlob ? bytes.get(e.newBlob) : undefined);
    const key = e.kind === 'mode' && outcome[e.path] ? `${e.path} (mode)` : e.path;
    outcome[key] = a.status;
    if (a.reason) reasons[key] = a.reason;
    if (a.write) await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, a.write.path), a.write.bytes);
    if (a.remove) await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder, a.remove), { useTrash: false });
    if (a.chmod && folder.scheme === 'file') {
      // The executable bits only (a mode change is git's 100644 ↔ 100755); other permissions stay the person's.
      const file = vscode.Uri.joinPath(folder, a.chmod.path).fsPath;
      const mode = statSync(file).mode & 0o7777;
      chmodSync(file, a.chmod.executable ? mode | ((mode & 0o444) >> 2) : mode & ~0o111);
    }
  }
}
