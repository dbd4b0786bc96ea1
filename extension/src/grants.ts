/**
 * "PushPals: Grant Auto-Commit…" and "Revoke": the quick picks that make a grant (this repository or
 * a task; which actions; for how long) and the revocation. Both go through the Session
 * (grant_add / grant_revoke); the Grants view follows from the `grant_added`/`grant_revoked` events.
 */
import * as vscode from 'vscode';
import type { CommandPayload, GrantAction, GrantView } from '@pushpals/protocol/client';
import type { Session } from './session';
import { grantTarget, timeLeft } from './views/grantsTree';

const ACTIONS: Array<{ action: GrantAction; label: string; detail: string }> = [
  { action: 'commit', label: 'Commit', detail: 'commit the accepted hunks on the task branch pushpals/<task>' },
  { action: 'push', label: 'Push', detail: 'push the task branch to the remote' },
  { action: 'pr', label: 'Pull request', detail: 'open a pull request from the task branch' },
];
const DURATIONS: Array<{ label: string; minutes: number }> = [
  { label: '1 hour', minutes: 60 },
  { label: '8 hours', minutes: 480 },
  { label: '24 hours', minutes: 1440 },
  { label: '7 days', minutes: 7 * 1440 },
  { label: '30 days (the longest)', minutes: 30 * 1440 },
];

type Scope = { repo: string; label: string } | { taskId: string; label: string };

function argObject(arg: unknown): Record<string, unknown> {
  return typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>) : {};
}

async function pickScope(session: Session, arg: Record<string, unknown>): Promise<Scope | undefined> {
  if (typeof arg.repo === 'string') return { repo: arg.repo, label: `repository ${arg.repo}` };
  // A Tasks view row ({ task }) or { taskId }: that task, no question asked.
  const taskId = typeof arg.taskId === 'string' ? arg.taskId : (arg.task as { taskId?: unknown } | undefined)?.taskId;
  if (typeof taskId === 'string') return { taskId, label: `task "${session.store.tasks.get(taskId)?.title ?? taskId}"` };
  const bound = session.repos.bound ?? (await session.repos.bind(true).catch(() => undefined));
  type Item = vscode.QuickPickItem & { scope: Scope };
  const items: Item[] = [];
  if (bound) items.push({ label: `$(repo) This repository: ${bound.name}`, detail: 'every task of this repository, while the grant lasts', scope: { repo: bound.repoId, label: `repository ${bound.name}` } });
  // Top-level tasks (a plan's task covers its tickets), newest first.
  for (const t of session.store.taskList().filter((x) => !x.parentId).slice(0, 20)) {
    items.push({ label: `$(tasklist) Task: ${t.title}`, description: t.state.replace('_', ' '), detail: t.review ? 'has changes under review' : undefined, scope: { taskId: t.taskId, label: `task "${t.title}"` } });
  }
  if (!items.length) {
    void vscode.window.showInformationMessage('PushPals: no repository bound and no task yet: nothing to grant auto-commit for.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'PushPals: Grant Auto-Commit (1/3) — for what?', matchOnDescription: true });
  return pick?.scope;
}

async function pickActions(arg: Record<string, unknown>): Promise<GrantAction[] | undefined> {
  if (Array.isArray(arg.actions)) return arg.actions.filter((a): a is GrantAction => ACTIONS.some((x) => x.action === a));
  const picks = await vscode.window.showQuickPick(
    ACTIONS.map((a) => ({ label: a.label, detail: a.detail, action: a.action, picked: a.action === 'commit' })),
    { title: 'PushPals: Grant Auto-Commit (2/3) — which actions go ahead without asking?', canPickMany: true },
  );
  return picks?.map((p) => p.action);
}

async function pickMinutes(arg: Record<string, unknown>): Promise<number | undefined> {
  if (typeof arg.ttlMinutes === 'number') return arg.ttlMinutes;
  const pick = await vscode.window.showQuickPick(
    DURATIONS.map((d) => ({ label: d.label, minutes: d.minutes })),
    { title: 'PushPals: Grant Auto-Commit (3/3) — for how long? (revoke any time in the Grants view)' },
  );
  return pick?.minutes;
}

/**
 * The command. `arg` may carry the answers (`{ repo | taskId, actions, ttlMinutes }`, e.g. from a
 * task's context menu or a test); what it lacks is asked with quick picks. Returns the grant's id.
 */
export async function grantAutoCommit(session: Session, arg: unknown): Promise<string | undefined> {
  const a = argObject(arg);
  const scope = await pickScope(session, a);
  if (!scope) return undefined;
  const actions = await pickActions(a);
  if (!actions?.length) return undefined;
  const ttlMinutes = await pickMinutes(a);
  if (ttlMinutes === undefined) return undefined;
  const payload: CommandPayload<'grant_add'> = { ...('repo' in scope ? { repo: scope.repo } : { taskId: scope.taskId }), actions, ttlMinutes };
  try {
    const { grant } = await session.grantAdd(payload);
    void vscode.window.showInformationMessage(`PushPals: ${actions.join(', ')} for ${scope.label} go ahead without asking until ${new Date(grant.expiresAt).toLocaleString()} (${timeLeft(grant.expiresAt)}). Every one is still recorded; revoke in the Grants view.`);
    return grant.grantId;
  } catch (e) {
    void vscode.window.showErrorMessage(`PushPals: could not grant auto-commit — ${(e as Error).message}`);
    return undefined;
  }
}

const grantIdOf = (arg: unknown): string | undefined =>
  typeof arg === 'string' ? arg : typeof argObject(arg).grantId === 'string' ? (argObject(arg).grantId as string) : undefined;

/** Revokes the grant given (a Grants view row or an id), or the one picked. Returns whether it changed. */
export async function revokeGrant(session: Session, arg: unknown): Promise<boolean | undefined> {
  let grantId = grantIdOf(arg);
  if (!grantId) {
    const active = session.store.activeGrants();
    if (!active.length) {
      void vscode.window.showInformationMessage('PushPals: no active auto-commit grant.');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      active.map((g: GrantView) => ({ label: `${g.actions.join(', ')} — ${grantTarget(session, g)}`, description: timeLeft(g.expiresAt), grantId: g.grantId })),
      { title: 'PushPals: Revoke which grant?' },
    );
    grantId = pick?.grantId;
  }
  if (!grantId) return undefined;
  try {
    const r = await session.grantRevoke(grantId);
    void vscode.window.showInformationMessage(`PushPals: grant revoked — the next ${r.grant.actions.join(', ')} for ${grantTarget(session, r.grant)} asks you again.`);
    return r.changed;
  } catch (e) {
    void vscode.window.showErrorMessage(`PushPals: could not revoke the grant — ${(e as Error).message}`);
    return undefined;
  }
}
