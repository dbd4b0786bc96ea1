/**
 * The agent interface: how task agents (the heuristic lane, the built-in LLM agent, OpenHands)
 * plug into the orchestrator. The scheduler picks the first registered agent whose `canHandle`
 * accepts the task, and calls `run` inside a queue job (so a crash re-runs it after restart).
 *
 * Agents report through `ctx.emit` (protocol events tied to the task) and return an outcome; the
 * task runner turns it into task_completed / task_failed. Everything an agent does must be safe to
 * run again: after a crash the job runs again from the start (use idempotency keys for approvals).
 */
import type { ErrorInfo, EventMessage, EventPayload, EventType } from '@pushpals/protocol';
import type { ApprovalRecord, ApprovalRequest } from '../approvals/approvals';
import type { PauseGate } from '../tasks/task-pauses';
import type { TaskRecord } from '../tasks/task-store';

export type TaskOutcome = { status: 'completed'; summary: string } | { status: 'failed'; error: ErrorInfo };

export interface TaskContext {
  readonly task: TaskRecord;
  /** The agent's wire name (e.g. `worker:1`), used as `from` of its events. */
  readonly agentId: string;
  /** Fires on cancellation, lost lease or shutdown: stop promptly (kill running commands). */
  readonly signal: AbortSignal;
  /** 1 on the first run; higher after a crash or a retried failure. */
  readonly attempt: number;
  /** Emits an event in the task's session, from this agent. */
  emit<K extends EventType>(type: K, payload: EventPayload<K>): EventMessage<K>;
  /** Shorthand for task_progress. */
  progress(message: string, opts?: { step?: string; percent?: number }): void;
  /**
   * Asks a person and waits: the task shows `awaiting_approval` meanwhile. `key` must be stable
   * across re-runs (e.g. `patch:README.md`): after a restart the same approval is found again.
   * Resolves with the decided approval (state approved/denied/expired); rejects if `signal` aborts.
   */
  requestApproval(req: Omit<ApprovalRequest, 'taskId' | 'sessionId' | 'key'> & { key: string }): Promise<ApprovalRecord>;
  /** Extends the job's lease now (also done automatically). False: the lease is lost — stop. */
  heartbeat(): boolean;
  /**
   * Awaits `p` without holding a worker slot (e.g. a plan waiting for its tickets): other jobs run
   * meanwhile; the lease is still kept.
   */
  park<T>(p: Promise<T>): Promise<T>;
  /**
   * Pause / resume by a person (task_pause): `await ctx.pause?.wait(signal)` before each model call
   * and each tool call; the job is parked (its worker slot free) while paused. Absent outside tasks.
   */
  readonly pause?: PauseGate;
}

export interface TaskAgent {
  /** Wire name, e.g. `heuristic`, `worker:builtin`, `openhands`. Must match the protocol's AgentName. */
  readonly id: string;
  canHandle(task: TaskRecord): boolean | Promise<boolean>;
  run(ctx: TaskContext): Promise<TaskOutcome>;
}
