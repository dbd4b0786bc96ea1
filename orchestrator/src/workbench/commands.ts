/** Protocol commands served by the workbench: repo_add and audit_get. */
import type { Services } from '../services';
import type { Workbench } from './workbench';

export function registerWorkbenchCommands(services: Services, wb: Workbench): void {
  services.registerCommandHandler('repo_add', async (cmd) => {
    const repo = await wb.repos.add(cmd.payload.source, cmd.payload.name);
    services.events.append({
      type: 'repo_added',
      sessionId: cmd.sessionId,
      from: 'orchestrator',
      payload: { repoId: repo.id, name: repo.name, source: repo.source, defaultBranch: repo.defaultBranch },
    });
    return { repoId: repo.id, name: repo.name };
  });
  services.registerCommandHandler('audit_get', (cmd) => ({ entries: wb.audit.listForTask(cmd.payload.taskId, cmd.payload.limit ?? 1000) }));
}
