/**
 * One PushPals session in this window: the connection, the reduced state (`store`), the event history the chat
 * shows, and the actions every UI surface (commands, tree views, notifications, webview) calls.
 */
import * as vscode from 'vscode';
import { newId, type CommandPayload, type CommandResult, type CommandType, type EventMessage, type TransientMessage } from '@pushpals/protocol/client';
import { readConfig, type PushPalsConfig } from './config';
import { Connection, CommandError, type ConnStatus } from './connection';
import { normaliseServerUrl, readServerInfo, readTokenFile, type Endpoint } from './discovery';
import { StateStore } from './stateStore';
import { WorkspaceRepos } from './workspaceRepos';

/** What a person may change when approving: a commit's message, a pull request's title and body. */
export type ApprovalEdits = Pick<CommandPayload<'approval_decide'>, 'message' | 'title' | 'body'>;

export const TOKEN_KEY_PREFIX = 'pushpals.token:';
export const tokenKey = (url: string): string => `${TOKEN_KEY_PREFIX}${normaliseServerUrl(url)}`;

export type Decision = 'approve' | 'deny';

export class Session implements vscode.Disposable {
  readonly store = new StateStore();
  /** Every event delivered so far, in seq order, each once: the chat's history. */
  readonly history: EventMessage[] = [];
  readonly connection: Connection;
  private readonly historyListeners = new Set<(events: EventMessage[]) => void>();
  private readonly transientListeners = new Set<(m: TransientMessage) => void>();
  private readonly resetListeners = new Set<() => void>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The repository new tasks are for (bound per workspace folder, never guessed). */
  readonly repos: WorkspaceRepos;
  /** Where the current endpoint came from: 'dataDir' means the orchestrator runs on this machine. */
  private endpointSource: Endpoint['source'] | undefined;
  private pendingFlush: EventMessage[] = [];
  private flushScheduled = false;
  private started = false;
  /** url + data dir of the last endpoint: a different one means a different event log. */
  private endpointKey: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    private config: PushPalsConfig = readConfig(),
  ) {
    const version = (context.extension.packageJSON as { version?: string }).version ?? '0.0.0';
    this.connection = new Connection({
      resolveEndpoint: () => this.resolveEndpoint(),
      clientName: 'vscode',
      clientVersion: `${version} (VS Code ${vscode.version})`,
      sessionId: context.workspaceState.get<string>('pushpals.sessionId') ?? this.newSessionId(),
      logger: log,
      maxDelayMs: config.reconnectMaxDelayMs,
    });
    this.repos = new WorkspaceRepos({
      state: context.workspaceState,
      log,
      request: (type, payload) => this.request(type, payload),
      // Registering a path only makes sense to an orchestrator that sees this machine's files.
      mayRegister: () => readConfig().registerWorkspaceRepo && this.endpointSource === 'dataDir',
    });
    this.disposables.push(
      this.repos,
      this.connection.onEvent((e) => this.onEvent(e)),
      this.connection.onTransient((m) => this.handleTransient(m)),
      this.connection.onReset(() => this.handleReset()),
      this.connection.onStatus((s) => this.onStatus(s)),
    );
  }

  private newSessionId(): string {
    const id = newId('s');
    void this.context.workspaceState.update('pushpals.sessionId', id);
    return id;
  }

  get status(): ConnStatus {
    return this.connection.status;
  }

  onHistory(l: (events: EventMessage[]) => void): vscode.Disposable {
    this.historyListeners.add(l);
    return new vscode.Disposable(() => this.historyListeners.delete(l));
  }
  /** Pieces of chat replies being written, as they arrive (not batched: they are the live preview). */
  onTransient(l: (m: TransientMessage) => void): vscode.Disposable {
    this.transientListeners.add(l);
    return new vscode.Disposable(() => this.transientListeners.delete(l));
  }
  onDidReset(l: () => void): vscode.Disposable {
    this.resetListeners.add(l);
    return new vscode.Disposable(() => this.resetListeners.delete(l));
  }

  private handleReset(): void {
    this.history.length = 0;
    this.store.reset();
    for (const r of [...this.resetListeners]) r();
  }

  /** Is there anything to connect to without asking the person? */
  async isConfigured(): Promise<boolean> {
    if (this.config.serverUrl) return true;
    return (await readServerInfo(this.config.dataDir)) !== undefined;
  }

  start(): void {
    this.started = true;
    this.connection.start();
  }

  get isStarted(): boolean {
    return this.started;
  }

  reloadConfig(): void {
    this.config = readConfig();
  }

  restart(): void {
    this.reloadConfig();
    this.started = true;
    this.connection.restart();
  }

  stop(): void {
    this.started = false;
    this.connection.stop('disconnected by the user');
  }

  /** Settings URL + SecretStorage token, else the data dir's server.json + token (zero config). */
  async resolveEndpoint(): Promise<Endpoint | undefined> {
    const e = await this.findEndpoint();
    if (e) {
      const key = `${e.url}|${e.source === 'dataDir' ? this.config.dataDir : ''}`;
      if (this.endpointKey !== undefined && key !== this.endpointKey) {
        this.log.info(`orchestrator changed (${this.endpointKey} → ${key}): starting a fresh history`);
        this.connection.resetCursor();
        this.repos.reset();
        this.handleReset();
      }
      this.endpointKey = key;
      this.endpointSource = e.source;
    }
    return e;
  }

  private async findEndpoint(): Promise<Endpoint | undefined> {
    const cfg = this.config;
    if (cfg.serverUrl) {
      const url = normaliseServerUrl(cfg.serverUrl);
      let token = await this.context.secrets.get(tokenKey(url));
      if (!token) {
        const info = await readServerInfo(cfg.dataDir);
        if (info && normaliseServerUrl(info.url) === url) token = await readTokenFile(cfg.dataDir);
      }
      if (!token) throw new Error(`no token stored for ${url}: run "PushPals: Connect…" and paste the token that \`pushpals token\` prints on the server`);
      return { url, token, source: 'settings' };
    }
    const info = await readServerInfo(cfg.dataDir);
    if (!info) return undefined;
    const token = (await readTokenFile(cfg.dataDir)) ?? (await this.context.secrets.get(tokenKey(info.url)));
    if (!token) throw new Error(`found ${cfg.dataDir}/server.json but no readable token file next to it: run "PushPals: Connect…"`);
    return { url: info.url, token, source: 'dataDir' };
  }

  async storeToken(url: string, token: string): Promise<void> {
    await this.context.secrets.store(tokenKey(url), token);
  }

  request<K extends CommandType>(type: K, payload: CommandPayload<K>): Promise<CommandResult<K>> {
    return this.connection.request(type, payload);
  }

  private onStatus(s: ConnStatus): void {
    // Drafts live with the connection; the next subscription brings back the ones still being written.
    if (s.state !== 'connected') this.store.clearDrafts();
    // Bind (or register) this window's repository early, so the status bar names it; without asking.
    if (s.state === 'connected' && !this.repos.bound) void this.repos.bind(false);
  }

  get currentRepoId(): string | undefined {
    return this.repos.bound?.repoId;
  }

  private onEvent(e: EventMessage): void {
    this.history.push(e);
    this.store.apply(e);
    this.pendingFlush.push(e);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), 10);
    }
  }

  private handleTransient(m: TransientMessage): void {
    this.store.applyTransient(m);
    for (const l of [...this.transientListeners]) l(m);
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pendingFlush;
    this.pendingFlush = [];
    if (!batch.length) return;
    for (const l of [...this.historyListeners]) l(batch);
  }

  // ---- Actions: every surface calls these ----

  /**
   * Creates a task for this window's repository (asking which, where that is not clear), with the
   * person's uncommitted changes unless `pushpals.includeUncommitted` is off. When the orchestrator
   * still finds the repository ambiguous (no folder open), it lists the choices: the person picks.
   */
  async newTask(request: string, context?: CommandPayload<'task_new'>['context']): Promise<CommandResult<'task_new'>> {
    const bound = await this.repos.bind(true);
    const payload: CommandPayload<'task_new'> = {
      request,
      ...(bound ? { repo: bound.repoId } : {}),
      includeUncommitted: readConfig().includeUncommitted,
      ...(context ? { context } : {}),
    };
    let r: CommandResult<'task_new'>;
    try {
      r = await this.request('task_new', payload);
    } catch (e) {
      const choices = e instanceof CommandError && !bound ? e.info.details?.choices : undefined;
      if (!Array.isArray(choices) || choices.length === 0) throw e;
      const pick = await this.repos.pickRepo(choices as Array<{ repoId: string; name: string; source: string }>, 'PushPals: which repository is this task for?');
      if (!pick) throw e;
      r = await this.request('task_new', { ...payload, repo: pick.repoId });
    }
    this.log.info(`task ${r.taskId} created (${r.state}) for ${bound?.name ?? payload.repo ?? 'the only repository'}: ${request.slice(0, 200)}`);
    return r;
  }

  chat(text: string): Promise<CommandResult<'chat_send'>> {
    return this.request('chat_send', { text });
  }

  /** `edits`: an edited commit message (commit approvals), an edited title and body (pr approvals). */
  async decide(approvalId: string, decision: Decision, edits: ApprovalEdits = {}): Promise<CommandResult<'approval_decide'>> {
    const r = await this.request('approval_decide', { approvalId, decision, ...edits });
    this.log.info(`approval ${approvalId}: ${decision} → ${r.state}`);
    return r;
  }

  cancel(taskId: string): Promise<CommandResult<'task_cancel'>> {
    return this.request('task_cancel', { taskId, reason: 'cancelled from VS Code' });
  }

  /** Pauses (true) or resumes a task: task_pause / task_resume. */
  setPaused(taskId: string, paused: boolean): Promise<CommandResult<'task_pause'>> {
    return paused ? this.request('task_pause', { taskId }) : this.request('task_resume', { taskId });
  }

  /** Grants auto-commit (and push/PR) for a repository or a task for a while (grant_add). */
  async grantAdd(payload: CommandPayload<'grant_add'>): Promise<CommandResult<'grant_add'>> {
    const r = await this.request('grant_add', payload);
    this.log.info(`grant ${r.grant.grantId}: ${r.grant.actions.join(',')} for ${r.grant.scope} ${r.grant.repoName ?? r.grant.repoId ?? r.grant.taskId ?? ''} until ${r.grant.expiresAt}`);
    return r;
  }

  async grantRevoke(grantId: string): Promise<CommandResult<'grant_revoke'>> {
    const r = await this.request('grant_revoke', { grantId });
    this.log.info(`grant ${grantId} revoked${r.changed ? '' : ' (already)'}`);
    return r;
  }

  audit(taskId: string): Promise<CommandResult<'audit_get'>> {
    return this.request('audit_get', { taskId, limit: 1000 });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.connection.dispose();
    this.historyListeners.clear();
    this.transientListeners.clear();
    this.resetListeners.clear();
  }
}
