/**
 * What agents use of the workbench: a working copy, a sandbox, the command tool's dependencies and
 * the audit trail. workbench/workbench.ts implements it; the composition root (workbench-setup.ts)
 * hands the workbench to the agents it registers, so agents never import the workbench module.
 */
import type { EventPayload } from '@pushpals/protocol';
import type { AuditLog } from '../audit';
import type { SetupDeps } from '../deps/setup';
import type { Repo, Workspace } from '../git';
import type { Sandbox } from '../sandbox';
import type { CommandToolDeps } from '../tools/run-command';
import type { TaskContext } from './types';

/** Where a working copy starts when not at the default branch on `pushpals/<task>` (a plan's ticket). */
export interface WorkspaceStart {
  branch: string;
  /** The start commit (in the orchestrator's clone); called only when the copy is made. */
  base(repo: Repo): Promise<string>;
}

export interface AgentWorkbench {
  readonly audit: AuditLog;
  /**
   * The task's working copy on branch pushpals/<task> (or where `at` says); reused when a crashed
   * run is re-run.
   */
  prepareWorkspace(ctx: Pick<TaskContext, 'task' | 'progress'>, at?: WorkspaceStart): Promise<{ repo: Repo; workspace: Workspace }>;
  /** The task's sandbox (network none), from the repository's image when its settings name one. */
  acquireSandbox(taskId: string, workspaceHostPath: string, repoId?: string): Promise<Sandbox>;
  commandToolDeps(repoId: string, taskId: string, workspaceHostPath: string): CommandToolDeps;
  /** What the dependency set-up of a working copy needs (deps/setup.ts: egress sandbox, repo settings). */
  setupDeps(repoId: string, workspaceHostPath: string, commandDeps: CommandToolDeps): SetupDeps;
  /** Where the person writes the repository's settings (named in messages). */
  repoSettingsFile(repoId: string): string;
  /** Gives a file the host created in a working copy to the sandbox's uid (when running as root). */
  chownForSandbox(p: string): void;
  /** Proposes the agent's changes for review: `diff_ready` with the base commit, audited as `diff_proposed`; `before`: each changed file as the agent found it. */
  proposeDiff(ctx: Pick<TaskContext, 'task' | 'agentId' | 'emit'>, diff: EventPayload<'diff_ready'>, before?: ReadonlyMap<string, string | null>): Promise<void>;
  /** The commit a diff's review applies to (commits the files as the agent found them when they are not the base's). */
  reviewBase(ctx: Pick<TaskContext, 'task'>, diff: Pick<EventPayload<'diff_ready'>, 'baseCommit'>, before?: ReadonlyMap<string, string | null>): Promise<string | undefined>;
}
