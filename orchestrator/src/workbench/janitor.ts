/**
/**
 * Deletes task working copies by a retention policy: a finished task's copy (completed / failed /
 * cancelled) is kept `sandbox.keepFinishedHours` after the task ended (0: deleted when it ends),
 * then deleted by a periodic sweep — never while its review needs it: the diff is not committed and
 * some hunk is undecided or accepted (a denied commit keeps it for another try). `committed`, or a
 * decision that leaves every hunk rejected, makes it deletable (once the retention has passed).
 * `gc()` (the `workspace_gc` command, `pushpals gc`) deletes earlier. A sweep at start catches tasks
 * that ended while no orchestrator was running. Copies of unknown tasks are left alone.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { EventLog } from '../events/event-log';
import type { RepoRegistry } from '../git';
import type { Logger } from '../log';
import type { SandboxManager, WorkspaceVolumes } from '../sandbox';
import type { Config } from '../config';
import { reviewNeedsWorkingCopy } from '../review/review-state';
import type { Db } from '../store/db';
import { isTerminal, type TaskStore } from '../tasks/task-store';
import type { Clock } from '../util/clock';
import { allocatedBytes } from './working-copies';

/** What the janitor uses of the services. */
export interface JanitorServices {
  readonly config: Pick<Config, 'sandbox'>;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: Pick<EventLog, 'onEvent'>;
  readonly tasks: Pick<TaskStore, 'get'>;
}

/** Events after which a working copy may have become unneeded. */
const TRIGGERS = new Set(['task_completed', 'task_failed', 'task_cancelled', 'hunk_decided', 'committed']);
const RETRY_MS = 1000;
const MAX_RETRIES = 120;
const HOUR_MS = 3600_000;
/** The retention sweep runs this often (at most; more often with a short retention). */
const SWEEP_MS = 10 * 60_000;

export class WorkspaceJanitor {
  private readonly busy = new Map<string, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private readonly keepMs: number;

  constructor(
    private readonly services: JanitorServices,
    private readonly repos: RepoRegistry,
    private readonly sandboxes: SandboxManager,
    private readonly volumes: WorkspaceVolumes | undefined,
    /** Called when a task reaches a final state (the workbench lets go of a sandbox it held for it). */
    private readonly onFinal: (taskId: string) => void = () => {},
  ) {
    this.keepMs = services.config.sandbox.keepFinishedHours * HOUR_MS;
  }

  /** Listens for final states and decisions; sweeps copies of tasks that are final already, then periodically. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.services.events.onEvent((e) => {
      if (!TRIGGERS.has(e.type)) return;
      const taskId = e.taskId ?? (JSON.parse(e.frame) as { payload?: { taskId?: string } }).payload?.taskId;
      if (!taskId) return;
      if (e.type.startsWith('task_')) this.onFinal(taskId);
      this.retire(taskId);
    });
    for (const n of this.names()) this.sweep(n);
    if (this.keepMs > 0) {
      this.sweeper = setInterval(() => {
        for (const n of this.names()) this.retire(n);
      }, Math.max(1000, Math.min(SWEEP_MS, this.keepMs)));
      this.sweeper.unref();
    }
  }

  /** Task ids that have a working copy (or a volume image left by a crash between unmount and delete). */
  private names(): Set<string> {
    const names = new Set<string>();
    const dir = this.repos.workspacesDir;
    if (existsSync(dir)) for (const n of readdirSync(dir)) if (!n.startsWith('.')) names.add(n);
    const images = this.volumes?.o.imagesDir;
    if (images && existsSync(images)) for (const n of readdirSync(images)) if (n.endsWith('.img') && !n.startsWith('slot-')) names.add(n.slice(0, -4));
    return names;
  }

  /** At start: delete what is not needed; mount again what a review or the retention still keeps (mounts end with a process). */
  private sweep(taskId: string): void {
    this.retire(taskId);
    const task = this.services.tasks.get(taskId);
    if (task && isTerminal(task.state) && !this.busy.has(taskId)) {
      void this.volumes?.ensureMounted(this.repos.workspacePath(taskId)).catch((e: unknown) => this.services.logger.warn(`could not mount the working copy of task ${taskId}`, { error: e }));
    }
  }

  /** Why a copy must stay (undefined: it may go): task unknown or running, a review pending, younger than `keepMs`. */
  private keepReason(taskId: string, keepMs: number): string | undefined {
    const task = this.services.tasks.get(taskId);
    if (!task) return 'unknown task';
    if (!isTerminal(task.state)) return 'task not finished';
    if (reviewNeedsWorkingCopy(this.services, taskId)) return 'diff awaiting review';
    if (this.services.clock.now() - (task.finishedAt ?? task.updatedAt) < keepMs) return 'within retention';
    return undefined;
  }

  /**
   * Deletes the finished tasks' copies older than `olderThanHours` (default: the configured
   * retention), except those a review needs. Returns what it removed and the disk it freed.
   */
  async gc(olderThanHours?: number): Promise<{ removed: string[]; freedBytes: number; kept: number }> {
    const keepMs = olderThanHours === undefined ? this.keepMs : olderThanHours * HOUR_MS;
    const removed: string[] = [];
    let freedBytes = 0;
    let kept = 0;
    await this.idle();
    for (const taskId of this.names()) {
      if (this.keepReason(taskId, keepMs) || this.sandboxes.list().some((s) => s.taskId === taskId)) {
        kept++;
        continue;
      }
      const path = this.repos.workspacePath(taskId);
      const img = this.volumes?.imageOf(path);
      const bytes = img && existsSync(img) ? statSync(img).blocks * 512 : allocatedBytes(path);
      try {
        await this.remove(taskId);
        removed.push(taskId);
        freedBytes += bytes;
      } catch (e) {
        kept++;
        this.services.logger.warn(`could not delete the working copy of task ${taskId}`, { error: e });
      }
    }
    return { removed, freedBytes, kept };
  }

  /** Deletes the task's working copy if the retention lets it go and no review needs it. Idempotent; never throws. */
  retire(taskId: string, attempt = 0): void {
    if (this.closed || this.busy.has(taskId)) return;
    if (this.keepReason(taskId, this.keepMs)) return;
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
    if (taskId.startsWith('.')) return;
    const path = this.repos.workspacePath(taskId);
    if (this.volumes) await this.volumes.remove(path);
    this.repos.removeWorkspace(taskId); // a copy made without a limit (or what unmounting left)
    this.services.logger.info(`deleted the working copy of task ${taskId}`);
    this.pruneRemovedObjects();
  }

  /** Deletes the objects of removed repositories that no working copy borrows any more. */
  pruneRemovedObjects(): void {
    try {
      for (const id of this.repos.pruneRemovedObjects(this.names())) this.services.logger.info(`deleted the objects of removed repository ${id} (no working copy uses them any more)`);
    } catch (e) {
      this.services.logger.warn('could not delete the objects of a removed repository', { error: e });
    }
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
    clearInterval(this.sweeper);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }
}
