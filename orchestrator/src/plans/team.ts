/**
 * The team: what the planner and the coding agents share about plans — the plan store, the
 * scheduler, the branches, the planner's model, and a plan's token budget (the plan task and all
 * its tickets draw on one `agent.tokenBudget`). Built by the composition root (workbench-setup.ts)
 * when models are configured; plans are made when `planner.enabled` is on and a planner model is.
 */
import { TokenBudget } from '../model/accounting';
import { auditModelCalls } from '../model/audit';
import type { ModelClient } from '../model/client';
import type { ModelRegistry } from '../model/registry';
import { stmt } from '../store/statements';
import type { TaskRecord } from '../tasks/task-store';
import type { TreeChecks } from '../checks/run';
import { PlanBranches } from './branches';
import type { PlannerCall } from './planner-model';
import { PlanStore, type PlanRecord, type TicketRecord } from './plan-store';
import { PlanScheduler } from './scheduler';
import type { TeamServices, TeamWorkbench } from './ports';

export type { TeamServices, TeamWorkbench } from './ports';

export interface TicketBrief {
  ticket: TicketRecord;
  plan: PlanRecord;
  planTask: TaskRecord;
}

export class Team {
  readonly plans: PlanStore;
  readonly scheduler: PlanScheduler;
  readonly branches: PlanBranches;

  constructor(
    readonly services: TeamServices,
    readonly wb: TeamWorkbench,
    readonly models: Pick<ModelRegistry, 'configured' | 'client' | 'endpoint'>,
    /** The repository's checks on one tree (checks/): a plan's base and combined result are verified with them. */
    readonly checks?: Pick<TreeChecks, 'run'>,
  ) {
    this.plans = new PlanStore(services.db, services.tasks, services.clock);
    this.scheduler = new PlanScheduler(services, this.plans);
    this.branches = new PlanBranches(this.plans);
  }

  /** Requests are planned: planner.enabled, and models for the planner and the coders. */
  get enabled(): boolean {
    return this.services.config.planner.enabled && this.models.configured('planner') && this.models.configured('coder');
  }

  /** The ticket a task is, with its plan; undefined for a task that is no ticket. */
  brief(taskId: string): TicketBrief | undefined {
    const ticket = this.plans.ticket(taskId);
    const plan = ticket && this.plans.get(ticket.planId);
    const planTask = ticket && this.services.tasks.get(ticket.planId);
    return ticket && plan && planTask ? { ticket, plan, planTask } : undefined;
  }

  /** The task whose budget a task draws on: a ticket's plan, else the task itself. */
  budgetOwner(taskId: string): string {
    return this.plans.ticket(taskId)?.planId ?? taskId;
  }

  /** Tokens spent by a task and, for a plan, all its tickets (summed from the audit trail: survives restarts). */
  tokensSpent(ownerId: string): number {
    const n = stmt(
      this.services.db,
      `SELECT COALESCE(SUM(json_extract(data, '$.totalTokens')), 0) FROM audit_log
       WHERE action = 'model_call' AND (task_id = @id OR task_id IN (SELECT task_id FROM tickets WHERE plan_id = @id))`,
    )
      .pluck()
      .get({ id: ownerId }) as number;
    return Number(n) || 0;
  }

  /** Throws budget_exceeded when the owner's budget is spent (checked before each model call). */
  checkBudget(ownerId: string): TokenBudget {
    const budget = new TokenBudget(this.services.config.agent.tokenBudget, this.tokensSpent(ownerId));
    budget.check();
    return budget;
  }

  /** The planner model, its calls audited against the plan (so they count in its budget). */
  plannerCall(planId: string, signal: AbortSignal): PlannerCall & { client: ModelClient } {
    const client = this.models.client('planner', { onCall: auditModelCalls(this.wb.audit, { taskId: planId, actor: 'planner' }) });
    return { client, maxAttempts: this.services.config.planner.maxAttempts, signal, beforeCall: () => void this.checkBudget(planId) };
  }
}
