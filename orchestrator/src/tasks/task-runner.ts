/**
 * Runs tasks: the handler of the `task.run` queue. Picks an agent, moves the task through its
 * states and turns the agent's outcome (or exception) into task_completed / task_failed. Runs as a
 * queue job, so many tasks run at once (worker concurrency) and a crash re-runs the task.
 */
import { MAX_MESSAGE_LENGTH, type EventPayload, type EventType } from '@pushpals/protocol';
import type { AgentRegistry } from '../agents/registry';
import type { TaskContext } from '../agents/types';
import type { ApprovalService } from '../approvals/approvals';
import { PushPalsError, toErrorInfo } from '../errors';
import type { EventLog } from '../events/event-log';
import type { Logger } from '../log';
import type { JobContext } from '../queue/worker';
import type { JobRecord } from '../queue/types';
import type { TaskPauses } from './task-pauses';
import { isTerminal, type TaskRecord, type TaskStore } from './task-store';

/** What running a task uses of the services (services.ts hands over the real ones). */
export interface TaskRunnerServices {
  readonly logger: Logger;
  readonly events: Pick<EventLog, 'append'>;
  readonly tasks: Pick<TaskStore, 'get' | 'require' | 'markStarted' | 'setWaiting' | 'complete' | 'fail'>;
  readonly approvals: Pick<ApprovalService, 'request' | 'wait'>;
  readonly agents: Pick<AgentRegistry, 'pick'>;
  readonly pauses?: Pick<TaskPauses, 'gate'>;
}

export const TASK_QUEUE = 'task.run';

export interface TaskJobPayload {
  taskId: string;
}

export function isTaskJobPayload(p: unknown): p is TaskJobPayload {
  return typeof p === 'object' && p !== null && typeof (p as { taskId?: unknown }).taskId === 'string';
}

/**
 * The context an agent (or any job acting for a task, e.g. the commit of a review) works in: events
 * from `agentId` in the task's session, approvals that park the job while a person decides.
 */
export function makeTaskContext(services: Pick<TaskRunnerServices, 'events' | 'tasks' | 'approvals' | 'pauses'>, task: TaskRecord, agentId: string, job: JobRecord, jctx: JobContext): TaskContext {
  const { events, approvals, tasks } = services;
  const gate = services.pauses?.gate(task.id);
  return {
    task,
    agentId,
    signal: jctx.signal,
    attempt: job.attempts,
    emit: <K extends EventType>(type: K, payload: EventPayload<K>) =>
      events.append({ type, payload, sessionId: task.sessionId, taskId: task.id, from: agentId } as Parameters<typeof events.append<K>>[0]),
    progress: (message, opts = {}) => {
      events.append({ type: 'task_progress', sessionId: task.sessionId, from: agentId, payload: { taskId: task.id, message: message.slice(0, MAX_MESSAGE_LENGTH), ...opts } });
    },
    requestApproval: async (req) => {
      const { approval } = approvals.request({ ...req, taskId: task.id, sessionId: task.sessionId });
      if (approval.state !== 'pending') return approval;
      tasks.setWaiting(task.id, true);
      try {
        return await jctx.park(approvals.wait(approval.id, jctx.signal)); // a waiting task frees its worker slot
      } finally {
        tasks.setWaiting(task.id, false);
      }
    },
    heartbeat: jctx.heartbeat,
    park: (p) => jctx.park(p),
    ...(gate
      ? {
          pause: {
            get paused() {
              return gate.paused;
            },
            onChange: (fn) => gate.onChange(fn),
            // A paused task frees its worker slot (the lease is still kept).
            wait: (signal) => (gate.paused ? jctx.park(gate.wait(signal)) : Promise.resolve()),
          },
        }
      : {}),
  };
}

export async function runTaskJob(services: TaskRunnerServices, job: JobRecord, jctx: JobContext): Promise<void> {
  if (!isTaskJobPayload(job.payload)) throw new PushPalsError('invalid_message', `task.run job ${job.id} has no taskId`);
  const { tasks, events, logger } = services;
  const task = tasks.get(job.payload.taskId);
  if (!task || isTerminal(task.state)) return; // cancelled (or gone) before it started: nothing to do
  const agent = await services.agents.pick(task);
  const agentId = agent.id;
  const status = (s: 'idle' | 'busy' | 'error') =>
    events.append({ type: 'agent_status', sessionId: task.sessionId, from: agentId, payload: { agentId, status: s, taskId: task.id } });

  status('busy');
  if (!tasks.markStarted(task.id, agentId)) return;
  const ctx = makeTaskContext(services, tasks.require(task.id), agentId, job, jctx);

  try {
    const outcome = await agent.run(ctx);
    if (jctx.signal.aborted) return; // cancelled or shutting down: the canceller / the next run owns the outcome
    if (outcome.status === 'completed') tasks.complete(task.id, outcome.summary, agentId);
    else tasks.fail(task.id, outcome.error, agentId);
  } catch (e) {
    if (jctx.signal.aborted) return;
    logger.warn('agent failed', { taskId: task.id, agentId, error: e });
    const info = e instanceof PushPalsError ? e.toInfo() : { ...toErrorInfo(e), message: `agent ${agentId} crashed: ${e instanceof Error ? e.message : String(e)}`.slice(0, MAX_MESSAGE_LENGTH) };
    tasks.fail(task.id, info, agentId);
  } finally {
    if (!jctx.signal.aborted || jctx.signal.reason !== 'shutdown') status('idle');
  }
}
