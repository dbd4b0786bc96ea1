/**
 * A conflict of "Apply to My Checkout" resolved in VS Code's merge editor (the three-way one of git
 * conflicts): base = the file at the diff's base commit, "Yours" = the person's file as it was when they
 * applied, "PushPals" = the accepted result. The person's file is left as it is until they complete the
 * merge ("Complete Merge" in the editor title, or Ctrl+Enter): only then is the result written to it —
 * never conflict markers, never a silent overwrite (if the file changed in the meantime the result is
 * refused and they apply again). A plain Save (or auto save) keeps the result with the merge only: the
 * merge editor's result holds the BASE text at each open conflict, which must not reach their file.
 * Opened with the workbench's `_open.mergeEditor` command (VS Code 1.69 and later), the one the git
 * extension uses; where a build lacks it the caller falls back to conflict markers.
 */
import * as vscode from 'vscode';
import { hasConflictMarkers } from './merge';
import { MergeFileSystem } from './mergeFs';

export const MERGE_SCHEME = 'pushpals-merge';
/** The workbench command that opens the merge editor; its argument: `{ base, input1, input2, output }`. */
export const OPEN_MERGE_EDITOR = '_open.mergeEditor';

export type MergeState = 'conflict' | 'merged';

/** One conflicting file, as Apply to My Checkout found it. */
export interface Conflict {
  taskId: string;
  /** Relative to the workspace folder (the diff's path). */
  path: string;
  /** The person's real file. */
  target: vscode.Uri;
  base: string | null;
  yours: string;
  theirs: string;
  /** The three-way result with conflict markers: the merge editor starts its result from base + both sides' non-conflicting changes. */
  withMarkers: string;
  /** Where "PushPals" comes from (branch and commit, or the task). */
  theirsLabel: string;
}

interface Pending extends Conflict {
  state: MergeState;
  root: vscode.Uri;
  uris: Record<'base' | 'yours' | 'pushpals' | 'result', vscode.Uri>;
}

const key = (taskId: string, path: string) => `${taskId}\0${path}`;

export class MergeEditorService implements vscode.Disposable {
  private readonly fs: MergeFileSystem;
  private readonly pending = new Map<string, Pending>();
  private readonly changed = new vscode.EventEmitter<{ taskId: string; path: string }>();
  /** Fires when a file's merge state changes (the Review view shows it). */
  readonly onDidChange = this.changed.event;
  private readonly registration: vscode.Disposable;
  private generation = 0;
  /** > 0 while the workbench's "Complete Merge" runs: a result saved then is written to the person's file. */
  private completing = 0;

  constructor(
    private readonly log: { info(m: string): void; warn(m: string): void },
    private readonly scheme = MERGE_SCHEME,
  ) {
    this.fs = new MergeFileSystem((uri, content) => this.complete(uri, content));
    this.registration = vscode.workspace.registerFileSystemProvider(scheme, this.fs, { isCaseSensitive: true });
  }

  /** Whether this VS Code has the merge editor command (getCommands(false): it is an internal, `_` command). */
  static async available(): Promise<boolean> {
    return (await vscode.commands.getCommands(false)).includes(OPEN_MERGE_EDITOR);
  }

  stateOf(taskId: string, path: string): MergeState | undefined {
    return this.pending.get(key(taskId, path))?.state;
  }

  /** The files of a task still waiting for their merge. */
  conflictsOf(taskId: string): string[] {
    return [...this.pending.values()].filter((p) => p.taskId === taskId && p.state === 'conflict').map((p) => p.path);
  }

  /** Records a conflict (replacing an earlier one of the same file) and stages its four sides. */
  begin(c: Conflict): vscode.Uri {
    const k = key(c.taskId, c.path);
    const old = this.pending.get(k);
    if (old) this.fs.drop(old.root);
    // A new generation per apply: URIs VS Code cached for an earlier merge of the file are not reused.
    const root = vscode.Uri.from({ scheme: this.scheme, path: `/${c.taskId}/${++this.generation}` });
    const at = (role: string) => vscode.Uri.joinPath(root, role, c.path);
    const uris = { base: at('base'), yours: at('yours'), pushpals: at('pushpals'), result: at('result') };
    this.fs.put(uris.base, c.base ?? '', true);
    this.fs.put(uris.yours, c.yours, true);
    this.fs.put(uris.pushpals, c.theirs, true);
    // The markers make the merge editor compute its own starting result (non-conflicting changes of both
    // sides in, each conflict left open) instead of taking this text as already resolved.
    this.fs.put(uris.result, c.withMarkers, false);
    this.pending.set(k, { ...c, state: 'conflict', root, uris });
    this.changed.fire({ taskId: c.taskId, path: c.path });
    return uris.result;
  }

  /** Opens the merge editor of a recorded conflict. */
  async open(taskId: string, path: string): Promise<void> {
    const p = this.pending.get(key(taskId, path));
    if (!p) throw new Error(`${path} has no merge waiting (run Apply to My Checkout again)`);
    if (p.state === 'merged') throw new Error(`${path} is merged already`);
    await vscode.commands.executeCommand(OPEN_MERGE_EDITOR, {
      base: p.uris.base,
      input1: { uri: p.uris.yours, title: 'Yours', description: 'your working tree', detail: vscode.workspace.asRelativePath(p.target) },
      input2: { uri: p.uris.pushpals, title: 'PushPals', description: p.theirsLabel, detail: 'the accepted changes' },
      output: p.uris.result,
    });
  }

  /**
   * "Complete Merge" of the active merge editor (the command's `when` clause makes it one of ours): the
   * workbench's own action (it asks about open conflicts, saves the result, closes the editor); the save
   * it makes is the one that writes the person's file. The merge is the active text editor's document
   * (the merge editor exposes its result editor); its tab input is a proposed API. A result saved
   * earlier leaves nothing for the action to save, so then the kept result is written here.
   */
  async completeActive(): Promise<void> {
    const active = vscode.window.activeTextEditor?.document.uri;
    const p = active?.scheme === this.scheme ? this.byResult(active) : undefined;
    this.completing++;
    let outcome: { successful?: boolean } | undefined;
    try {
      outcome = await vscode.commands.executeCommand<{ successful?: boolean } | undefined>('mergeEditor.acceptMerge');
    } finally {
      this.completing--;
    }
    if (p && p.state === 'conflict' && outcome?.successful) {
      const why = await this.writeResult(p, this.fs.text(p.uris.result) ?? '');
      if (why) void vscode.window.showErrorMessage(`PushPals: ${p.path} was not written — ${why}`);
    }
  }

  private byResult(uri: vscode.Uri): Pending | undefined {
    return [...this.pending.values()].find((x) => x.uris.result.toString() === uri.toString());
  }

  /** The merge editor saved the result: kept with the merge, and during "Complete Merge" written to the person's file. */
  private async complete(uri: vscode.Uri, content: string): Promise<void> {
    const p = this.byResult(uri);
    if (!p) throw vscode.FileSystemError.Unavailable('this merge was replaced by a newer Apply to My Checkout');
    if (!this.completing) {
      this.log.info(`merge result of ${p.path} saved (kept with the merge; "Complete Merge" writes it to ${p.target.fsPath})`);
      return;
    }
    const why = await this.writeResult(p, content);
    if (why) {
      void vscode.window.showErrorMessage(`PushPals: ${p.path} was not written — ${why}`);
      throw vscode.FileSystemError.Unavailable(`${p.path}: ${why}`); // the save fails: the merge editor keeps the result
    }
  }

  /** Writes a finished merge to the person's file; returns why not when that would lose something. */
  private async writeResult(p: Pending, content: string): Promise<string | undefined> {
    if (hasConflictMarkers(content)) return 'the result still has conflict markers: resolve them in the merge editor';
    const now = await readText(p.target);
    if (now !== p.yours && now !== content) return 'your file changed since the merge editor opened: run Apply to My Checkout again to merge with what you have now';
    await writeText(p.target, content);
    p.state = 'merged';
    this.log.info(`merge of ${p.path} (task ${p.taskId}) completed: written to ${p.target.fsPath}`);
    this.changed.fire({ taskId: p.taskId, path: p.path });
    void vscode.window.showInformationMessage(`PushPals: merged ${p.path} into your working tree.`);
    return undefined;
  }

  dispose(): void {
    this.registration.dispose();
    this.fs.dispose();
    this.changed.dispose();
  }
}

/** The file's text as the person sees it: the open editor's (maybe unsaved) text, else the disk's; null if absent. */
export async function readText(uri: vscode.Uri): Promise<string | null> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  return vscode.workspace.fs.readFile(uri).then((b) => Buffer.from(b).toString('utf8'), () => null);
}

/** Writes through the open document when there is one (undo works, no "file changed on disk"), else to disk. */
async function writeText(uri: vscode.Uri, content: string): Promise<void> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!open) return vscode.workspace.fs.writeFile(uri, Buffer.from(content, 'utf8'));
  const edit = new vscode.WorkspaceEdit();
  edit.replace(uri, new vscode.Range(open.positionAt(0), open.positionAt(open.getText().length)), content);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit of ${uri.fsPath}`);
  await open.save();
}
