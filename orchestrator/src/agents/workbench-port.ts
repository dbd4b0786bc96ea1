/**
 * What agents use of the workbench: a working copy, a sandbox, the command tool's dependencies and
 * the audit trail. workbench/workbench.ts implements it; the composition root (workbench-setup.ts)
 * hands the workbench to the agents it registers, so agents never import the workbench module.
 */
import type { AuditLog } from '../audit';
import type { Repo, Workspace } from '../git';
import type { Sandbox } from '../sandbox';
import type { CommandToolDeps } from '../tools/run-command';
import type { TaskContext } from './types';

export interface AgentWorkbench {
  readonly audit: AuditLog;
  /** The task's working copy on branch pushpals/<task>; reused when a crashed run is re-run. */
  prepareWorkspace(ctx: Pick<TaskContext, 'task' | 'progress'>): Promise<{ repo: Repo; workspace: Workspace }>;
  acquireSandbox(taskId: string, workspaceHostPath: string): Promise<Sandbox>;
  commandToolDeps(repoId: string, taskId: string, workspaceHostPath: string): CommandToolDeps;
  /** Gives a file the host created in a working copy to the sandbox's uid (when running as root). */
  chownForSandbox(p: string): void;
}
