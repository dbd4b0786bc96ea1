/**
 * Delivery of a committed task branch: "Push Task Branch" and "Open Pull Request". Each only asks the
 * orchestrator (push_request, pr_request); the push and the pull request then wait for their own
 * approvals, which show up like any other (Approvals view, chat), and their outcome arrives as
 * `pushed` / `pr_opened` events (the chat shows the pull request as a link; `updated` when the branch's
 * open pull request was updated). The pr approval proposes the title and body, editable when approving.
 */
import * as vscode from 'vscode';
import type { Session } from '../session';

const taskIdOf = (arg: unknown): string | undefined => {
  if (typeof arg === 'string') return arg;
  const o = (typeof arg === 'object' && arg !== null ? arg : {}) as { taskId?: unknown; task?: { taskId?: unknown } };
  return typeof o.taskId === 'string' ? o.taskId : typeof o.task?.taskId === 'string' ? o.task.taskId : undefined;
};

export function registerDeliveryCommands(session: Session): vscode.Disposable[] {
  const committed = () => session.store.taskList().filter((t) => t.review?.committed);

  async function pickCommitted(arg: unknown, verb: string): Promise<string | undefined> {
    const given = taskIdOf(arg);
    if (given) return given;
    const tasks = committed();
    if (tasks.length <= 1) {
      if (!tasks.length) void vscode.window.showInformationMessage('PushPals: no task has a commit yet (review its changes and approve the commit first).');
      return tasks[0]?.taskId;
    }
    const pick = await vscode.window.showQuickPick(tasks.map((t) => ({ label: t.title, description: `${t.review?.committed?.branch ?? ''} · ${t.review?.committed?.sha.slice(0, 8) ?? ''}`, taskId: t.taskId })), { title: `PushPals: ${verb} which task?` });
    return pick?.taskId;
  }

  const fail = (what: string) => (e: unknown) => {
    void vscode.window.showErrorMessage(`PushPals: could not ${what} — ${(e as Error).message}`);
    return undefined;
  };

  async function push(arg: unknown): Promise<unknown> {
    const taskId = await pickCommitted(arg, 'push');
    if (!taskId) return undefined;
    const remote = typeof (arg as { remote?: unknown })?.remote === 'string' ? (arg as { remote: string }).remote : undefined;
    try {
      const r = await session.request('push_request', { taskId, ...(remote ? { remote } : {}) });
      void vscode.window.showInformationMessage(`PushPals: pushing pushpals/${taskId} waits for your approval (Approvals view). Nothing else is pushed, never the default branch.`);
      return r;
    } catch (e) {
      return fail('ask for the push')(e);
    }
  }

  async function openPullRequest(arg: unknown): Promise<unknown> {
    const taskId = await pickCommitted(arg, 'open a pull request for');
    if (!taskId) return undefined;
    // The title and body are proposed by the pr approval and edited there (one place for both).
    const o = (typeof arg === 'object' && arg !== null ? arg : {}) as { title?: unknown; base?: unknown };
    const title = typeof o.title === 'string' ? o.title : undefined;
    try {
      const r = await session.request('pr_request', { taskId, ...(title?.trim() ? { title: title.trim() } : {}), ...(typeof o.base === 'string' ? { base: o.base } : {}) });
      void vscode.window.showInformationMessage('PushPals: the pull request waits for your approval, where its title and body can be edited (a push approval first if the branch is not pushed yet). An open pull request of the branch is updated instead of opening another.');
      return r;
    } catch (e) {
      return fail('ask for the pull request')(e);
    }
  }

  return [vscode.commands.registerCommand('pushpals.pushTask', push), vscode.commands.registerCommand('pushpals.openPullRequest', openPullRequest)];
}
