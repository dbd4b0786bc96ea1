/**
 * The grants' protocol commands (grant_add, grant_list, grant_revoke) and their installation: the
 * store, the auto-approver on the approvals, the handlers. Called by the composition root
 * (workbench-setup.ts): a repository grant needs the registered repositories to resolve its name.
 */
import type { ApprovalService } from '../approvals/approvals';
import type { AuditLog } from '../audit/audit-log';
import type { CommandRegistry } from '../commands/registry';
import { PushPalsError } from '../errors';
import type { TaskStore } from '../tasks/task-store';
import { grantAutoApprover } from './auto-approve';
import { GrantStore } from './grant-store';
import { describeDuration, grantInfo, type GrantDeps, type GrantRecord } from './types';

/** The registered repositories, as grants need them: a reference resolved (id or name), a name by id. */
export interface GrantRepos {
  resolve(ref: string): { id: string; name: string };
  get(id: string): { name: string } | undefined;
}

export interface GrantServices extends GrantDeps {
  readonly commands: Pick<CommandRegistry, 'register'>;
  readonly approvals: Pick<ApprovalService, 'setAutoApprover'>;
  readonly tasks: Pick<TaskStore, 'require'>;
}

/** Runs `fn`; a typed error it throws points at `path` of the command (the field that named the unknown thing). */
function at<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PushPalsError && e.path === undefined) throw new PushPalsError(e.code, e.message, e.details, path);
    throw e;
  }
}

export function installGrants(services: GrantServices, repos: GrantRepos, audit: Pick<AuditLog, 'append'>): GrantStore {
  const grants = new GrantStore({ db: services.db, events: services.events, clock: services.clock });
  services.approvals.setAutoApprover(grantAutoApprover(grants, audit));
  const info = (g: GrantRecord) => grantInfo(g, g.repoId !== null ? repos.get(g.repoId)?.name : undefined);

  services.commands.register('grant_add', (cmd, ctx) => {
    const { repo: ref, taskId, actions, ttlMinutes } = cmd.payload;
    if ((ref === undefined) === (taskId === undefined)) throw new PushPalsError('invalid_message', 'a grant is for one repository (repo: id or name) or one task (taskId): name exactly one', undefined, '/payload');
    const repo = ref !== undefined ? at('/payload/repo', () => repos.resolve(ref)) : undefined;
    const task = taskId !== undefined ? at('/payload/taskId', () => services.tasks.require(taskId)) : undefined;
    const grant = grants.add({
      ...(repo ? { repoId: repo.id, repoName: repo.name } : {}),
      ...(task ? { taskId: task.id } : {}),
      actions,
      ...(ttlMinutes !== undefined ? { ttlMs: ttlMinutes * 60000 } : {}),
      createdBy: cmd.from,
      tokenFingerprint: ctx.tokenFingerprint,
    });
    audit.append({
      taskId: task?.id ?? null,
      actor: cmd.from,
      action: 'grant_added',
      command: `grant ${grant.actions.join(',')} for ${repo ? `repository ${repo.name}` : `task ${grant.taskId ?? ''}`} for ${describeDuration(grant.expiresAt - grant.createdAt)}`,
      data: { grantId: grant.id, scope: grant.scope, repoId: grant.repoId, grantTaskId: grant.taskId, actions: grant.actions, expiresAt: new Date(grant.expiresAt).toISOString(), tokenFingerprint: ctx.tokenFingerprint },
    });
    return { grant: info(grant) };
  });

  services.commands.register('grant_list', (cmd) => ({ grants: grants.list({ includeInactive: cmd.payload.includeInactive === true }).map(info) }));

  services.commands.register('grant_revoke', (cmd, ctx) => {
    const { grant, changed } = grants.revoke(cmd.payload.grantId, cmd.from);
    if (changed) audit.append({ taskId: grant.taskId, actor: cmd.from, action: 'grant_revoked', data: { grantId: grant.id, tokenFingerprint: ctx.tokenFingerprint } });
    return { grant: info(grant), changed };
  });
  return grants;
}
