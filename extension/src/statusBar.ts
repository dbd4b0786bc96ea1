/** Status bar task monitor: applies statusView() to one StatusBarItem; click → quick pick of tasks. */
import * as vscode from 'vscode';
import type { Session } from './session';
import { statusView, type StatusView } from './statusModel';

export class StatusBarMonitor implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly subs: vscode.Disposable[] = [];
  private last: StatusView | undefined;
  /** The texts shown so far (newest last, capped): tests check transitions that last milliseconds. */
  readonly history: string[] = [];

  constructor(private readonly session: Session) {
    this.item = vscode.window.createStatusBarItem('pushpals.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'PushPals';
    this.item.command = 'pushpals.showTasks';
    this.subs.push(
      session.store.onChange(() => this.update()),
      session.connection.onStatus(() => this.update()),
      session.repos.onDidChange(() => this.update()),
    );
    this.update();
  }

  /** What the item shows now (tests read it). */
  get view(): StatusView | undefined {
    return this.last;
  }

  show(): void {
    this.item.show();
  }

  update(): void {
    const v = statusView(this.session.status, this.session.store.counts(), this.session.repos.bound?.name);
    this.last = v;
    if (this.history.at(-1) !== v.text) {
      this.history.push(v.text);
      if (this.history.length > 200) this.history.shift();
    }
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.backgroundColor = v.background ? new vscode.ThemeColor(v.background) : undefined;
    this.item.accessibilityInformation = { label: v.text.replace(/\$\([^)]+\)\s*/g, ''), role: 'button' };
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }
}
