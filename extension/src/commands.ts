/** Every command of the extension, registered in one place. */
import * as vscode from 'vscode';
import { isActive, type TaskView } from '@pushpals/protocol/client';
import { decideAllOfKind, decideApproval, decideMany } from './approvals';
import { type AuditDocuments, renderAudit } from './audit';
import type { ChatPanel } from './chatPanel';
import { SECTION } from './config';
import { normaliseServerUrl, parsePairing } from './discovery';
import { grantAutoCommit, revokeGrant } from './grants';
import type { Session } from './session';
import type { StatusBarMonitor } from './statusBar';

export interface Surfaces {
  session: Session;
  chat: ChatPanel;
  status: StatusBarMonitor;
  audit: AuditDocuments;
  activationMs: () => number;
  /** What the Approvals view lists right now (its tree provider's root children). */
  approvalsView?: () => { approvalId: string }[];
  /** The rows selected in the Approvals view (Approve/Deny Selected). */
  approvalsSelection?: () => readonly { approvalId: string }[];
  /** What the Grants view lists right now. */
  grantsView?: () => { grantId: string }[];
  /** The approvals notified in this window so far (tests: no stale toast at start). */
  notifications?: () => readonly string[];
}

function taskIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as { taskId?: unknown; task?: { taskId?: unknown } };
    if (typeof o.taskId === 'string') return o.taskId;
    if (o.task && typeof o.task.taskId === 'string') return o.task.taskId;
  }
  return undefined;
}

const STATE_ICON: Record<TaskView['state'], string> = {
  queued: '$(clock)', running: '$(sync~spin)', awaiting_approval: '$(bell-dot)', completed: '$(pass)', failed: '$(error)', cancelled: '$(circle-slash)',
};

async function pickTask(session: Session, title: string, filter: (t: TaskView) => boolean = () => true): Promise<TaskView | undefined> {
  const tasks = session.store.taskList().filter(filter);
  if (!tasks.length) {
    void vscode.window.showInformationMessage('PushPals: no matching tasks.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    tasks.map((t) => ({ label: `${STATE_ICON[t.state]} ${t.title}`, description: t.state.replace('_', ' '), detail: t.progress ?? t.summary ?? t.error?.message ?? t.request, task: t })),
    { title, matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.task;
}

/** Starts the connection if needed and waits (a little) until it is ready. */
export async function ensureConnected(session: Session, timeoutMs = 10000): Promise<boolean> {
  if (session.connection.isReady) return true;
  if (!session.isStarted || session.status.state === 'failed' || session.status.state === 'idle') session.restart();
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(session.connection.isReady);
    }, timeoutMs);
    const sub = session.connection.onStatus((s) => {
      if (s.state === 'connected' || s.state === 'failed') {
        clearTimeout(timer);
        sub.dispose();
        resolve(s.state === 'connected');
      }
    });
  });
  if (!ok && session.status.state !== 'failed') {
    const choice = await vscode.window.showErrorMessage(`PushPals: not connected to an orchestrator (${session.status.detail ?? session.status.state}).`, 'Connect…', 'Show Log');
    if (choice === 'Connect…') void vscode.commands.executeCommand('pushpals.connect');
    if (choice === 'Show Log') session.log.show();
  }
  return ok;
}

function editorContext(): { file?: string; selection?: string; language?: string } | undefined {
  const ed = vscode.window.activeTextEditor;
  if (!ed || ed.document.uri.scheme === 'pushpals-audit') return undefined;
  const sel = ed.selection.isEmpty ? undefined : ed.document.getText(ed.selection).slice(0, 65536);
  return { file: vscode.workspace.asRelativePath(ed.document.uri, false), language: ed.document.languageId, ...(sel ? { selection: sel } : {}) };
}

export function registerCommands(s: Surfaces): vscode.Disposable[] {
  const { session, chat } = s;
  const reg = (id: string, fn: (...args: unknown[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(id, fn);

  async function newTask(arg: unknown, fromSelection: boolean): Promise<string | undefined> {
    let request = typeof arg === 'string' ? arg : typeof arg === 'object' && arg !== null && typeof (arg as { request?: unknown }).request === 'string' ? (arg as { request: string }).request : undefined;
    const ctx = editorContext();
    if (request === undefined) {
      request = await vscode.window.showInputBox({
        title: 'PushPals: New Task',
        prompt: ctx ? `What should PushPals do? Context: ${ctx.file}${ctx.selection ? ` (selection, ${ctx.selection.split('\n').length} line(s))` : ''}` : 'What should PushPals do?',
        placeHolder: fromSelection ? 'e.g. Explain this code, or add tests for it' : 'e.g. Run git status on this repo',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Describe the task'),
      });
    }
    if (!request?.trim()) return undefined;
    if (!(await ensureConnected(session))) return undefined;
    try {
      const useCtx = fromSelection || ctx?.selection !== undefined ? ctx : ctx ? { file: ctx.file ?? '', ...(ctx.language ? { language: ctx.language } : {}) } : undefined;
      const r = await session.newTask(request.trim(), useCtx);
      chat.show(r.taskId);
      return r.taskId;
    } catch (e) {
      void vscode.window.showErrorMessage(`PushPals: could not create the task — ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Pause / Resume (tree context menu, the chat card, the palette): task_pause / task_resume. */
  async function pauseOrResume(arg: unknown, paused: boolean): Promise<unknown> {
    const verb = paused ? 'Pause' : 'Resume';
    const taskId = taskIdOf(arg) ?? (await pickTask(session, `PushPals: ${verb} which task?`, (t) => isActive(t.state) && (t.paused === true) !== paused))?.taskId;
    if (!taskId) return undefined;
    try {
      return await session.setPaused(taskId, paused);
    } catch (e) {
      void vscode.window.showErrorMessage(`PushPals: could not ${verb.toLowerCase()} — ${(e as Error).message}`);
      return undefined;
    }
  }

  async function connect(arg: unknown): Promise<boolean> {
    const given = typeof arg === 'object' && arg !== null ? (arg as { url?: unknown; token?: unknown }) : {};
    const cfg = vscode.workspace.getConfiguration(SECTION);
    let url: string | undefined = typeof given.url === 'string' ? given.url : undefined;
    let token: string | undefined = typeof given.token === 'string' ? given.token : undefined;
    if (url === undefined && token === undefined) {
      const input = await vscode.window.showInputBox({
        title: 'PushPals: Connect (1/2) — orchestrator URL',
        prompt: 'The orchestrator URL (e.g. http://127.0.0.1:7420), or paste what `pushpals token` printed. Leave empty to use the orchestrator on this machine (its data dir).',
        value: cfg.get<string>('serverUrl', ''),
        ignoreFocusOut: true,
        validateInput: (v) => {
          if (!v.trim()) return undefined;
          try {
            parsePairing(v);
            return undefined;
          } catch {
            return 'Not a URL';
          }
        },
      });
      if (input === undefined) return false;
      const p = parsePairing(input);
      url = p.url ?? (input.trim() && !p.token ? input.trim() : '');
      token = p.token;
      if (url && !token) {
        token = await vscode.window.showInputBox({
          title: 'PushPals: Connect (2/2) — token',
          prompt: `Token for ${url} (run \`pushpals token\` on the orchestrator's machine). Stored in VS Code's SecretStorage, never in settings.`,
          password: true,
          ignoreFocusOut: true,
        });
        if (token === undefined) return false;
      }
    }
    const normalised = url ? normaliseServerUrl(url) : '';
    await cfg.update('serverUrl', normalised, vscode.ConfigurationTarget.Global);
    if (normalised && token?.trim()) await session.storeToken(normalised, token.trim());
    session.restart();
    return ensureConnected(session, 15000);
  }

  return [
    reg('pushpals.newTask', (arg) => newTask(arg, false)),
    reg('pushpals.newTaskFromSelection', (arg) => newTask(arg, true)),
    reg('pushpals.showChat', (arg) => {
      chat.show(taskIdOf(arg));
      if (!session.isStarted) void session.isConfigured().then((c) => c && session.start());
    }),
    reg('pushpals.connect', (arg) => connect(arg)),
    reg('pushpals.disconnect', () => session.stop()),
    reg('pushpals.approve', (arg, selected) => decideMany(session, arg, selected, 'approve')),
    reg('pushpals.deny', (arg, selected) => decideMany(session, arg, selected, 'deny')),
    // The view's title buttons: the selected rows (arg: ids, for tests and scripts), one approval_decide each.
    ...(['approve', 'deny'] as const).map((d) =>
      reg(d === 'approve' ? 'pushpals.approveSelected' : 'pushpals.denySelected', (arg) => {
        const selected = Array.isArray(arg) ? arg : [...(s.approvalsSelection?.() ?? [])];
        return selected.length > 1 ? decideMany(session, selected[0], selected, d) : decideApproval(session, selected[0], d);
      }),
    ),
    reg('pushpals.approveAllOfKind', (arg) => decideAllOfKind(session, arg, 'approve')),
    reg('pushpals.denyAllOfKind', (arg) => decideAllOfKind(session, arg, 'deny')),
    reg('pushpals.cancelTask', async (arg) => {
      const taskId = taskIdOf(arg) ?? (await pickTask(session, 'PushPals: Cancel which task?', (t) => isActive(t.state)))?.taskId;
      if (!taskId) return undefined;
      try {
        return await session.cancel(taskId);
      } catch (e) {
        void vscode.window.showErrorMessage(`PushPals: could not cancel — ${(e as Error).message}`);
        return undefined;
      }
    }),
    reg('pushpals.pauseTask', (arg) => pauseOrResume(arg, true)),
    reg('pushpals.resumeTask', (arg) => pauseOrResume(arg, false)),
    reg('pushpals.showAuditTrail', async (arg) => {
      const taskId = taskIdOf(arg) ?? (await pickTask(session, 'PushPals: Audit trail of which task?'))?.taskId;
      if (!taskId) return undefined;
      try {
        const r = await session.audit(taskId);
        const title = session.store.tasks.get(taskId)?.title ?? taskId;
        await s.audit.open(taskId, renderAudit(taskId, title, r.entries));
        return r.entries.length;
      } catch (e) {
        void vscode.window.showErrorMessage(`PushPals: could not load the audit trail — ${(e as Error).message}`);
        return undefined;
      }
    }),
    reg('pushpals.showTasks', async () => {
      if (session.status.state === 'idle' || session.status.state === 'failed') return vscode.commands.executeCommand('pushpals.connect');
      const t = await pickTask(session, 'PushPals: tasks');
      if (t) chat.show(t.taskId);
      return t?.taskId;
    }),
    reg('pushpals.chooseRepository', async () => {
      if (!(await ensureConnected(session))) return undefined;
      try {
        const b = await session.repos.choose();
        if (b) void vscode.window.showInformationMessage(`PushPals: new tasks go to repository ${b.name}.`);
        return b?.repoId;
      } catch (e) {
        void vscode.window.showErrorMessage(`PushPals: ${(e as Error).message}`);
        return undefined;
      }
    }),
    reg('pushpals.grantAutoCommit', async (arg) => ((await ensureConnected(session)) ? grantAutoCommit(session, arg) : undefined)),
    reg('pushpals.revokeGrant', (arg) => revokeGrant(session, arg)),
    reg('pushpals.showLog', () => session.log.show()),
    // Internal: what the chat box does (tests, scripts).
    reg('pushpals._chat', (text) => (typeof text === 'string' ? session.chat(text) : undefined)),
    // Internal: a snapshot for the tests and benchmarks (hidden from the palette).
    reg('pushpals._debugInfo', (arg) => JSON.parse(JSON.stringify({
      ...(typeof arg === 'object' && arg !== null && (arg as { seqs?: unknown }).seqs ? { seqs: session.history.map((e) => e.seq) } : {}),
      activationMs: s.activationMs(),
      memory: process.memoryUsage(),
      status: session.status,
      statusBar: s.status.view,
      statusBarText: s.status.item.text,
      statusBarHistory: s.status.history,
      counts: session.store.counts(),
      history: session.history.length,
      lastSeq: session.connection.lastSeq,
      stats: session.connection.stats,
      pendingApprovals: session.store.pendingApprovals().map((a) => a.approvalId),
      approvals: [...session.store.approvals.values()].map((a) => ({ approvalId: a.approvalId, taskId: a.taskId, status: a.status, by: a.by })),
      approvalsView: s.approvalsView?.().map((a) => a.approvalId) ?? [],
      grants: [...session.store.grants.values()],
      grantsView: s.grantsView?.().map((g) => g.grantId) ?? [],
      notifiedApprovals: s.notifications?.() ?? [],
      tasks: session.store.taskList().map((t) => ({ taskId: t.taskId, title: t.title, state: t.state, ...(t.repoId ? { repoId: t.repoId } : {}), ...(t.base ? { base: t.base } : {}) })),
      repo: session.repos.bound,
      chatOpen: chat.isOpen,
      chatReady: chat.isReady,
      webviewMetrics: chat.metrics,
    })) as unknown),
  ];
}
