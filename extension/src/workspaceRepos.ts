/**
 * Binds this window to the orchestrator's repository that new tasks are for, and never guesses:
 * one workspace folder, or the folder the person picked (a quick pick, remembered per workspace);
 * that folder's checkout matched against `repo_list` (repoBinding.ts: by path — a sub-folder counts
 * —, or by remote URL + root commit when the orchestrator runs elsewhere); several matches: a quick
 * pick, remembered; none: registered with `repo_add` when the orchestrator runs on this machine,
 * otherwise an error that says how to register it there.
 */
import * as vscode from 'vscode';
import type { CommandPayload, CommandResult, CommandType } from '@pushpals/protocol/client';
import { findCheckout, matchRepos, type RegisteredRepo } from './repoBinding';

export interface BoundRepo {
  repoId: string;
  name: string;
  /** The workspace folder it is bound for. */
  folder: string;
}

export interface WorkspaceReposDeps {
  state: vscode.Memento;
  log: vscode.LogOutputChannel;
  request<K extends CommandType>(type: K, payload: CommandPayload<K>): Promise<CommandResult<K>>;
  /** May an unregistered checkout be registered (setting on, and the orchestrator runs on this machine)? */
  mayRegister(): boolean;
}

const FOLDER_KEY = 'pushpals.folder';
const repoKey = (folder: string): string => `pushpals.repoFor:${folder}`;

export class WorkspaceRepos implements vscode.Disposable {
  private current: BoundRepo | undefined;
  private readonly listeners = new Set<(b: BoundRepo | undefined) => void>();

  constructor(private readonly deps: WorkspaceReposDeps) {}

  get bound(): BoundRepo | undefined {
    return this.current;
  }

  onDidChange(l: (b: BoundRepo | undefined) => void): vscode.Disposable {
    this.listeners.add(l);
    return new vscode.Disposable(() => this.listeners.delete(l));
  }

  /** Another orchestrator: what was bound meant nothing there. */
  reset(): void {
    this.set(undefined);
  }

  private set(b: BoundRepo | undefined): void {
    this.current = b;
    for (const l of [...this.listeners]) l(b);
  }

  /**
   * The repository new tasks are for. `interactive`: may ask (quick picks) and throws an Error that
   * says what is wrong; otherwise resolves undefined where it would have to ask or fail.
   */
  async bind(interactive: boolean): Promise<BoundRepo | undefined> {
    try {
      const folder = await this.folder(interactive);
      if (!folder) return this.cleared();
      const { repos } = await this.deps.request('repo_list', {});
      const remembered = this.deps.state.get<string>(repoKey(folder.uri.toString()));
      const kept = repos.find((r) => r.repoId === remembered);
      if (kept) return this.bindTo(kept, folder);
      const checkout = findCheckout(folder.uri.fsPath);
      if (!checkout) throw new Error(`the folder ${folder.name} is not inside a git repository, so PushPals has nothing to work on`);
      const candidates = matchRepos(checkout, repos);
      if (candidates.length === 1) return this.bindTo(candidates[0] as RegisteredRepo, folder);
      if (candidates.length > 1) {
        if (!interactive) return this.cleared();
        const pick = await this.pickRepo(candidates, `PushPals: ${folder.name} matches ${candidates.length} registered repositories — which one?`);
        if (!pick) return undefined;
        await this.deps.state.update(repoKey(folder.uri.toString()), pick.repoId);
        return this.bindTo(pick, folder);
      }
      if (!this.deps.mayRegister()) {
        throw new Error(`the orchestrator has no repository for ${checkout.root} (matched by path, or by remote URL and root commit); register it where the orchestrator runs: pushpals repo add <path-or-https-url>`);
      }
      const added = await this.deps.request('repo_add', { source: checkout.root });
      this.deps.log.info(`${checkout.root} registered as ${added.name} (${added.repoId})${added.existing ? ' (already registered)' : ''}`);
      return this.bindTo({ repoId: added.repoId, name: added.name }, folder);
    } catch (e) {
      if (interactive) throw e;
      this.deps.log.warn(`no repository bound for new tasks yet: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Forgets the remembered folder and repository choices, then binds again, asking. */
  async choose(): Promise<BoundRepo | undefined> {
    await this.deps.state.update(FOLDER_KEY, undefined);
    for (const f of vscode.workspace.workspaceFolders ?? []) await this.deps.state.update(repoKey(f.uri.toString()), undefined);
    this.set(undefined);
    return this.bind(true);
  }

  /** A quick pick over the orchestrator's choices (a `command_error`'s `details.choices`). */
  async pickRepo(choices: Array<{ repoId: string; name: string; source: string }>, title: string): Promise<{ repoId: string; name: string; source: string } | undefined> {
    const pick = await vscode.window.showQuickPick(
      choices.map((c) => ({ label: c.name, description: c.repoId, detail: c.source, choice: c })),
      { title, ignoreFocusOut: true, matchOnDescription: true, matchOnDetail: true },
    );
    return pick?.choice;
  }

  private cleared(): undefined {
    if (this.current) this.set(undefined);
    return undefined;
  }

  private bindTo(r: { repoId: string; name: string }, folder: vscode.WorkspaceFolder): BoundRepo {
    const b: BoundRepo = { repoId: r.repoId, name: r.name, folder: folder.uri.fsPath };
    if (this.current?.repoId !== b.repoId || this.current.folder !== b.folder) {
      this.deps.log.info(`new tasks from ${folder.uri.fsPath} go to repository ${r.name} (${r.repoId})`);
      this.set(b);
    }
    return b;
  }

  /** The workspace folder tasks are for: the only one, or the one the person picked (remembered). */
  private async folder(interactive: boolean): Promise<vscode.WorkspaceFolder | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (folders.length <= 1) return folders[0];
    const remembered = this.deps.state.get<string>(FOLDER_KEY);
    const known = folders.find((f) => f.uri.toString() === remembered);
    if (known || !interactive) return known;
    const pick = await vscode.window.showQuickPick(
      folders.map((f) => ({ label: f.name, detail: f.uri.fsPath, folder: f })),
      { title: 'PushPals: new tasks are for which folder? (remembered; "PushPals: Choose Repository…" changes it)', ignoreFocusOut: true },
    );
    if (pick) await this.deps.state.update(FOLDER_KEY, pick.folder.uri.toString());
    return pick?.folder;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
