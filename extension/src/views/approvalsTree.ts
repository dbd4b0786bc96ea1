/**
 * The Approvals view — the one inbox of every pending approval across tasks, with inline Approve/Deny
 * (the same commands). Several rows of one kind can be selected and decided at once.
 */
import * as vscode from 'vscode';
import type { ApprovalView } from '@pushpals/protocol/client';
import type { Session } from '../session';

export class ApprovalsTreeProvider implements vscode.TreeDataProvider<ApprovalView>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: { dispose(): void };

  constructor(private readonly session: Session) {
    this.sub = session.store.onChange((changes) => {
      if (changes.some((c) => c.kind === 'approval' || c.kind === 'reset')) this.changed.fire(undefined);
    });
  }

  getChildren(node?: ApprovalView): ApprovalView[] {
    return node ? [] : this.session.store.pendingApprovals();
  }

  getTreeItem(a: ApprovalView): vscode.TreeItem {
    const item = new vscode.TreeItem(a.title, vscode.TreeItemCollapsibleState.None);
    item.id = `approval:${a.approvalId}`;
    const task = this.session.store.tasks.get(a.taskId);
    // Task, risk and what exactly will happen, at a glance (the tooltip has the command or diff).
    item.description = `${a.kind} · risk ${a.risk}${task ? ` · ${task.title}` : ''} — ${a.reason.length > 140 ? `${a.reason.slice(0, 139)}…` : a.reason}`;
    item.iconPath = new vscode.ThemeIcon(a.risk === 'high' ? 'warning' : 'shield', new vscode.ThemeColor(a.risk === 'high' ? 'list.errorForeground' : 'list.warningForeground'));
    item.contextValue = 'approval';
    const detail = a.command ? `\`\`\`sh\n${a.command}\n\`\`\`` : a.patch ? `\`\`\`diff\n${a.patch.slice(0, 6000)}\n\`\`\`` : '';
    const message = a.message ? `Commit message (editable when you approve):\n\n\`\`\`text\n${a.message}\n\`\`\`\n\n` : '';
    item.tooltip = new vscode.MarkdownString(`**${a.title}** (${a.kind}, risk ${a.risk}${task ? `, task "${task.title}"` : ''})\n\n${a.reason}\n\n${message}${detail}`);
    item.command = { command: 'pushpals.showChat', title: 'Show in Chat', arguments: [{ taskId: a.taskId }] };
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
