/**
 * Small interfaces (ports) that several consumers share, so that command handlers, chat responders
 * and agents can depend on what they use instead of on the whole services object (services.ts).
 * Types only: this module must never import anything at run time.
 */
import type { CreateTaskInput, TaskRecord } from './tasks/task-store';

export interface SessionStore {
  /** Creates the session on first sight, refreshes last_seen_at after. */
  touch(sessionId: string, clientName?: string): void;
}

/** Task operations that span several stores (task, queue, approvals, worker): services.ts implements them. */
export interface TaskCommands {
  /**
   * Creates a task and enqueues its `task.run` job, atomically — after the task admission (if one is
   * set) accepted it: a task that cannot run (e.g. its repository is unknown or ambiguous) is
   * refused here, never accepted and failed later.
   */
  createTask(input: CreateTaskInput): TaskRecord;
  /** Cancels a task: its jobs, its pending approvals (denied), its running handler (aborted), its live subtasks. */
  cancelTask(taskId: string, by: string, reason?: string): TaskRecord;
  /** Pauses (true) or resumes a live task: stored, announced (task_paused / task_resumed), and told to its running agent. */
  setTaskPaused(taskId: string, paused: boolean, by: string): TaskRecord;
}
