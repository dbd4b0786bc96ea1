/** Protocol commands served by the workbench: repo_add, audit_get, workspace_gc; and its /api/status section. */
import { isAbsolute } from 'node:path';
import { PushPalsError } from '../errors';
import type { CommandRegistry } from '../commands/registry';
import type { EventLog } from '../events/event-log';
import { sourceKind } from '../git/sources';
import type { Workbench } from './workbench';

/** Registers repo_add, audit_get and workspace_gc; called by the composition root (workbench-setup.ts). */
export function registerWorkbenchCommands(services: { commands: Pick<CommandRegistry, 'register'>; events: Pick<EventLog, 'append'> }, wb: Pick<Workbench, 'repos' | 'audit' | 'copies' | 'janitor'>): void {
  services.commands.register('repo_add', async (cmd) => {
    const repo = await wb.repos.add(normalizeSource(cmd.payload.source), cmd.payload.name);
    services.events.append({
      type: 'repo_added',
      sessionId: cmd.sessionId,
      from: 'orchestrator',
      payload: { repoId: repo.id, name: repo.name, source: repo.source, defaultBranch: repo.defaultBranch },
    });
    wb.copies.targetPool(repo); // the warm pool serves the repository tasks come for next
    return { repoId: repo.id, name: repo.name };
  });
  services.commands.register('audit_get', (cmd) => ({ entries: wb.audit.listForTask(cmd.payload.taskId, cmd.payload.limit ?? 1000) }));
  services.commands.register('workspace_gc', (cmd) => wb.janitor.gc(cmd.payload.olderThanHours));
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
