/**
 * Entry point. activate() stays cheap (< 50 ms budget): it builds the surfaces, registers commands and
 * views, and connects only when an orchestrator is configured or found on this machine.
 * Every disposable goes into context.subscriptions here, in one place.
 */
import * as vscode from 'vscode';
import { ApprovalNotifier, useMessageEditor } from './approvals';
import { AuditDocuments } from './audit';
import { ChatPanel } from './chatPanel';
import { registerCommands } from './commands';
import { affectsConnection, readConfig } from './config';
import { ApprovalMessageEditor } from './messageEditor';
import { Session } from './session';
import { StatusBarMonitor } from './statusBar';
import { InlineReview } from './review/inlineView';
import { registerDeliveryCommands } from './review/deliveryCommands';
import { MergeEditorService } from './review/mergeEditor';
import { registerReviewCommands } from './review/reviewCommands';
import { ReviewService } from './review/reviewService';
import { ReviewTreeProvider } from './review/reviewTree';
import { ApprovalsTreeProvider } from './views/approvalsTree';
import { GrantsTreeProvider } from './views/grantsTree';
import { TasksTreeProvider } from './views/tasksTree';

let activationMs = -1;

export function activate(context: vscode.ExtensionContext): void {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('PushPals', { log: true });
  const session = new Session(context, log);
  const status = new StatusBarMonitor(session);
  const audit = new AuditDocuments();
  const tasks = new TasksTreeProvider(session);
  const approvals = new ApprovalsTreeProvider(session);
  const grants = new GrantsTreeProvider(session);
  const approvalsView = vscode.window.createTreeView('pushpals.approvals', { treeDataProvider: approvals, canSelectMany: true });
  const reviews = new ReviewService(session);
  const inline = new InlineReview(reviews);
  const merges = new MergeEditorService(log);
  const reviewTree = new ReviewTreeProvider(reviews, merges);
  const chat = new ChatPanel(context, session, {
    decide: (approvalId, decision) => vscode.commands.executeCommand(decision === 'approve' ? 'pushpals.approve' : 'pushpals.deny', approvalId),
    newTask: (request) => vscode.commands.executeCommand('pushpals.newTask', request),
    cancel: (taskId) => vscode.commands.executeCommand('pushpals.cancelTask', taskId),
    pause: (taskId) => vscode.commands.executeCommand('pushpals.pauseTask', taskId),
    resume: (taskId) => vscode.commands.executeCommand('pushpals.resumeTask', taskId),
    audit: (taskId) => vscode.commands.executeCommand('pushpals.showAuditTrail', taskId),
    review: (taskId) => vscode.commands.executeCommand('pushpals.reviewChanges', { taskId }),
    push: (taskId) => vscode.commands.executeCommand('pushpals.pushTask', { taskId }),
    pullRequest: (taskId) => vscode.commands.executeCommand('pushpals.openPullRequest', { taskId }),
    connect: () => vscode.commands.executeCommand('pushpals.connect'),
  });
  const notifier = new ApprovalNotifier(session, () => readConfig().approvalNotifications);
  const messageEditor = new ApprovalMessageEditor(session);

  context.subscriptions.push(
    log,
    session,
    status,
    audit,
    tasks,
    approvals,
    grants,
    approvalsView,
    chat,
    notifier,
    messageEditor,
    useMessageEditor(messageEditor),
    reviews,
    inline,
    merges,
    reviewTree,
    vscode.window.createTreeView('pushpals.tasks', { treeDataProvider: tasks, showCollapseAll: true }),
    vscode.window.createTreeView('pushpals.grants', { treeDataProvider: grants }),
    vscode.window.createTreeView('pushpals.review', { treeDataProvider: reviewTree, showCollapseAll: true }),
    ...registerCommands({ session, chat, status, audit, activationMs: () => activationMs, approvalsView: () => approvals.getChildren(), approvalsSelection: () => approvalsView.selection, grantsView: () => grants.getChildren(), notifications: () => notifier.history }),
    ...registerReviewCommands(session, reviews, inline, merges),
    ...registerDeliveryCommands(session),
    new vscode.Disposable(
      session.connection.onStatus((s) => {
        void vscode.commands.executeCommand('setContext', 'pushpals.connected', s.state === 'connected');
        if (s.state !== 'idle') status.show();
        if (s.state === 'failed') void explainFailure(session, s.fatal, s.detail ?? 'connection failed');
      }).dispose,
    ),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsConnection(e)) return;
      session.reloadConfig();
      if (session.isStarted || readConfig().autoConnect) void session.isConfigured().then((ok) => ok && session.restart());
    }),
  );

  const cfg = readConfig();
  if (cfg.autoConnect) {
    void session.isConfigured().then((ok) => {
      if (ok) {
        log.info(`orchestrator configured (${cfg.serverUrl || `data dir ${cfg.dataDir}`}): connecting`);
        status.show();
        session.start();
      } else {
        log.info(`no orchestrator configured or found in ${cfg.dataDir}: idle until "PushPals: Connect…"`);
      }
    });
  }
  activationMs = performance.now() - t0;
  log.info(`activated in ${activationMs.toFixed(1)} ms`);
}

async function explainFailure(session: Session, kind: string | undefined, detail: string): Promise<void> {
  const fix =
    kind === 'auth'
      ? 'Fix: run `pushpals token` on the orchestrator\'s machine and paste the token into "PushPals: Connect…".'
      : kind === 'version'
        ? 'Fix: install the PushPals extension (.vsix) built from the same release as the orchestrator, or update the orchestrator.'
        : 'Fix: check the "pushpals.serverUrl" setting, or run "PushPals: Connect…".';
  const choice = await vscode.window.showErrorMessage(`PushPals: ${detail}. ${fix}`, 'Connect…', 'Show Log');
  if (choice === 'Connect…') void vscode.commands.executeCommand('pushpals.connect');
  else if (choice === 'Show Log') session.log.show();
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
