/**
 * The planner (`planner`): takes a top-level request, asks the planner model for a plan (checked;
 * a malformed one goes back to the model), stores it with its tickets (each a subtask, shown with
 * `task_created`), waits for a person's approval when `planner.requireApproval` is on, then runs the
 * tickets through the scheduler while its own job is parked (no worker slot held) — the same checks
 * run on the plan's base meanwhile — and finally combines the completed tickets into
 * `pushpals/plan/<task>/main` and verifies the result (plans/verify.ts: checks, attribution, fix-ups),
 * proposing the combined change with its evidence for review. Safe to run again after a crash: a
 * stored plan is not asked for twice, the approval is found again by key, and scheduling is
 * idempotent.
 */
import type { ErrorInfo } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import type { TaskRecord } from '../tasks/task-store';
import type { TaskAgent, TaskContext, TaskOutcome } from '../agents/types';
import type { TreeCheckReport } from '../checks/types';
import { PlanChecks } from './check-cache';
import { combineOrder, stackResults } from './combine';
import { combinedDiff } from './combined-diff';
import { conflictHunks } from './conflicts';
import { runFixUp } from './fixup';
import { checksLine, conflictText, evidenceOf, failingText, type Evidence } from './plan-report';
import { describePlan, draftPlan } from './planner-model';
import { planBranch, ticketBranch, type PlanRecord, type TicketRecord } from './plan-store';
import { combineAndVerify, type UnresolvedConflict, type Verified } from './verify';
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
    // The base's checks run while the tickets do (not after them): "3 failing before, 0 after".
    const repo = team.wb.resolveRepo(plan.repoId);
    const checks = team.checks && new PlanChecks(team.checks, ctx, repo);
    const base = checks ? checks.run({ commit: plan.baseCommit, phase: 'base' }).catch((e: unknown) => this.baseFailed(ctx, e)) : Promise.resolve(undefined);
    await ctx.park(team.scheduler.run(task.id, ctx.signal));
    return this.finish(ctx, plan, checks, base);
  }

  /** The base's checks could not run: the evidence has no `before` (and every failing check counts as new). */
  private baseFailed(ctx: TaskContext, e: unknown): undefined {
    if (ctx.signal.aborted) return undefined;
    ctx.emit('log', { level: 'warn', taskId: ctx.task.id, message: `The checks on the plan's base could not run: ${e instanceof Error ? e.message : String(e)}`.slice(0, 4000) });
    return undefined;
  }

  private async makePlan(ctx: TaskContext): Promise<PlanRecord> {
    const { team } = this;
    const task = ctx.task;
    ctx.progress('Reading the current state of the repository', { step: 'plan' });
    const { repo, commit: base } = await team.wb.planBase(task);
    const files = await team.wb.repos.listFiles(repo.id, base);
    ctx.progress(`Planning with ${team.models.endpoint('planner')?.model ?? 'the planner model'}`, { step: 'plan' });
    const call = team.plannerCall(task.id, ctx.signal);
    const draft = await draftPlan(
      { ...call, onAttempt: (n, problems) => ctx.progress(`The plan was malformed (attempt ${n}): ${problems?.join('; ') ?? ''}`.slice(0, 1000), { step: 'plan' }) },
      { request: task.request, repoName: repo.name, files: files.slice(0, MAX_FILES_SHOWN).concat(files.length > MAX_FILES_SHOWN ? [`... and ${files.length - MAX_FILES_SHOWN} more`] : []), maxTickets: team.services.config.planner.maxTickets },
    );
    const plan = team.plans.create(task, { repoId: repo.id, baseCommit: base, summary: draft.summary, tickets: draft.tickets });
    ctx.progress(describePlan(plan, team.plans.tickets(task.id)).slice(0, 4000), { step: 'plan' });
    return plan;
  }

  /**
   * Combines what completed into the plan's branch. When every ticket completed: combine, then verify
   * (plans/verify.ts), and propose the result with its evidence — also with a conflict left out or a
   * check still failing, which the outcome and a log name (the person decides; a failed task could
   * not be reviewed). Otherwise the task fails naming every ticket that did not complete.
   */
  private async finish(ctx: TaskContext, plan: PlanRecord, checks: PlanChecks | undefined, base: Promise<TreeCheckReport | undefined>): Promise<TaskOutcome> {
    const { team } = this;
    const own = team.plans.tickets(plan.taskId).filter((t) => t.fixes === null);
    const done = own.filter((t) => t.state === 'completed');
    const repo = team.wb.resolveRepo(plan.repoId);
    const line = (t: TicketRecord) => {
      const task = team.services.tasks.get(t.taskId);
      const why = t.state === 'completed' ? task?.summary : (task?.error?.message ?? 'cancelled');
      return `- ${t.key} [${t.state}] ${t.title.replace(/^\S+: /, '')}${why ? `: ${why.split('\n')[0]?.slice(0, 300)}` : ''}`;
    };
    const head0 = (head: string) => `${done.length} of ${own.length} ticket(s) completed; merged into branch ${planBranch(plan.taskId)} (${head.slice(0, 12)}).\n${own.map(line).join('\n')}`;
    if (done.length < own.length || !checks) {
      // Nothing is verified or fixed: what completed is combined, a conflict left out and reported.
      const unresolved: UnresolvedConflict[] = [];
      const { head } = await stackResults(repo.mirrorPath, plan.baseCommit, combineOrder(done), async (c) => {
        unresolved.push({ ticket: c.ticket, files: c.files, hunks: await conflictHunks(repo.mirrorPath, c.ticket.resultCommit ?? '', c.head, c.files), why: done.length < own.length ? 'not every ticket completed: no fix-up runs' : 'no checks service: no fix-up runs' });
        return undefined;
      });
      await base.catch(() => undefined);
      await team.branches.publish(repo, plan, head);
      this.reportConflicts(ctx, plan, unresolved);
      const summary = [head0(head), ...unresolved.map((u) => conflictText(plan, u, 2000))].join('\n');
      if (done.length === own.length) return this.propose(ctx, repo.mirrorPath, plan, head, undefined, summary);
      const failedTicket = own.map((t) => team.services.tasks.get(t.taskId)).find((t) => t?.state === 'failed');
      return failed(failedTicket?.error?.code ?? 'cancelled', summary, { completed: done.length, tickets: own.length, branch: planBranch(plan.taskId) });
    }
    let v: Verified;
    try {
      v = await combineAndVerify({
        mirror: repo.mirrorPath,
        plan,
        maxFixRounds: team.services.config.planner.maxFixRounds,
        canFix: team.models.configured('coder'),
        tickets: () => team.plans.tickets(plan.taskId),
        checks: (req) => checks.run(req),
        base: base,
        fixUp: (spec) => runFixUp(team, ctx, plan, spec),
        note: (message) => ctx.progress(message.slice(0, 4000), { step: 'verify' }),
      });
    } catch (e) {
      // The tickets' branches are kept; nothing was proposed.
      if (ctx.signal.aborted || !(e instanceof PushPalsError)) throw e;
      return failed(e.code, `combining and checking the tickets' results failed: ${e.message}`, { ...e.details, branch: planBranch(plan.taskId) });
    }
    await team.branches.publish(repo, plan, v.head);
    this.reportConflicts(ctx, plan, v.unresolved);
    if (v.failing.length) ctx.emit('log', { level: 'warn', taskId: plan.taskId, message: failingText(v) });
    const fixUps = team.plans.tickets(plan.taskId).filter((t) => t.fixes !== null);
    const summary = [
      head0(v.head),
      ...(fixUps.length ? ['Fix-ups:', ...fixUps.map(line)] : []),
      checksLine(v),
      ...(v.failing.length ? [failingText(v)] : []),
      ...v.unresolved.map((u) => conflictText(plan, u, 3000)),
    ].join('\n');
    return this.propose(ctx, repo.mirrorPath, plan, v.head, evidenceOf(v), summary);
  }

  /** The combined change (base → head) goes to review like a single agent's: hunks, then the accepted-hunk commit. */
  private async propose(ctx: TaskContext, mirror: string, plan: PlanRecord, head: string, evidence: Evidence | undefined, summary: string): Promise<TaskOutcome> {
    const diff = await combinedDiff(mirror, plan.taskId, plan.baseCommit, head);
    if (diff) await this.team.wb.proposeDiff(ctx, { ...diff, ...(evidence ? { evidence } : {}) });
    return { status: 'completed', summary: summary.slice(0, 16_384) };
  }

  /** Each conflict left out: named in a progress note, its hunks in a warning log and in the audit trail. */
  private reportConflicts(ctx: TaskContext, plan: PlanRecord, unresolved: readonly UnresolvedConflict[]): void {
    for (const u of unresolved) {
      const branch = ticketBranch(plan.taskId, u.ticket.taskId);
      ctx.progress(`Not combined: ${u.ticket.key}'s result conflicts in ${u.files.join(', ') || 'some files'} (${u.why}); kept on branch ${branch}`.slice(0, 4000), { step: 'verify' });
      ctx.emit('log', { level: 'warn', taskId: plan.taskId, message: conflictText(plan, u, 60_000) });
      this.team.wb.audit.append({ taskId: plan.taskId, actor: ctx.agentId, action: 'plan_conflict', data: { ticketId: u.ticket.taskId, key: u.ticket.key, branch, resultCommit: u.ticket.resultCommit, files: u.files, why: u.why, hunks: u.hunks } });
    }
  }
}
