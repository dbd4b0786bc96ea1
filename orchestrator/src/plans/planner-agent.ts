/**
 * The planner (`planner`): takes a top-level request, asks the planner model for a plan (checked;
 * a malformed one goes back to the model), stores it with its tickets (each a subtask, shown with
 * `task_created`), waits for a person's approval when `planner.requireApproval` is on, then runs the
 * tickets through the scheduler while its own job is parked (no worker slot held) and finally
 * merges the completed tickets into `pushpals/plan/<task>/main`, proposing the combined change for review. Safe to run again after a crash: a
 * stored plan is not asked for twice, the approval is found again by key, and scheduling is
 * idempotent.
 */
import type { ErrorInfo } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import type { TaskRecord } from '../tasks/task-store';
import type { TaskAgent, TaskContext, TaskOutcome } from '../agents/types';
import { combinedDiff } from './combined-diff';
import { describePlan, draftPlan } from './planner-model';
import { planBranch, type PlanRecord, type TicketRecord } from './plan-store';
import type { Team } from './team';

const MAX_FILES_SHOWN = 300;

const failed = (code: ErrorInfo['code'], message: string, details?: Record<string, unknown>): TaskOutcome => ({ status: 'failed', error: { code, message: message.slice(0, 4096), ...(details ? { details } : {}) } });

export class PlannerAgent implements TaskAgent {
  readonly id = 'planner';

  constructor(private readonly team: Team) {}

  canHandle(task: TaskRecord): boolean {
    return task.parentId === null && this.team.enabled;
  }

  async run(ctx: TaskContext): Promise<TaskOutcome> {
    const { team } = this;
    const task = ctx.task;
    let plan = team.plans.get(task.id);
    try {
      plan ??= await this.makePlan(ctx);
    } catch (e) {
      if (ctx.signal.aborted || !(e instanceof PushPalsError)) throw e;
      return failed(e.code, e.message, e.details);
    }
    if (team.services.config.planner.requireApproval && plan.approvedAt === null) {
      const approval = await ctx.requestApproval({ key: 'plan', kind: 'plan', title: `Plan for: ${task.title}`.slice(0, 200), reason: describePlan(plan, team.plans.tickets(task.id)).slice(0, 4096), risk: 'low' });
      if (approval.state !== 'approved') {
        for (const t of team.plans.tickets(task.id)) if (t.state === 'queued') team.services.cancelTask(t.taskId, 'planner', 'the plan was not approved');
        return failed('approval_denied', `the plan was ${approval.state === 'expired' ? 'not approved in time' : 'denied'}${approval.decisionReason ? `: ${approval.decisionReason}` : ''}`);
      }
      team.plans.markApproved(task.id);
    }
    ctx.progress(`Working on ${team.plans.tickets(task.id).length} ticket(s)`, { step: 'tickets' });
    await ctx.park(team.scheduler.run(task.id, ctx.signal));
    return this.finish(ctx, plan);
  }

  private async makePlan(ctx: TaskContext): Promise<PlanRecord> {
    const { team } = this;
    const task = ctx.task;
    ctx.progress('Reading the current state of the repository', { step: 'plan' });
    const { repo, commit: base } = await team.wb.planBase(task);
    const files = await team.wb.repos.listFiles(repo.id, base);
    ctx.progress(`Planning with ${team.models.endpoint('planner')?.model ?? 'the planner model'}`, { step: 'plan' });
    const call = team.plannerCall(task.id, ctx.signal);
    const workers = await team.availableWorkers();
    const draft = await draftPlan(
      { ...call, onAttempt: (n, problems) => ctx.progress(`The plan was malformed (attempt ${n}): ${problems?.join('; ') ?? ''}`.slice(0, 1000), { step: 'plan' }) },
      { request: task.request, repoName: repo.name, files: files.slice(0, MAX_FILES_SHOWN).concat(files.length > MAX_FILES_SHOWN ? [`... and ${files.length - MAX_FILES_SHOWN} more`] : []), maxTickets: team.services.config.planner.maxTickets, workers },
    );
    const routed = team.route(draft.tickets, task, workers);
    const plan = team.plans.create(task, { repoId: repo.id, baseCommit: base, summary: draft.summary, tickets: routed.tickets });
    const tickets = team.plans.tickets(task.id);
    team.announce(tickets, routed.why);
    ctx.progress(describePlan(plan, tickets).slice(0, 4000), { step: 'plan' });
    return plan;
  }

  /** Merges what completed into the plan's branch; the outcome names every ticket that did not. */
  private async finish(ctx: TaskContext, plan: PlanRecord): Promise<TaskOutcome> {
    const { team } = this;
    const tickets = team.plans.tickets(plan.taskId);
    const done = tickets.filter((t) => t.state === 'completed');
    const repo = team.wb.resolveRepo(plan.repoId);
    let head: string;
    try {
      head = await team.branches.integrate(repo, plan);
    } catch (e) {
      if (e instanceof PushPalsError) return failed(e.code, `the tickets' results do not merge into ${planBranch(plan.taskId)}: ${e.message}`, e.details);
      throw e;
    }
    const line = (t: TicketRecord) => {
      const task = team.services.tasks.get(t.taskId);
      const why = t.state === 'completed' ? task?.summary : (task?.error?.message ?? 'cancelled');
      return `- ${t.key} [${t.state}] ${t.title.replace(/^\S+: /, '')}${why ? `: ${why.split('\n')[0]?.slice(0, 300)}` : ''}`;
    };
    const summary = `${done.length} of ${tickets.length} ticket(s) completed; merged into branch ${planBranch(plan.taskId)} (${head.slice(0, 12)}).\n${tickets.map(line).join('\n')}`;
    if (done.length === tickets.length) {
      // The plan's one result goes to review like a single agent's: hunks, then the accepted-hunk commit.
      const diff = await combinedDiff(repo.mirrorPath, plan.taskId, plan.baseCommit, head);
      if (diff) await team.wb.proposeDiff(ctx, diff);
      return { status: 'completed', summary: summary.slice(0, 8192) };
    }
    const failedTicket = tickets.map((t) => team.services.tasks.get(t.taskId)).find((t) => t?.state === 'failed');
    return failed(failedTicket?.error?.code ?? 'cancelled', summary, { completed: done.length, tickets: tickets.length, branch: planBranch(plan.taskId) });
  }
}
