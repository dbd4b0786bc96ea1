/**
 * Plans and tickets, persisted (migration 005): a plan belongs to the task it plans; each ticket is
 * itself a task (`parentId` = the plan's task, shown with `task_created`) plus a `tickets` row with
 * its place in the DAG, scope, acceptance criteria, checks and the commits it starts from and ends
 * at. Creating a plan writes everything in one transaction: a crash leaves all of it or nothing.
 */
import type { TaskState } from '@pushpals/protocol';
import type { Db } from '../store/db';
import { stmt } from '../store/statements';
import type { TaskRecord, TaskStore } from '../tasks/task-store';
import type { Clock } from '../util/clock';
import { dependencyOrder, type TicketSpec } from './plan-schema';

export interface PlanRecord {
  taskId: string;
  repoId: string;
  /** Every ticket without dependencies starts here. */
  baseCommit: string;
  summary: string;
  approvedAt: number | null;
  integratedCommit: string | null;
  createdAt: number;
}

export interface TicketRecord {
  taskId: string;
  planId: string;
  ordinal: number;
  /** The planner's id for it (e.g. `T1`): how the plan, the prompts and a person refer to it. */
  key: string;
  title: string;
  description: string;
  state: TaskState;
  /** Task ids of the tickets it depends on. */
  dependsOn: string[];
  scope: string[];
  acceptance: string[];
  checks: string[];
  baseCommit: string | null;
  resultCommit: string | null;
  /** A fix-up ticket: the task id of the ticket it stands for, how, and its number in the plan. */
  fixes: string | null;
  fixKind: FixKind | null;
  fixRound: number | null;
}

/** `conflict`: re-applies a ticket whose result did not apply (takes its place); `regression`: repairs what the checks found (stacked on top). */
export type FixKind = 'conflict' | 'regression';

/** What a fix-up ticket is made from (plans/fixup.ts writes its brief). */
export interface FixUpSpec {
  fixes: TicketRecord;
  kind: FixKind;
  round: number;
  title: string;
  description: string;
  /** The commit it starts from: the combined result so far. */
  base: string;
}

interface TicketRow {
  task_id: string;
  plan_id: string;
  ordinal: number;
  key: string;
  depends_json: string;
  scope_json: string;
  acceptance_json: string;
  checks_json: string;
  base_commit: string | null;
  result_commit: string | null;
  fixes: string | null;
  fix_kind: FixKind | null;
  fix_round: number | null;
  title: string;
  request: string;
  state: TaskState;
}

const toTicket = (r: TicketRow): TicketRecord => ({
  taskId: r.task_id,
  planId: r.plan_id,
  ordinal: r.ordinal,
  key: r.key,
  title: r.title,
  description: r.request,
  state: r.state,
  dependsOn: JSON.parse(r.depends_json) as string[],
  scope: JSON.parse(r.scope_json) as string[],
  acceptance: JSON.parse(r.acceptance_json) as string[],
  checks: JSON.parse(r.checks_json) as string[],
  baseCommit: r.base_commit,
  resultCommit: r.result_commit,
  fixes: r.fixes,
  fixKind: r.fix_kind,
  fixRound: r.fix_round,
});

const TICKET_SELECT = `SELECT k.*, t.title, t.request, t.state FROM tickets k JOIN tasks t ON t.id = k.task_id`;

export class PlanStore {
  constructor(
    private readonly db: Db,
    private readonly tasks: TaskStore,
    private readonly clock: Clock,
  ) {}

  get(planId: string): PlanRecord | undefined {
    const r = stmt(this.db, 'SELECT * FROM plans WHERE task_id = ?').get(planId) as
      | { task_id: string; repo_id: string; base_commit: string; summary: string; approved_at: number | null; integrated_commit: string | null; created_at: number }
      | undefined;
    return r && { taskId: r.task_id, repoId: r.repo_id, baseCommit: r.base_commit, summary: r.summary, approvedAt: r.approved_at, integratedCommit: r.integrated_commit, createdAt: r.created_at };
  }

  tickets(planId: string): TicketRecord[] {
    return (stmt(this.db, `${TICKET_SELECT} WHERE k.plan_id = ? ORDER BY k.ordinal`).all(planId) as TicketRow[]).map(toTicket);
  }

  ticket(taskId: string): TicketRecord | undefined {
    const r = stmt(this.db, `${TICKET_SELECT} WHERE k.task_id = ?`).get(taskId) as TicketRow | undefined;
    return r && toTicket(r);
  }

  /** The plan, its tickets (as tasks: `task_created` each, parentId = the plan) and the DAG, atomically. */
  create(plan: TaskRecord, o: { repoId: string; baseCommit: string; summary: string; tickets: readonly TicketSpec[] }): PlanRecord {
    return this.tx(() => {
      stmt(this.db, 'INSERT INTO plans (task_id, repo_id, base_commit, summary, created_at) VALUES (?, ?, ?, ?, ?)').run(plan.id, o.repoId, o.baseCommit, o.summary, this.clock.now());
      this.insertTickets(plan, o.repoId, o.tickets, []);
      return this.get(plan.id) as PlanRecord;
    });
  }

  /** More tickets for a plan (a split); each also depends on `alsoAfter` (task ids). */
  addTickets(planId: string, specs: readonly TicketSpec[], alsoAfter: readonly string[]): TicketRecord[] {
    return this.tx(() => {
      const plan = this.tasks.require(planId);
      const record = this.get(planId);
      if (!record) throw new Error(`no plan ${planId}`);
      const ids = this.insertTickets(plan, record.repoId, specs, alsoAfter);
      return ids.map((id) => this.ticket(id) as TicketRecord);
    });
  }

  private insertTickets(plan: TaskRecord, repoId: string, specs: readonly TicketSpec[], alsoAfter: readonly string[]): string[] {
    const existing = this.tickets(plan.id);
    const byKey = new Map(existing.map((t) => [t.key, t.taskId]));
    let ordinal = existing.reduce((m, t) => Math.max(m, t.ordinal), 0);
    const created: string[] = [];
    for (const spec of dependencyOrder(specs)) {
      // The built-in coding agent works tickets (plan branches, ask_planner), whatever agents.default says.
      const task = this.tasks.create({ request: spec.description, title: `${spec.id}: ${spec.title}`, sessionId: plan.sessionId, parentId: plan.id, repoId, context: { agent: 'worker:builtin' } });
      const deps = [...new Set([...spec.dependsOn.map((k) => byKey.get(k) as string), ...alsoAfter])];
      stmt(this.db, 'INSERT INTO tickets (task_id, plan_id, ordinal, key, depends_json, scope_json, acceptance_json, checks_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        task.id,
        plan.id,
        ++ordinal,
        spec.id,
        JSON.stringify(deps),
        JSON.stringify(spec.scope),
        JSON.stringify(spec.acceptance),
        JSON.stringify(spec.checks),
      );
      byKey.set(spec.id, task.id);
      created.push(task.id);
    }
    return created;
  }

  /**
   * A fix-up ticket (a task of the plan, shown with `task_created`) for the same worker as the ticket
   * it fixes, starting from `spec.base`; its key is `<ticket>-fix<round>`. Returns the stored one when
   * it exists (a re-run after a crash).
   */
  addFixUp(planId: string, spec: FixUpSpec): TicketRecord {
    return this.tx(() => {
      const all = this.tickets(planId);
      const same = all.find((t) => t.fixRound === spec.round && t.fixes === spec.fixes.taskId && t.fixKind === spec.kind);
      if (same) return same;
      // The round is taken by a different fix-up (a re-run whose checks said otherwise): the next free number.
      const round = all.some((t) => t.fixRound === spec.round) ? Math.max(...all.map((t) => t.fixRound ?? 0)) + 1 : spec.round;
      const plan = this.tasks.require(planId);
      const origin = this.tasks.require(spec.fixes.taskId);
      const key = `${spec.fixes.key}-fix${round}`;
      const task = this.tasks.create({ request: spec.description, title: `${key}: ${spec.title}`, sessionId: plan.sessionId, parentId: plan.id, ...(origin.repoId ? { repoId: origin.repoId } : {}), context: { agent: origin.context?.agent ?? 'worker:builtin' } });
      const ordinal = this.tickets(planId).reduce((m, t) => Math.max(m, t.ordinal), 0) + 1;
      stmt(
        this.db,
        'INSERT INTO tickets (task_id, plan_id, ordinal, key, depends_json, scope_json, acceptance_json, checks_json, base_commit, fixes, fix_kind, fix_round) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(task.id, planId, ordinal, key, '[]', JSON.stringify(spec.fixes.scope), JSON.stringify(spec.fixes.acceptance), JSON.stringify(spec.fixes.checks), spec.base, spec.fixes.taskId, spec.kind, round);
      return this.ticket(task.id) as TicketRecord;
    });
  }

  markApproved(planId: string): void {
    stmt(this.db, 'UPDATE plans SET approved_at = COALESCE(approved_at, ?) WHERE task_id = ?').run(this.clock.now(), planId);
  }

  setBase(ticketId: string, oid: string): void {
    stmt(this.db, 'UPDATE tickets SET base_commit = ? WHERE task_id = ?').run(oid, ticketId);
  }

  setResult(ticketId: string, oid: string): void {
    stmt(this.db, 'UPDATE tickets SET result_commit = ? WHERE task_id = ?').run(oid, ticketId);
  }

  setIntegrated(planId: string, oid: string): void {
    stmt(this.db, 'UPDATE plans SET integrated_commit = ? WHERE task_id = ?').run(oid, planId);
  }

  private tx<T>(fn: () => T): T {
    const run = this.db.transaction(fn);
    return this.db.inTransaction ? run() : run.immediate();
  }
}

/** Branch names: a plan's integration branch and its tickets' branches never clash as git refs. */
/**
 * A plan's branches live under `pushpals/plan/<task>/`, apart from the task branch `pushpals/<task>` the
 * review commits the accepted hunks on (git cannot hold `pushpals/<task>` and `pushpals/<task>/...` at once).
 */
export const planBranch = (planId: string): string => `pushpals/plan/${planId}/main`;
export const ticketBranch = (planId: string, ticketId: string): string => `pushpals/plan/${planId}/t-${ticketId}`;
