/** Protocol commands served by the workbench: repo_add, repo_list, repo_remove, repo_sync, audit_get, receipt_get, workspace_gc; and its /api/status section. */
import { isAbsolute } from 'node:path';
import type { CommandResult } from '@pushpals/protocol';
import type { AuditHeadPublisher } from '../audit/head-publisher';
import { loadOrCreateSigner } from '../audit/head-signing';
import { buildReceipt } from '../audit/receipt';
import { PushPalsError } from '../errors';
import type { CommandRegistry } from '../commands/registry';
import type { EventLog } from '../events/event-log';
import type { Repo } from '../git';
import type { TaskStore } from '../tasks/task-store';
import { sourceKind } from '../git/sources';
import type { Workbench } from './workbench';

type RepoInfo = CommandResult<'repo_list'>['repos'][number];

function headOf(r: Repo): { branch?: string; commit: string } {
  if (!r.head) throw new PushPalsError('internal', `repository ${r.id} was synced but has no head recorded`);
  return r.head;
}

function infoOf(r: Repo): RepoInfo {
  return {
    repoId: r.id,
    name: r.name,
    source: r.source,
    kind: r.kind,
    defaultBranch: r.defaultBranch,
    ...(r.head ? { head: r.head } : {}),
    rootCommits: r.rootCommits,
    remotes: r.remotes,
    addedAt: r.addedAt,
    ...(r.syncedAt ? { syncedAt: r.syncedAt } : {}),
  };
}

/** A repository named in a command, by id or name; errors point at `/payload/repo` and list the choices. */
function named(wb: Pick<Workbench, 'repos'>, ref: string): Repo {
  try {
    return wb.repos.resolve(ref);
  } catch (e) {
    if (e instanceof PushPalsError) throw new PushPalsError(e.code, e.message, e.details, '/payload/repo');
    throw e;
  }
}

/** Registers repo_add/list/remove/sync, audit_get, receipt_get and workspace_gc; called by the composition root (workbench-setup.ts). */
export function registerWorkbenchCommands(
  services: { commands: Pick<CommandRegistry, 'register'>; events: Pick<EventLog, 'append'>; tasks: Pick<TaskStore, 'require'>; config: { dataDir: string }; auditHead: Pick<AuditHeadPublisher, 'status'> },
  wb: Pick<Workbench, 'repos' | 'audit' | 'copies' | 'janitor' | 'gc'>): void {
  services.commands.register('repo_add', async (cmd) => {
    const source = normalizeSource(cmd.payload.source);
    // Adding a registered source again is not an error: it answers with that repository, synced now.
    const known = wb.repos.findBySource(source);
    if (known) {
      const repo = await wb.repos.sync(known.id);
      return { repoId: repo.id, name: repo.name, existing: true };
    }
    const repo = await wb.repos.add(source, cmd.payload.name);
    services.events.append({
      type: 'repo_added',
      sessionId: cmd.sessionId,
      from: 'orchestrator',
      payload: { repoId: repo.id, name: repo.name, source: repo.source, defaultBranch: repo.defaultBranch },
    });
    wb.copies.targetPool(repo); // the warm pool serves the repository tasks come for next
    return { repoId: repo.id, name: repo.name };
  });
  services.commands.register('repo_list', () => ({ repos: wb.repos.list().map(infoOf) }));
  services.commands.register('repo_remove', (cmd) => {
    const repo = wb.repos.remove(named(wb, cmd.payload.repo).id);
    wb.copies.forget(repo.id);
    wb.janitor.pruneRemovedObjects(); // its objects stay only while task copies borrow them
    services.events.append({ type: 'repo_removed', sessionId: cmd.sessionId, from: 'orchestrator', payload: { repoId: repo.id, name: repo.name } });
    return { repoId: repo.id, name: repo.name };
  });
  services.commands.register('repo_sync', async (cmd) => {
    const repo = await wb.repos.sync(named(wb, cmd.payload.repo).id);
    return { repoId: repo.id, name: repo.name, head: headOf(repo) };
  });
  services.commands.register('audit_get', (cmd) => ({ entries: wb.audit.listForTask(cmd.payload.taskId, cmd.payload.limit ?? 1000) }));
  services.commands.register('receipt_get', (cmd) => {
    const task = services.tasks.require(cmd.payload.taskId);
    // Never sign over a trail the head publisher found rewritten or cut.
    const problem = services.auditHead.status().problem;
    if (problem) throw new PushPalsError('internal', `no receipt is signed while the audit trail does not verify: ${problem}`);
    return { receipt: buildReceipt(wb.audit, loadOrCreateSigner(services.config.dataDir), task.id, task.repoId) };
  });
  services.commands.register('workspace_gc', (cmd) => wb.gc(cmd.payload.olderThanHours));
}

/**
 * A path sent over the wire must be absolute: the orchestrator's working directory means nothing to
 * the client. `<repo>/.git` names the same repository as `<repo>`.
 */
function normalizeSource(source: string): string {
  const s = source.trim();
  if (sourceKind(s) !== 'path') return s; // a URL, or ssh syntax that RepoRegistry.add refuses with the reason
  if (!isAbsolute(s)) throw new PushPalsError('invalid_message', `repository path must be absolute (got "${s.slice(0, 200)}"); the CLI resolves relative paths for you`, undefined, '/payload/source');
  return s.replace(/\/+$/, '').replace(/\/\.git$/, '') || '/';
}
