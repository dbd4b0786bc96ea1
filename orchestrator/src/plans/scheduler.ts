/**
 * Runs a plan's tickets in DAG order: a ticket becomes a `task.run` job (the durable queue: leases,
 * recovery after a crash) once every ticket it depends on completed; one whose dependency failed or
 * was cancelled is cancelled, saying which. Ticket jobs of one plan share a fairness group, so plans
 * take turns for worker slots (round-robin by task). Every step is idempotent (jobs are keyed by
 * ticket): after a restart the plan's job calls it again and nothing runs twice.
 */
import { TASK_QUEUE } from '../tasks/task-runner';
import { isTerminal } from '../tasks/task-store';
import type { PlanStore, TicketRecord } from './plan-store';
import type { TeamServices } from './ports';

const TERMINAL_EVENTS = new Set(['task_completed', 'task_failed', 'task_cancelled']);
/** A safety net for changes this process is not told about (another process on the same DB). */
const POLL_MS = 1000;

export const ticketJobKey = (ticketId: string): string => `${TASK_QUEUE}:${ticketId}`;

export class PlanScheduler {
  constructor(
    private readonly services: TeamServices,
    private readonly plans: PlanStore,
  ) {}

  /** Starts what is ready, cancels what cannot run any more. True when every ticket is final. */
  step(planId: string): boolean {
    const { services } = this;
    const tickets = this.plans.tickets(planId);
    const byId = new Map(tickets.map((t) => [t.taskId, t]));
    for (const t of tickets) {
      if (t.state !== 'queued') continue;
      const deps = t.dependsOn.map((id) => byId.get(id)).filter((d): d is TicketRecord => d !== undefined);
      const blocked = deps.find((d) => d.state === 'failed' || d.state === 'cancelled');
      if (blocked) {
        services.cancelTask(t.taskId, 'planner', `ticket ${blocked.key} it depends on ${blocked.state === 'failed' ? 'failed' : 'was cancelled'}`);
        t.state = 'cancelled';
        continue;
      }
      if (deps.every((d) => d.state === 'completed')) {
        services.queue.enqueue({ queue: TASK_QUEUE, payload: { taskId: t.taskId }, taskId: t.taskId, sessionId: services.tasks.require(t.taskId).sessionId, key: ticketJobKey(t.taskId), fairGroup: planId });
      }
    }
    // A cancellation above may have made more tickets final: their dependents go in the next step.
    return tickets.every((t) => isTerminal(t.state)) && this.plans.tickets(planId).every((t) => isTerminal(t.state));
  }

  /** Schedules until every ticket of the plan is final; rejects when `signal` aborts. */
  async run(planId: string, signal: AbortSignal): Promise<void> {
    let wake: (() => void) | undefined;
    const off = this.services.events.onEvent((e) => {
      if (TERMINAL_EVENTS.has(e.type)) wake?.();
    });
    try {
      for (;;) {
        signal.throwIfAborted();
        if (this.step(planId)) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, POLL_MS);
          function done(): void {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          }
          wake = () => setImmediate(done); // after the event's transaction has committed
          signal.addEventListener('abort', done, { once: true });
        });
      }
    } finally {
      off();
    }
  }
}
