/**
 * Approving a commit or a pull request in an editor tab, like VS Code's "use editor as commit input":
 * a document of its own scheme (kept in memory) pre-filled with the proposal and `#` help lines, in the
 * `git-commit` language for a commit message and `markdown` for a pull request (title, blank line,
 * body). "Commit" / "Open PR" (CodeLens, editor title, Ctrl+Enter) validates the text and sends the
 * decision; the tab closes only once the orchestrator took it, so a refusal loses no typing. Closing the
 * tab otherwise decides nothing: the approval stays pending, and approving it again reopens the text as
 * it was left. Edits are saved into memory as they are typed, so closing never asks "save changes?".
 * One editor per approval.
 */
import * as vscode from 'vscode';
import type { ApprovalView } from '@pushpals/protocol/client';
import { MergeFileSystem } from './review/mergeFs';
import type { ApprovalEdits, Session } from './session';
import { commitTemplate, normalizeBody, parseCommitMessage, parsePullRequest, pullRequestTemplate, type Parsed } from './messageText';

export const MESSAGE_SCHEME = 'pushpals-message';
const COMMIT_FILE = 'COMMIT_EDITMSG';
const PR_FILE = 'PULL_REQUEST.md';

/** Sends the decision with the edits; its result settles the editor's promise. */
export type SendEdits<R> = (edits: ApprovalEdits) => Promise<R>;

interface Draft {
  approval: ApprovalView;
  uri: vscode.Uri;
  read(text: string): Parsed<ApprovalEdits>;
  send: SendEdits<unknown>;
  settle(result: unknown): void;
  sending: boolean;
}

export class ApprovalMessageEditor implements vscode.Disposable {
  /** The text lives here, not on disk: a save is kept in memory and never decides anything. */
  private readonly fs = new MergeFileSystem(async () => undefined);
  private readonly drafts = new Map<string, Draft>();
  /** approvalId → the text of an editor closed without submitting (reopened as it was left). */
  private readonly leftOpen = new Map<string, string>();
  private readonly saving = new Map<string, NodeJS.Timeout>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly session: Session) {
    this.disposables = [
      this.fs,
      this.lensesChanged,
      vscode.workspace.registerFileSystemProvider(MESSAGE_SCHEME, this.fs, { isCaseSensitive: true }),
      vscode.languages.registerCodeLensProvider({ scheme: MESSAGE_SCHEME }, { onDidChangeCodeLenses: this.lensesChanged.event, provideCodeLenses: (doc) => this.lenses(doc) }),
      vscode.commands.registerCommand('pushpals.submitCommit', (uri?: vscode.Uri) => this.submit(uri)),
      vscode.commands.registerCommand('pushpals.submitPullRequest', (uri?: vscode.Uri) => this.submit(uri)),
      vscode.commands.registerCommand('pushpals.cancelMessage', (uri?: vscode.Uri) => this.cancel(uri)),
      // Closing the tab (any way) without submitting: nothing is decided.
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        if (e.closed.length) for (const d of [...this.drafts.values()]) if (!this.tabOf(d.uri)) this.finish(d, undefined);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme === MESSAGE_SCHEME && this.drafts.has(e.document.uri.toString())) this.saveSoon(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        const d = this.drafts.get(doc.uri.toString());
        if (d && !this.tabOf(d.uri)) this.finish(d, undefined);
      }),
      // Decided elsewhere (another window, the phone, a grant) or expired meanwhile: the editor has nothing left to do.
      session.store.onChange((changes) => {
        for (const c of changes) {
          if (c.kind !== 'approval') continue;
          const a = c.approval;
          const d = [...this.drafts.values()].find((x) => x.approval.approvalId === a.approvalId);
          if (a.status !== 'pending') this.leftOpen.delete(a.approvalId);
          if (!d || a.status === 'pending' || d.sending) continue;
          void vscode.window.showInformationMessage(`PushPals: "${a.title}" was ${a.status}${a.by ? ` by ${a.by}` : ''} meanwhile; its editor was closed.`);
          this.finish(d, undefined, false);
          this.leftOpen.delete(a.approvalId);
          void this.close(d.uri);
        }
      }),
    ];
  }

  /** True when the approval's text is edited in an editor (a commit; a pr approval that proposes its text). */
  static handles(a: ApprovalView): boolean {
    return a.kind === 'commit' || (a.kind === 'pr' && a.pullRequest !== undefined);
  }

  /**
   * Opens the approval's editor and resolves with what `send` returned once the person submitted (and the
   * orchestrator took it), or undefined when the tab was closed without submitting.
   */
  async edit<R>(approval: ApprovalView, send: SendEdits<R>): Promise<R | undefined> {
    const open = [...this.drafts.values()].find((d) => d.approval.approvalId === approval.approvalId);
    if (open) {
      await vscode.window.showTextDocument(open.uri, { preview: false });
      void vscode.window.showInformationMessage('PushPals: this approval is already being edited: submit or close its editor.');
      return undefined;
    }
    const { uri, text, language, read } = this.prepare(approval);
    this.fs.put(uri, this.leftOpen.get(approval.approvalId) ?? text, false);
    this.leftOpen.delete(approval.approvalId);
    const result = new Promise<R | undefined>((resolve) => {
      this.drafts.set(uri.toString(), { approval, uri, read, send: send as SendEdits<unknown>, settle: (r) => resolve(r as R | undefined), sending: false });
    });
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      // Without the language (e.g. the git extension disabled) the text is plain; nothing else changes.
      await vscode.languages.setTextDocumentLanguage(doc, language).then(undefined, () => undefined);
      await vscode.window.showTextDocument(doc, { preview: false, selection: new vscode.Range(0, 0, 0, 0) });
    } catch (e) {
      this.finish(this.drafts.get(uri.toString()), undefined);
      throw e;
    }
    this.lensesChanged.fire();
    return result;
  }

  private prepare(a: ApprovalView): { uri: vscode.Uri; text: string; language: string; read(text: string): Parsed<ApprovalEdits> } {
    const dir = `/${encodeURIComponent(a.approvalId)}`;
    if (a.kind === 'commit') {
      const t = commitTemplate(a.message ?? '', { what: a.title });
      return {
        uri: vscode.Uri.from({ scheme: MESSAGE_SCHEME, path: `${dir}/${COMMIT_FILE}` }),
        text: t.text,
        language: 'git-commit',
        read: (text) => {
          const p = parseCommitMessage(text, t.commentChar);
          return p.ok ? { ok: true, value: { message: p.value } } : p;
        },
      };
    }
    const proposed = a.pullRequest ?? { title: '', body: '' };
    return {
      uri: vscode.Uri.from({ scheme: MESSAGE_SCHEME, path: `${dir}/${PR_FILE}` }),
      text: pullRequestTemplate(proposed.title, proposed.body, { what: a.title, ...(proposed.number ? { number: proposed.number } : {}) }),
      language: 'markdown',
      read: (text) => {
        const p = parsePullRequest(text);
        if (!p.ok) return p;
        // Only what changed is sent: an untouched proposal stays the orchestrator's.
        const { title, body } = p.value;
        return { ok: true, value: { ...(title !== proposed.title ? { title } : {}), ...(body !== normalizeBody(proposed.body) ? { body } : {}) } };
      },
    };
  }

  private draftAt(uri: unknown): Draft | undefined {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    return target ? this.drafts.get(target.toString()) : undefined;
  }

  /** "Commit" / "Open PR": validate, send, close. False when nothing was sent or it was refused. */
  async submit(uri?: unknown): Promise<boolean> {
    const d = this.draftAt(uri);
    if (!d || d.sending) return false;
    const doc = vscode.workspace.textDocuments.find((x) => x.uri.toString() === d.uri.toString());
    const parsed = d.read(doc?.getText() ?? this.fs.text(d.uri) ?? '');
    if (!parsed.ok) {
      void vscode.window.showErrorMessage(`PushPals: ${parsed.problem}`);
      return false;
    }
    d.sending = true;
    this.stopSaving(d.uri);
    let result: unknown;
    try {
      result = await d.send(parsed.value);
    } catch (e) {
      // The text stays in the editor: fix it, or close the tab to leave the approval pending.
      d.sending = false;
      void vscode.window.showErrorMessage(`PushPals: could not approve "${d.approval.title}" — ${(e as Error).message}. The editor keeps your text.`);
      return false;
    }
    this.finish(d, result, false);
    this.leftOpen.delete(d.approval.approvalId);
    await this.close(d.uri);
    return true;
  }

  /** "Cancel": closes the tab without a save prompt; the approval stays pending. */
  async cancel(uri?: unknown): Promise<void> {
    const d = this.draftAt(uri);
    if (!d) return;
    this.finish(d, undefined, false);
    await this.close(d.uri);
  }

  /** Typed text goes to memory at once (like auto-save): a closed tab keeps it and never prompts. */
  private saveSoon(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.saving.get(key));
    this.saving.set(key, setTimeout(() => {
      this.saving.delete(key);
      if (doc.isDirty && !doc.isClosed) void doc.save().then(undefined, () => false);
    }, 150));
  }

  private stopSaving(uri: vscode.Uri): void {
    clearTimeout(this.saving.get(uri.toString()));
    this.saving.delete(uri.toString());
  }

  /** Settles the draft once; its text is dropped now, or by close() when its tab is still open. */
  private finish(d: Draft | undefined, result: unknown, drop = true): void {
    if (!d || !this.drafts.delete(d.uri.toString())) return;
    const key = d.uri.toString();
    this.stopSaving(d.uri);
    // Closed without submitting: the text as it was left, for the next Approve.
    const text = vscode.workspace.textDocuments.find((x) => x.uri.toString() === key)?.getText() ?? this.fs.text(d.uri);
    if (result === undefined && text !== undefined) this.leftOpen.set(d.approval.approvalId, text);
    if (drop) this.fs.drop(d.uri);
    this.lensesChanged.fire();
    d.settle(result);
  }

  private tabOf(uri: vscode.Uri): vscode.Tab | undefined {
    const key = uri.toString();
    return vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key);
  }

  private async close(uri: vscode.Uri): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((x) => x.uri.toString() === uri.toString());
    // Saved into memory first, so closing never asks "save changes?" (an auto-save may be under way: wait for it).
    for (let i = 0; doc?.isDirty && i < 40; i++) {
      await doc.save().then(undefined, () => false);
      if (doc.isDirty) await new Promise((r) => setTimeout(r, 50));
    }
    const tab = this.tabOf(uri);
    if (tab) await vscode.window.tabGroups.close(tab).then(undefined, () => false);
    // Dropped only once no tab shows it (a dropped file under an open tab would turn it into an unsaved one).
    if (!this.tabOf(uri)) this.fs.drop(uri);
  }

  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const d = this.drafts.get(doc.uri.toString());
    if (!d) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const commit = d.approval.kind === 'commit';
    return [
      new vscode.CodeLens(top, { title: commit ? '$(check) Commit (Ctrl+Enter)' : `$(git-pull-request-create) ${d.approval.pullRequest?.number ? 'Update PR' : 'Open PR'} (Ctrl+Enter)`, command: commit ? 'pushpals.submitCommit' : 'pushpals.submitPullRequest', arguments: [doc.uri] }),
      new vscode.CodeLens(top, { title: 'Cancel (stays pending)', command: 'pushpals.cancelMessage', arguments: [doc.uri] }),
    ];
  }

  dispose(): void {
    for (const d of [...this.drafts.values()]) this.finish(d, undefined);
    for (const x of this.disposables) x.dispose();
  }
}
