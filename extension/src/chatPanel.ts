/**
 * Hosts the chat webview (webview-ui bundle in media/): strict CSP with a nonce, no unsafe-eval;
 * a ready handshake (the webview asks, the host answers with the whole history and the replies being
 * written once, then streams new events and reply pieces); survives hide/restore (history re-sent on ready, UI state via setState) and window
 * reloads (WebviewPanelSerializer).
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Session } from './session';
import { isWebviewToHost, type ConnectionView, type HostToWebview, type WebviewToHost } from './webviewContract';

export const CHAT_VIEW_TYPE = 'pushpals.chat';

export interface WebviewMetrics {
  [name: string]: { ms: number; detail?: Record<string, number>; at: number };
}

export class ChatPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private readonly subs: vscode.Disposable[] = [];
  private panelSubs: vscode.Disposable[] = [];
  readonly metrics: WebviewMetrics = {};
  private pendingFocus: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly session: Session,
    private readonly actions: { decide(approvalId: string, decision: 'approve' | 'deny'): Thenable<unknown>; newTask(request: string): Thenable<unknown>; audit(taskId: string): Thenable<unknown>; review(taskId: string): Thenable<unknown>; push(taskId: string): Thenable<unknown>; pullRequest(taskId: string): Thenable<unknown>; cancel(taskId: string): Thenable<unknown>; pause(taskId: string): Thenable<unknown>; resume(taskId: string): Thenable<unknown>; connect(): Thenable<unknown> },
  ) {
    this.subs.push(
      session.onHistory((events) => this.post({ type: 'events', events })),
      session.onTransient((message) => this.post({ type: 'transient', message })),
      session.onDidReset(() => this.post({ type: 'reset' })),
      new vscode.Disposable(session.connection.onStatus(() => this.post({ type: 'connection', connection: this.connectionView() })).dispose),
      vscode.window.registerWebviewPanelSerializer(CHAT_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this.adopt(panel);
        },
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }
  get isReady(): boolean {
    return this.ready;
  }

  show(focusTaskId?: string): void {
    if (focusTaskId) this.pendingFocus = focusTaskId;
    if (this.panel) {
      this.panel.reveal(undefined, false);
      this.flushFocus();
      return;
    }
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    const panel = vscode.window.createWebviewPanel(CHAT_VIEW_TYPE, 'PushPals Chat', { viewColumn: column, preserveFocus: false }, this.options());
    this.adopt(panel);
  }

  private options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, enableFindWidget: true, localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'media')] };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    this.ready = false;
    panel.iconPath = vscode.Uri.joinPath(this.context.extensionUri, 'media', 'pushpals.svg');
    panel.webview.options = this.options();
    panel.webview.html = this.html(panel.webview);
    this.panelSubs = [
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      // A hidden webview is torn down (no retainContextWhenHidden: cheaper); when it comes back it
      // sends `ready` again and gets the history again.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const s of this.panelSubs) s.dispose();
        this.panelSubs = [];
      }),
    ];
  }

  private connectionView(): ConnectionView {
    const s = this.session.status;
    return { state: s.state, ...(s.detail ? { detail: s.detail } : {}), ...(s.url ? { url: s.url } : {}) };
  }

  private post(m: HostToWebview): void {
    if (!this.panel || !this.ready) return; // `init` on the next ready covers what we skip
    void this.panel.webview.postMessage(m);
  }

  private flushFocus(): void {
    if (this.pendingFocus && this.ready) {
      this.post({ type: 'focusTask', taskId: this.pendingFocus });
      this.pendingFocus = undefined;
    }
  }

  private onMessage(raw: unknown): void {
    if (!isWebviewToHost(raw)) {
      this.session.log.warn(`chat webview sent an invalid message: ${JSON.stringify(raw).slice(0, 200)}`);
      return;
    }
    const m: WebviewToHost = raw;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        void this.panel?.webview.postMessage({ type: 'init', events: this.session.history, drafts: this.session.store.drafts(), connection: this.connectionView(), sessionId: this.session.connection.sessionId } satisfies HostToWebview);
        this.flushFocus();
        return;
      case 'chat':
        return this.answer(m.requestId, this.session.chat(m.text));
      case 'newTask':
        return this.answer(m.requestId, this.actions.newTask(m.request));
      case 'decide':
        return this.answer(m.requestId, this.actions.decide(m.approvalId, m.decision));
      case 'cancel':
        return this.answer(m.requestId, this.actions.cancel(m.taskId));
      case 'pause':
        return this.answer(m.requestId, this.actions.pause(m.taskId));
      case 'resume':
        return this.answer(m.requestId, this.actions.resume(m.taskId));
      case 'review':
        void this.actions.review(m.taskId);
        break;
      case 'audit':
        void this.actions.audit(m.taskId);
        return;
      case 'push':
        void this.actions.push(m.taskId);
        return;
      case 'pullRequest':
        void this.actions.pullRequest(m.taskId);
        return;
      case 'connect':
        void this.actions.connect();
        return;
      case 'metrics':
        this.metrics[m.name] = { ms: m.ms, at: Date.now(), ...(m.detail ? { detail: m.detail } : {}) };
        this.session.log.info(`webview ${m.name}: ${m.ms.toFixed(1)} ms ${m.detail ? JSON.stringify(m.detail) : ''}`);
        return;
    }
  }

  private answer(requestId: string, p: Thenable<unknown>): void {
    Promise.resolve(p).then(
      () => this.post({ type: 'result', requestId, ok: true }),
      (e: unknown) => this.post({ type: 'result', requestId, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const media = (f: string): string => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'media', f)).toString();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `style-src ${webview.cspSource} 'nonce-${nonce}'`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${media('chat.css')}" nonce="${nonce}">
<title>PushPals Chat</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${media('chat.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.panel?.dispose();
  }
}
