/**
 * One PushPals session in this window: the connection, the reduced state (`store`), the event history the chat
 * shows, and the actions every UI surface (commands, tree views, notifications, webview) calls.
 */
import * as vscode from 'vscode';
import { newId, type CommandPayload, type CommandResult, type CommandType, type EventMessage } from '@pushpals/protocol/client';
import { readConfig, type PushPalsConfig } from './config';
import { Connection, CommandError, type ConnStatus } from './connection';
import { normaliseServerUrl, readServerInfo, readTokenFile, type Endpoint } from './discovery';
import { StateStore } from './stateStore';

export const TOKEN_KEY_PREFIX = 'pushpals.token:';
export const tokenKey = (url: string): string => `${TOKEN_KEY_PREFIX}${normaliseServerUrl(url)}`;

export type Decision = 'approve' | 'deny';

export class Session implements vscode.Disposable {
  readonly store = new StateStore();
  /** Every event delivered so far, in seq order, each once: the chat's history. */
  readonly history: EventMessage[] = [];
  readonly connection: Connection;
  private readonly historyListeners = new Set<(events: EventMessage[]) => void>();
  private readonly resetListeners = new Set<() => void>();
  private readonly disposables: vscode.Disposable[] = [];
  private repoId: string | undefined;
  private repoRegistered = false;
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
    this.disposables.push(
      this.connection.onEvent((e) => this.onEvent(e)),
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
        this.repoId = undefined;
        this.repoRegistered = false;
        this.handleReset();
      }
      this.endpointKey = key;
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
    if (s.state === 'connected' && !this.repoRegistered) void this.registerRepo();
  }

  private async registerRepo(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!this.config.registerWorkspaceRepo || !folder || folder.uri.scheme !== 'file') return;
    this.repoRegistered = true;
    try {
      const r = await this.request('repo_add', { source: folder.uri.fsPath, name: folder.name });
      this.repoId = r.repoId;
      this.log.info(`workspace folder ${folder.uri.fsPath} registered as repo ${r.repoId}`);
    } catch (e) {
      const details = e instanceof CommandError ? e.info.details : undefined;
      if (details && typeof details.repoId === 'string') {
        this.repoId = details.repoId;
        this.log.info(`workspace folder already registered as repo ${details.repoId}`);
      } else {
        this.repoRegistered = false;
        this.log.warn(`could not register the workspace folder with the orchestrator: ${(e as Error).message}`);
      }
    }
  }

  get currentRepoId(): string | undefined {
    return this.repoId;
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

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pendingFlush;
    this.pendingFlush = [];
    if (!batch.length) return;
    for (const l of [...this.historyListeners]) l(batch);
  }

  // ---- Actions: every surface calls these ----

  async newTask(request: string, context?: CommandPayload<'task_new'>['context']): Promise<CommandResult<'task_new'>> {
    if (!this.repoId && this.connection.isReady) await this.registerRepo();
    const payload: CommandPayload<'task_new'> = { request, ...(this.repoId ? { repoId: this.repoId } : {}), ...(context ? { context } : {}) };
    const r = await this.request('task_new', payload);
    this.log.info(`task ${r.taskId} created (${r.state}): ${request.slice(0, 200)}`);
    return r;
  }

  chat(text: string): Promise<CommandResult<'chat_send'>> {
    return this.request('chat_send', { text });
  }

  async decide(approvalId: string, decision: Decision, message?: string): Promise<CommandResult<'approval_decide'>> {
    const r = await this.request('approval_decide', { approvalId, decision, ...(message !== undefined ? { message } : {}) });
    this.log.info(`approval ${approvalId}: ${decision} → ${r.state}`);
    return r;
  }

  cancel(taskId: string): Promise<CommandResult<'task_cancel'>> {
    return this.request('task_cancel', { taskId, reason: 'cancelled from VS Code' });
  }

  audit(taskId: string): Promise<CommandResult<'audit_get'>> {
    return this.request('audit_get', { taskId, limit: 1000 });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.connection.dispose();
    this.historyListeners.clear();
    this.resetListeners.clear();
  }
}
