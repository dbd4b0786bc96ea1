/**
 * What the team (planner, scheduler, delegation) uses of the services and of the workbench: the
 * composition root hands over the real ones. Types only: this module never imports at run time.
 */
import type { EventPayload } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { AuditLog } from '../audit';
import type { Config } from '../config';
import type { EventLog } from '../events/event-log';
import type { Repo, RepoRegistry } from '../git';
import type { TaskCommands } from '../ports';
import type { JobQueue } from '../queue/job-queue';
import type { Db } from '../store/db';
import type { TaskRecord, TaskStore } from '../tasks/task-store';
import type { Clock } from '../util/clock';

/** What the team uses of the services (services.ts hands over the real ones). */
export interface TeamServices extends Pick<TaskCommands, 'cancelTask'> {
  readonly config: Pick<Config, 'planner' | 'agent' | 'agents'>;
  readonly db: Db;
  readonly clock: Clock;
  readonly events: Pick<EventLog, 'append' | 'onEvent'>;
  readonly tasks: TaskStore;
  readonly queue: Pick<JobQueue, 'enqueue'>;
}

/** What the team uses of the workbench: the repositories and the audit trail. */
export interface TeamWorkbench {
  readonly audit: AuditLog;
  readonly repos: Pick<RepoRegistry, 'listFiles' | 'get'>;
  resolveRepo(repoId: string | null): Repo;
  /** Proposes a change for review (`diff_ready` with its base commit, audited as `diff_proposed`). */
  proposeDiff(ctx: Pick<TaskContext, 'task' | 'agentId' | 'emit'>, diff: EventPayload<'diff_ready'>): Promise<void>;
  /** The commit a plan starts from (the person's current branch head), recorded as the task's base. */
  planBase(task: Pick<TaskRecord, 'id' | 'repoId' | 'includeUncommitted'>): Promise<{ repo: Repo; commit: string }>;
}
