/**
 * Approvals: one decision path for every surface. The notification buttons, the Approvals view's
 * inline actions, the chat's buttons and the palette commands all run `pushpals.approve` /
 * `pushpals.deny`, which call decideApproval(). The resulting `approved`/`denied` event updates the
 * store, which refreshes the view, the chat, the status bar and the `pushpals.pendingApprovals` key.
 */
import * as vscode from 'vscode';
import type { ApprovalEdits, Session, Decision } from './session';
import { MAX_PR_TITLE_LENGTH, pullRequestTextProblem, type ApprovalView } from '@pushpals/protocol/client';
import { approvalOrigin } from './views/approvalsTree';
import { readConfig } from './config';
import { ApprovalMessageEditor } from './messageEditor';

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
  const skipEdits = typeof arg === 'object' && arg !== null && (arg as { skipMessage?: unknown }).skipMessage === true;
  const send = async (edits: ApprovalEdits): Promise<DecisionOutcome> => {
    const r = await session.decide(approvalId, decision, edits);
    // It timed out before our decision reached the orchestrator (the `denied`/expired event follows).
    if (r.state === 'expired') expiredMessage(local?.title ?? approvalId);
    return { approvalId, decision, state: r.state };
  };
  const wanted = decision === 'approve' && local && !skipEdits;
  // The text edited in an editor tab: that editor sends the decision (and keeps the text if it is refused).
  if (wanted && messageEditor && readConfig().editApprovalsInEditor && ApprovalMessageEditor.handles(local) && !givenEdits(arg)) {
    return (await messageEditor.edit(local, send)) ?? { approvalId, decision, state: 'cancelled' };
  }
  const edits = wanted ? await askEdits(local, arg) : {};
  if (edits === undefined) return { approvalId, decision, state: 'cancelled' };
  try {
    return await send(edits);
  } catch (e) {
    void vscode.window.showErrorMessage(`PushPals: could not ${decision} — ${(e as Error).message}`);
    throw e;
  }
}

let messageEditor: ApprovalMessageEditor | undefined;

/** The editor that commit and pull request approvals are edited in (setting `pushpals.approvals.editInEditor`). */
export function useMessageEditor(editor: ApprovalMessageEditor): vscode.Disposable {
  messageEditor = editor;
  return new vscode.Disposable(() => {
    if (messageEditor === editor) messageEditor = undefined;
  });
}

/** An input box whose text is one line: line breaks are shown (and typed) as `\\n`. */
async function editText(title: string, prompt: string, value: string, check: (v: string) => string | undefined): Promise<string | undefined> {
  const v = await vscode.window.showInputBox({ title, prompt, value: value.replace(/\n/g, '\\n'), ignoreFocusOut: true, validateInput: (x) => check(x.replace(/\\n/g, '\n')) });
  return v?.replace(/\\n/g, '\n');
}

const given = (arg: unknown, key: 'message' | 'title' | 'body'): string | undefined =>
  typeof arg === 'object' && arg !== null && typeof (arg as Record<string, unknown>)[key] === 'string' ? ((arg as Record<string, unknown>)[key] as string) : undefined;
const givenEdits = (arg: unknown): boolean => (['message', 'title', 'body'] as const).some((k) => given(arg, k) !== undefined);

/**
 * With `pushpals.approvals.editInEditor` off: what the person changes when approving, in input boxes — a
 * commit's message, a pull request's title and body (the proposals are editable: Enter keeps each,
 * Escape decides nothing → undefined). Given in `arg`
 * (`{ message }`, `{ title, body }`): used as they are, no prompt.
 */
async function askEdits(local: ApprovalView, arg: unknown): Promise<ApprovalEdits | undefined> {
  if (local.kind === 'commit') {
    const message = given(arg, 'message') ?? (await editText(`PushPals: commit message — ${local.title}`, 'The commit message (first line: the subject; \\n for a line break). Enter approves the commit; Escape cancels.', local.message ?? '', (v) => (v.trim() ? undefined : 'A commit needs a message')));
    return message === undefined ? undefined : { message };
  }
  // Only a pr approval that proposes its text (an orchestrator of protocol 1.3 on) can take an edited one.
  if (local.kind === 'pr' && local.pullRequest) {
    const proposed = local.pullRequest;
    const of = proposed.number ? ` (#${proposed.number})` : '';
    const title = given(arg, 'title') ?? (await editText(`PushPals: pull request title${of} — ${local.title}`, `The title (at most ${MAX_PR_TITLE_LENGTH} characters). Enter keeps it and goes on to the body; Escape cancels.`, proposed.title, (v) => pullRequestTextProblem({ title: v })));
    if (title === undefined) return undefined;
    const body = given(arg, 'body') ?? (await editText(`PushPals: pull request body${of} — ${local.title}`, 'The body, Markdown (\\n for a line break). Enter approves with it; Escape cancels.', proposed.body, (v) => pullRequestTextProblem({ body: v })));
    if (body === undefined) return undefined;
    return { ...(title !== proposed.title ? { title } : {}), ...(body !== proposed.body ? { body } : {}) };
  }
  return {};
}

/**
 * The Approvals view with several rows selected passes them all: one decision for each, when they are of
 * ONE kind (approving a command and a commit in one click is not a thing a person means).
 */
export async function decideMany(session: Session, arg: unknown, selected: unknown, decision: Decision): Promise<DecisionOutcome | DecisionOutcome[] | undefined> {
  const ids = Array.isArray(selected) ? selected.map(approvalIdOf).filter((x): x is string => x !== undefined) : [];
  if (ids.length <= 1) return decideApproval(session, approvalIdOf(arg) ?? arg, decision);
  const items = ids.map((id) => session.store.approvals.get(id)).filter((a): a is ApprovalView => a !== undefined && a.status === 'pending');
  const kinds = new Set(items.map((a) => a.kind));
  if (kinds.size > 1) {
    void vscode.window.showWarningMessage(`PushPals: the selection mixes ${[...kinds].join(' and ')} approvals; select approvals of one kind to ${decision} them together.`);
    return undefined;
  }
  return decideBatch(session, items, decision);
}

/** "Approve All of This Kind": every pending approval of the kind of `arg`, after one confirmation. */
export async function decideAllOfKind(session: Session, arg: unknown, decision: Decision): Promise<DecisionOutcome[] | undefined> {
  const id = approvalIdOf(arg);
  const kind = (id ? session.store.approvals.get(id)?.kind : undefined) ?? (typeof arg === 'object' && arg !== null ? (arg as { kind?: string }).kind : undefined);
  const items = session.store.pendingApprovals().filter((a) => a.kind === kind);
  if (!items.length) return [];
  const confirm = typeof arg === 'object' && arg !== null && (arg as { confirm?: unknown }).confirm === false
    ? 'Yes'
    : await vscode.window.showWarningMessage(
        `PushPals: ${decision} all ${items.length} pending ${kind} approval(s)?`,
        { modal: true, detail: items.map((a) => `• ${a.title} (risk ${a.risk}, ${approvalOrigin(session, a)})`).join('\n') },
        'Yes',
      );
  if (confirm !== 'Yes') return undefined;
  return decideBatch(session, items, decision);
}

async function decideBatch(session: Session, items: ApprovalView[], decision: Decision): Promise<DecisionOutcome[]> {
  // Commits and pull requests in a batch keep their proposed text (editing one is a single approval's job).
  const out = await Promise.all(items.map((a) => decideApproval(session, { approvalId: a.approvalId, skipMessage: true }, decision).catch(() => undefined)));
  return out.filter((o): o is DecisionOutcome => o !== undefined);
}

function expiredMessage(title: string): void {
  void vscode.window.showWarningMessage(`PushPals: "${title}" expired before a decision: the action was not run. Ask again with a new task if it is still wanted.`);
}

/**
 * Shows a notification (Approve / Deny / Show) once per pending approval — only for one still pending
 * once the replay of what happened before this window connected is through: opening a window never
 * toasts an approval that was decided meanwhile.
 */
export class ApprovalNotifier implements vscode.Disposable {
  private readonly shown = new Set<string>();
  /** Seen pending during the replay: decided (or not) by the time it ends. */
  private readonly deferred = new Set<string>();
  private readonly subs: Array<{ dispose(): void }>;
  /** What was notified, newest last (tests). */
  readonly history: string[] = [];

  constructor(private readonly session: Session, private readonly enabled: () => boolean) {
    this.subs = [
      session.store.onChange((changes) => {
        for (const c of changes) {
          if (c.kind === 'reset') {
            this.shown.clear();
            this.deferred.clear();
          }
          if (c.kind !== 'approval') continue;
          const a = c.approval;
          if (!session.store.isLive(a) || this.shown.has(a.approvalId)) continue;
          if (session.connection.isReplaying) this.deferred.add(a.approvalId);
          else this.notify(a);
        }
        void vscode.commands.executeCommand('setContext', 'pushpals.pendingApprovals', session.store.pendingApprovals().length > 0);
      }),
      session.connection.onEvent(() => this.flushDeferred()),
    ];
  }

  private flushDeferred(): void {
    if (!this.deferred.size || this.session.connection.isReplaying) return;
    const ids = [...this.deferred];
    this.deferred.clear();
    for (const id of ids) {
      const a = this.session.store.approvals.get(id);
      // Only what still waits once the replay is through: decided, expired or its task gone — no toast.
      if (a && this.session.store.isLive(a) && !this.shown.has(id)) this.notify(a);
    }
  }

  private notify(a: ApprovalView): void {
    this.shown.add(a.approvalId);
    if (!this.enabled()) return;
    this.history.push(a.approvalId);
    const what = a.command ? `: ${a.command.length > 120 ? `${a.command.slice(0, 117)}…` : a.command}` : '';
    const msg = `PushPals approval required — ${a.title}${what} (${a.kind}, risk ${a.risk}, ${approvalOrigin(this.session, a)})`;
    const show = a.risk === 'high' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(msg, 'Approve', 'Deny', 'Show').then((choice) => {
      if (choice === 'Approve') void vscode.commands.executeCommand('pushpals.approve', a.approvalId);
      else if (choice === 'Deny') void vscode.commands.executeCommand('pushpals.deny', a.approvalId);
      else if (choice === 'Show') void vscode.commands.executeCommand('pushpals.showChat', { taskId: a.taskId });
    });
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
