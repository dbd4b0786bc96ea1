/**
 * Deletes task working copies once nothing needs them: when the task reaches a final state
 * (completed / failed / cancelled) — except while its review needs it: the diff is not committed and
 * some hunk is undecided or accepted (a denied commit keeps it for another try). `committed`, or a
 * decision that leaves every hunk rejected, then deletes it. A sweep at start
 * catches tasks that ended while no orchestrator was running (or crashed before it deleted).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventLog } from '../events/event-log';
import type { RepoRegistry } from '../git';
import type { Logger } from '../log';
import type { SandboxManager, WorkspaceVolumes } from '../sandbox';
import { reviewNeedsWorkingCopy } from '../review/review-state';
import type { Db } from '../store/db';
import { isTerminal, type TaskStore } from '../tasks/task-store';

/** What the janitor uses of the services. */
export interface JanitorServices {
  readonly db: Db;
  readonly logger: Logger;
  readonly events: Pick<EventLog, 'onEvent'>;
  readonly tasks: Pick<TaskStore, 'get'>;
}

/** Events after which a working copy may have become unneeded. */
const TRIGGERS = new Set(['task_completed', 'task_failed', 'task_cancelled', 'hunk_decided', 'committed']);
const RETRY_MS = 1000;
const MAX_RETRIES = 120;

export class WorkspaceJanitor {
  private readonly busy = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly services: JanitorServices,
    private readonly repos: RepoRegistry,
    private readonly sandboxes: SandboxManager,
    private readonly volumes: WorkspaceVolumes | undefined,
  ) {}

  /** Listens for final states and decisions; sweeps copies of tasks that are final already. */
  start(): void {
    this.unsubscribe ??= this.services.events.onEvent((e) => {
      if (!TRIGGERS.has(e.type)) return;
      const taskId = e.taskId ?? (JSON.parse(e.frame) as { payload?: { taskId?: string } }).payload?.taskId;
      if (taskId) this.retire(taskId);
    });
    const names = new Set<string>();
    const dir = join(this.repos.dataDir, 'workspaces');
    if (existsSync(dir)) for (const n of readdirSync(dir)) if (!n.startsWith('.')) names.add(n);
    // An image whose mount point is gone (a crash between the two) is found by its own name.
    const images = this.volumes?.o.imagesDir;
    if (images && existsSync(images)) for (const n of readdirSync(images)) if (n.endsWith('.img')) names.add(n.slice(0, -4));
    for (const n of names) this.sweep(n);
  }

  /** At start: delete what is not needed; mount again what a pending review still needs (mounts end with a process). */
  private sweep(taskId: string): void {
    const task = this.services.tasks.get(taskId);
    if (task && isTerminal(task.state) && reviewNeedsWorkingCopy(this.services, taskId)) {
      void this.volumes?.ensureMounted(this.repos.workspacePath(taskId)).catch((e: unknown) => this.services.logger.warn(`could not mount the working copy of task ${taskId}`, { error: e }));
      return;
    }
    this.retire(taskId);
  }

  /** Deletes the task's working copy if the task is final and no review needs it. Idempotent; never throws. */
  retire(taskId: string, attempt = 0): void {
    if (this.closed || this.busy.has(taskId)) return;
    const task = this.services.tasks.get(taskId);
    if (!task || !isTerminal(task.state) || reviewNeedsWorkingCopy(this.services, taskId)) return;
    if (this.sandboxes.list().some((s) => s.taskId === taskId)) {
      // The agent is still letting go of its sandbox (e.g. just cancelled): try again shortly.
      if (attempt < MAX_RETRIES) this.later(() => this.retire(taskId, attempt + 1));
      return;
    }
    const job = this.remove(taskId)
      .catch((e: unknown) => this.services.logger.warn(`could not delete the working copy of task ${taskId}`, { error: e }))
      .finally(() => this.busy.delete(taskId));
    this.busy.set(taskId, job);
  }

  private async remove(taskId: string): Promise<void> {
    const path = this.repos.workspacePath(taskId);
    if (this.volumes) await this.volumes.remove(path);
    this.repos.removeWorkspace(taskId); // a copy made without a limit (or what unmounting left)
    this.services.logger.info(`deleted the working copy of task ${taskId}`);
  }

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, RETRY_MS);
    t.unref();
    this.timers.add(t);
  }

  /** Resolves when deletions in progress are done (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.busy.size) await Promise.all([...this.busy.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }
}
