/**
 * The Approvals view — the one inbox of every live pending approval across tasks and agents (not those
 * of a failed or cancelled task), with inline Approve/Deny (the same commands). Each row says the
 * task (and the plan, when the task is a ticket of one), the kind, the risk and what exactly will
 * happen. Several rows can be selected and decided at once (Approve/Deny Selected: one approval_decide
 * each), or every pending approval of one kind (Approve/Deny All of This Kind).
 */
import * as vscode from 'vscode';
import type { ApprovalView } from '@pushpals/protocol/client';
import type { Session } from '../session';

/** `task "T"` or `ticket "T" of plan "P"`: where an approval comes from. */
export function approvalOrigin(session: Session, a: ApprovalView): string {
  const { task, plan } = session.store.contextOf(a);
  if (!task) return `task ${a.taskId}`;
  return plan ? `ticket "${task.title}" of plan "${plan.title}"` : `task "${task.title}"`;
}

export class ApprovalsTreeProvider implements vscode.TreeDataProvider<ApprovalView>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: { dispose(): void };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly session: Session) {
    this.sub = session.store.onChange((changes) => {
      if (changes.some((c) => c.kind === 'approval' || c.kind === 'reset')) this.changed.fire(undefined);
      // A task that failed or was cancelled takes its approvals out of the inbox; titles change too.
      else if (changes.some((c) => c.kind === 'task') && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.changed.fire(undefined);
        }, 50);
      }
    });
  }

  getChildren(node?: ApprovalView): ApprovalView[] {
    return node ? [] : this.session.store.pendingApprovals();
  }

  /** The row's one-line description: kind, risk, origin, what will happen. */
  describe(a: ApprovalView): string {
    return `${a.kind} · risk ${a.risk} · ${approvalOrigin(this.session, a)} — ${a.reason.length > 140 ? `${a.reason.slice(0, 139)}…` : a.reason}`;
  }

  getTreeItem(a: ApprovalView): vscode.TreeItem {
    const item = new vscode.TreeItem(a.title, vscode.TreeItemCollapsibleState.None);
    item.id = `approval:${a.approvalId}`;
    const origin = approvalOrigin(this.session, a);
    // Task, risk and what exactly will happen, at a glance (the tooltip has the command or diff).
    item.description = this.describe(a);
    item.iconPath = new vscode.ThemeIcon(a.risk === 'high' ? 'warning' : 'shield', new vscode.ThemeColor(a.risk === 'high' ? 'list.errorForeground' : 'list.warningForeground'));
    item.contextValue = 'approval';
    const detail = a.command ? `\`\`\`sh\n${a.command}\n\`\`\`` : a.patch ? `\`\`\`diff\n${a.patch.slice(0, 6000)}\n\`\`\`` : '';
    const message = a.pullRequest
      ? `Pull request${a.pullRequest.number ? ` #${a.pullRequest.number} (updated)` : ''}, title and body editable when you approve:\n\n**${a.pullRequest.title}**\n\n${a.pullRequest.body.slice(0, 6000)}\n\n`
      : a.message ? `${a.kind === 'commit' ? 'Commit message (editable when you approve)' : 'Message'}:\n\n\`\`\`text\n${a.message}\n\`\`\`\n\n` : '';
    const expires = a.expiresAt ? `\n\nExpires ${a.expiresAt} (then it counts as denied).` : '';
    item.tooltip = new vscode.MarkdownString(`**${a.title}** (${a.kind}, risk ${a.risk}, ${origin})\n\n${a.reason}${expires}\n\n${message}${detail}`);
    item.command = { command: 'pushpals.showChat', title: 'Show in Chat', arguments: [{ taskId: a.taskId }] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.sub.dispose();
    this.changed.dispose();
  }
}
