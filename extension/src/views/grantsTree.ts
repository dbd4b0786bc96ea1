/**
 * The Grants view: the active auto-commit grants (from `grant_added`/`grant_revoked`, folded by the
 * shared reducer), each with what it lets through, for which repository or task, and how long it has
 * left; an inline Revoke. Refreshed on changes and once a minute (a grant's expiry is the clock's).
 */
import * as vscode from 'vscode';
import type { GrantView } from '@pushpals/protocol/client';
import type { Session } from '../session';

/** "7 h 59 min left", "12 min left", "3 days left". */
export function timeLeft(expiresAt: string, now = Date.now()): string {
  const min = Math.max(0, Math.floor((Date.parse(expiresAt) - now) / 60000));
  if (min < 60) return `${min} min left`;
  if (min < 48 * 60) return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''} left`;
  return `${Math.floor(min / 1440)} days left`;
}

/** "repository calc" or "task "Fix the README"": what a grant covers, in words. */
export function grantTarget(session: Session, g: GrantView): string {
  if (g.scope === 'repo') return `repository ${g.repoName ?? g.repoId ?? '?'}`;
  const t = g.taskId !== undefined ? session.store.tasks.get(g.taskId) : undefined;
  return `task "${t?.title ?? g.taskId ?? '?'}"`;
}

export class GrantsTreeProvider implements vscode.TreeDataProvider<GrantView>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: { dispose(): void };
  private readonly tick: ReturnType<typeof setInterval>;

  constructor(private readonly session: Session) {
    this.sub = session.store.onChange((changes) => {
      if (changes.some((c) => c.kind === 'grant' || c.kind === 'reset')) this.refresh();
    });
    // Expiry needs no event: the minute tick drops expired grants and updates "… left".
    this.tick = setInterval(() => this.refresh(), 60_000);
  }

  refresh(): void {
    const active = this.session.store.activeGrants().length > 0;
    void vscode.commands.executeCommand('setContext', 'pushpals.activeGrants', active);
    this.changed.fire(undefined);
  }

  getChildren(node?: GrantView): GrantView[] {
    return node ? [] : this.session.store.activeGrants();
  }

  getTreeItem(g: GrantView): vscode.TreeItem {
    const item = new vscode.TreeItem(`${g.actions.join(', ')} — ${grantTarget(this.session, g)}`, vscode.TreeItemCollapsibleState.None);
    item.id = `grant:${g.grantId}`;
    item.description = timeLeft(g.expiresAt);
    item.iconPath = new vscode.ThemeIcon('unlock', new vscode.ThemeColor('list.warningForeground'));
    item.contextValue = 'grant';
    item.tooltip = new vscode.MarkdownString(
      `**Auto-commit grant** \`${g.grantId}\`\n\nWhile it lasts, ${g.actions.map((a) => `\`${a}\``).join(', ')} approvals for ${grantTarget(this.session, g)} go ahead without asking — recorded as approved by \`grant:${g.grantId}\` and in the audit trail, only ever on the task branch.\n\nGranted by ${g.createdBy} at ${g.createdAt}; expires ${g.expiresAt} (${timeLeft(g.expiresAt)}).`,
    );
    return item;
  }

  dispose(): void {
    clearInterval(this.tick);
    this.sub.dispose();
    this.changed.dispose();
  }
}
