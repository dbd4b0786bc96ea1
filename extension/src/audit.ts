/** "PushPals: Show Audit Trail": the task's audit entries as a read-only markdown document. */
import * as vscode from 'vscode';
import type { CommandResult } from '@pushpals/protocol/client';

export const AUDIT_SCHEME = 'pushpals-audit';

export function renderAudit(taskId: string, title: string, entries: CommandResult<'audit_get'>['entries']): string {
  const lines = [`# Audit trail — ${title}`, '', `Task \`${taskId}\`, ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (hash-chained on the orchestrator).`, ''];
  for (const e of entries) {
    lines.push(`## #${e.seq} ${e.action} — ${e.ts}`, '');
    lines.push(`- actor: ${e.actor}${e.verdict ? ` · policy: ${e.verdict}` : ''}${e.approvalId ? ` · approval: ${e.approvalId}` : ''}`);
    if (e.command) lines.push(`- command: \`${e.command}\`${e.cwd ? ` in \`${e.cwd}\`` : ''}`);
    if (e.exitCode !== undefined || e.durationMs !== undefined) lines.push(`- exit: ${e.exitCode ?? '–'} · ${e.durationMs ?? '–'} ms`);
    lines.push(`- hash: \`${e.hash.slice(0, 16)}…\``);
    if (e.stdout) lines.push('', '```text', e.stdout, '```');
    if (e.stderr) lines.push('', 'stderr:', '```text', e.stderr, '```');
    lines.push('');
  }
  return lines.join('\n');
}

export class AuditDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly docs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly reg: vscode.Disposable;

  constructor() {
    this.reg = vscode.workspace.registerTextDocumentContentProvider(AUDIT_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.path) ?? '(audit trail not loaded)';
  }

  async open(taskId: string, content: string): Promise<vscode.TextEditor> {
    const uri = vscode.Uri.from({ scheme: AUDIT_SCHEME, path: `/audit-${taskId}.md` });
    this.docs.set(uri.path, content);
    this.changed.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Active });
  }

  dispose(): void {
    this.reg.dispose();
    this.changed.dispose();
  }
}
