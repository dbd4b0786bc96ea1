/** Helpers to read a task's event trace from a WsTestClient: typed filters, terminal states, summaries. */
import type { EventMessage, EventPayload, EventType } from '@pushpals/protocol';
import type { WsTestClient } from './e2e-env';

export type Ev<T extends EventType> = EventMessage & { type: T; payload: EventPayload<T> };

/** Narrows a list of events to one type (payload typed). */
export function ofType<T extends EventType>(events: readonly EventMessage[], type: T): Array<Ev<T>> {
  return events.filter((e): e is Ev<T> => e.type === type);
}

/** The seq of an event (every server event carries one). */
export function seqOf(e: EventMessage): number {
  return (e as { seq: number }).seq;
}

const TERMINAL = new Set<EventType>(['task_completed', 'task_failed', 'task_cancelled']);

/** Waits for the task's terminal event (completed / failed / cancelled) and returns it. */
export async function waitTerminal(client: WsTestClient, taskId: string, timeoutMs = 120_000): Promise<EventMessage> {
  return client.waitForEvent((e) => TERMINAL.has(e.type) && (e.payload as { taskId?: string }).taskId === taskId, `the end of task ${taskId}`, timeoutMs);
}

/** Waits for the agent to report idle for the task (the last event of a run). */
export async function waitIdle(client: WsTestClient, taskId: string, timeoutMs = 120_000): Promise<EventMessage> {
  return client.waitForEvent(
    (e) => e.type === 'agent_status' && (e.payload as EventPayload<'agent_status'>).taskId === taskId && (e.payload as EventPayload<'agent_status'>).status === 'idle',
    `agent_status idle for task ${taskId}`,
    timeoutMs,
  );
}

/** One line per event of a task, for assertion messages. */
export function trace(client: WsTestClient, taskId: string): string {
  return client
    .forTask(taskId)
    .map((e) => {
      const p = e.payload as Record<string, unknown>;
      const extra =
        e.type === 'agent_status'
          ? ` ${String(p.status)}`
          : e.type === 'tool_call'
            ? ` ${JSON.stringify(p.args)} ${JSON.stringify(p.policy)}`
            : e.type === 'tool_result'
              ? ` ok=${String(p.ok)} exit=${String(p.exitCode)} ${JSON.stringify(String(p.stdout ?? p.output ?? '').slice(0, 160))} stderr=${JSON.stringify(String(p.stderr ?? '').slice(0, 300))}`
              : e.type === 'task_failed'
                ? ` ${JSON.stringify(p.error)}`
                : e.type === 'task_completed'
                  ? ` ${JSON.stringify(p.summary)}`
                  : e.type === 'task_progress'
                    ? ` ${JSON.stringify(p.message)}`
                    : '';
      return `  #${seqOf(e)} ${e.type}${extra}`;
    })
    .join('\n');
}
