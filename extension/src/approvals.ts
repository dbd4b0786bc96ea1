/**
 * Approvals: one decision path for every surface. The notification buttons, the Approvals view's
 * inline actions, the chat's buttons and the palette commands all run `pushpals.approve` /
 * `pushpals.deny`, which call decideApproval(). The resulting `approved`/`denied` event updates the
 * store, which refreshes the view, the chat, the status bar and the `pushpals.pendingApprovals` key.
 */
import * as vscode from 'vscode';
import type { Session, Decision } from './session';
import type { ApprovalView } from '@pushpals/protocol/client';

/** What the approve/deny commands accept: an id, a tree element, or `{approvalId}`. */
export type ApprovalArg = string | { approvalId: string } | undefined;

export function approvalIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { approvalId?: unknown }).approvalId === 'string') return (arg as { approvalId: string }).approvalId;
  return undefined;
}

export interface DecisionOutcome {
  approvalId: string;
  decision: Decision;
  state: 'approved' | 'denied' | 'expired' | 'already-decided' | 'cancelled';
}

async function pickApproval(session: Session, decision: Decision): Promise<ApprovalView | undefined> {
  const pending = session.store.pendingApprovals();
  if (pending.length === 0) {
    void vscode.window.showInformationMessage('PushPals: nothing waits for approval.');
    return undefined;
  }
  if (pending.length === 1) return pending[0];
  const pick = await vscode.window.showQuickPick(
    pending.map((a) => ({ label: a.title, description: `${a.kind} · risk ${a.risk}`, detail: a.command ?? a.reason, approval: a })),
    { title: `PushPals: ${decision === 'approve' ? 'Approve' : 'Deny'} which action?`, matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.approval;
}

/** The single implementation behind every Approve/Deny button. */
export async function decideApproval(session: Session, arg: unknown, decision: Decision): Promise<DecisionOutcome | undefined> {
  let approvalId = approvalIdOf(arg);
  if (!approvalId) approvalId = (await pickApproval(session, decision))?.approvalId;
  if (!approvalId) return undefined;
  const local = session.store.approvals.get(approvalId);
  if (local?.status === 'expired') {
    expiredMessage(local.title);
    return { approvalId, decision, state: 'expired' };
  }
  if (local && local.status !== 'pending') {
    void vscode.window.showInformationMessage(`PushPals: "${local.title}" was already ${local.status}${local.by ? ` by ${local.by}` : ''}.`);
    return { approvalId, decision, state: 'already-decided' };
  }
  try {
    const r = await session.decide(approvalId, decision);
    // It timed out before our decision reached the orchestrator (the `denied`/expired event follows).
    if (r.state === 'expired') expiredMessage(local?.title ?? approvalId);
    return { approvalId, decision, state: r.state };
  } catch (e) {
    void vscode.window.showErrorMessage(`PushPals: could not ${decision} — ${(e as Error).message}`);
    throw e;
  }
}

function expiredMessage(title: string): void {
  void vscode.window.showWarningMessage(`PushPals: "${title}" expired before a decision: the action was not run. Ask again with a new task if it is still wanted.`);
}

/** Shows a notification (Approve / Deny / Show) once per pending approval. */
export class ApprovalNotifier implements vscode.Disposable {
  private readonly shown = new Set<string>();
  private readonly sub: { dispose(): void };

  constructor(private readonly session: Session, private readonly enabled: () => boolean) {
    this.sub = session.store.onChange((changes) => {
      for (const c of changes) {
        if (c.kind === 'reset') this.shown.clear();
        if (c.kind !== 'approval') continue;
        const a = c.approval;
        if (a.status === 'pending' && !this.shown.has(a.approvalId)) this.notify(a);
      }
      void vscode.commands.executeCommand('setContext', 'pushpals.pendingApprovals', session.store.pendingApprovals().length > 0);
    });
  }

  private notify(a: ApprovalView): void {
    this.shown.add(a.approvalId);
    if (!this.enabled()) return;
    const task = this.session.store.tasks.get(a.taskId);
    const what = a.command ? `: ${a.command.length > 120 ? `${a.command.slice(0, 117)}…` : a.command}` : '';
    const msg = `PushPals approval required — ${a.title}${what} (${a.kind}, risk ${a.risk}${task && task.title !== a.title ? `, task "${task.title}"` : ''})`;
    const show = a.risk === 'high' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(msg, 'Approve', 'Deny', 'Show').then((choice) => {
      if (choice === 'Approve') void vscode.commands.executeCommand('pushpals.approve', a.approvalId);
      else if (choice === 'Deny') void vscode.commands.executeCommand('pushpals.deny', a.approvalId);
      else if (choice === 'Show') void vscode.commands.executeCommand('pushpals.showChat', { taskId: a.taskId });
    });
  }

  dispose(): void {
    this.sub.dispose();
  }
}
