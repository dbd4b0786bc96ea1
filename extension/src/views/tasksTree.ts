/** The Tasks view: tasks → steps → tool calls (subtasks of a plan under their parent). */
import * as vscode from 'vscode';
import { DEFAULT_STEP, isActive, type StepView, type TaskView, type ToolCallView } from '@pushpals/protocol/client';
import type { Session } from '../session';

export type TaskNode =
  | { kind: 'task'; task: TaskView }
  | { kind: 'step'; task: TaskView; step: StepView; index: number }
  | { kind: 'tool'; task: TaskView; call: ToolCallView };

const STATE_ICON: Record<TaskView['state'], [string, string?]> = {
  queued: ['clock'],
  running: ['sync~spin'],
  awaiting_approval: ['bell-dot', 'list.warningForeground'],
  completed: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
};

export function taskIcon(state: TaskView['state']): vscode.ThemeIcon {
  const [id, color] = STATE_ICON[state];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export class TasksTreeProvider implements vscode.TreeDataProvider<TaskNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TaskNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: { dispose(): void };
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly session: Session) {
    // Coalesce bursts (a replay of thousands of events) into one refresh per 50 ms.
    this.sub = session.store.onChange(() => {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.changed.fire(undefined);
      }, 50);
    });
  }

  getChildren(node?: TaskNode): TaskNode[] {
    const store = this.session.store;
    if (!node) return store.taskList().filter((t) => !t.parentId || !store.tasks.has(t.parentId)).map((task) => ({ kind: 'task', task }));
    if (node.kind === 'task') {
      const subtasks: TaskNode[] = store.taskList().filter((t) => t.parentId === node.task.taskId).map((task) => ({ kind: 'task', task }));
      const steps = node.task.steps;
      // One unnamed step only: show its tool calls directly.
      const only = steps.length === 1 ? steps[0] : undefined;
      if (only && only.name === DEFAULT_STEP) return [...subtasks, ...only.toolCalls.map((call): TaskNode => ({ kind: 'tool', task: node.task, call }))];
      return [...subtasks, ...steps.map((step, index): TaskNode => ({ kind: 'step', task: node.task, step, index }))];
    }
    if (node.kind === 'step') return node.step.toolCalls.map((call) => ({ kind: 'tool', task: node.task, call }));
    return [];
  }

  getTreeItem(node: TaskNode): vscode.TreeItem {
    if (node.kind === 'task') {
      const t = node.task;
      const hasChildren = t.steps.length > 0 || [...this.session.store.tasks.values()].some((c) => c.parentId === t.taskId);
      const item = new vscode.TreeItem(t.title, hasChildren ? (isActive(t.state) ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed) : vscode.TreeItemCollapsibleState.None);
      item.id = `task:${t.taskId}`;
      const paused = t.paused === true && isActive(t.state);
      item.description = t.state.replace('_', ' ') + (paused ? ' (paused)' : '') + (t.progress && isActive(t.state) ? ` — ${t.progress}` : '');
      item.iconPath = paused ? new vscode.ThemeIcon('debug-pause') : taskIcon(t.state);
      // task.active / task.paused: both live (Cancel); Pause on the one, Resume on the other.
      item.contextValue = paused ? 'task.paused' : isActive(t.state) ? 'task.active' : t.review?.committed ? 'task.committed' : 'task.done';
      item.tooltip = new vscode.MarkdownString(`**${t.title}**\n\n${t.request ? `> ${t.request}\n\n` : ''}state: \`${t.state}\`${t.summary ? `\n\n${t.summary}` : ''}${t.error ? `\n\nerror: ${t.error.message}` : ''}\n\n\`${t.taskId}\``);
      item.command = { command: 'pushpals.showChat', title: 'Show in Chat', arguments: [{ taskId: t.taskId }] };
      return item;
    }
    if (node.kind === 'step') {
      const item = new vscode.TreeItem(node.step.name, node.step.toolCalls.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
      item.id = `step:${node.task.taskId}:${node.index}`;
      item.iconPath = new vscode.ThemeIcon('list-ordered');
      item.contextValue = 'step';
      return item;
    }
    const c = node.call;
    const item = new vscode.TreeItem(c.command, vscode.TreeItemCollapsibleState.None);
    item.id = `tool:${node.task.taskId}:${c.toolCallId}`;
    const r = c.result;
    item.description = r ? `${r.ok ? 'ok' : 'failed'}${r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''} · ${r.durationMs} ms` : c.verdict === 'ask' ? 'awaiting approval' : 'running…';
    item.iconPath = r ? new vscode.ThemeIcon(r.ok ? 'terminal' : 'warning', r.ok ? undefined : new vscode.ThemeColor('list.errorForeground')) : new vscode.ThemeIcon('loading~spin');
    const out = r ? (r.stdout ?? r.output ?? '') + (r.stderr ? `\n${r.stderr}` : '') : '';
    item.tooltip = new vscode.MarkdownString(`\`${c.tool}\`${c.verdict ? ` · policy: ${c.verdict}` : ''}\n\n\`\`\`\n${out.slice(0, 4000)}\n\`\`\``);
    item.contextValue = 'toolCall';
    return item;
  }

  getParent(node: TaskNode): TaskNode | undefined {
    if (node.kind === 'task') {
      const p = node.task.parentId ? this.session.store.tasks.get(node.task.parentId) : undefined;
      return p ? { kind: 'task', task: p } : undefined;
    }
    return { kind: 'task', task: node.task };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.sub.dispose();
    this.changed.dispose();
  }
}
