/**
 * A plan's branches in the orchestrator's clone: each ticket starts from the plan's base commit with
 * the results of the tickets it depends on (directly or not) applied in plan order, its result is a
 * commit on `pushpals/<plan>/t-<ticket>`, and at the end the combined result (plans/verify.ts) is
 * published as `pushpals/<plan>/main`. Results are stacked as a straight line (cherry-picks),
 * never merged criss-cross. Git cannot hold both `pushpals/<task>` and `pushpals/<task>/...`, so a
 * planned task has no `pushpals/<task>` ref.
 */
import { PushPalsError } from '../errors';
import { applyCommit, commitChanges, setRef, type FileChanges } from '../git/commits';
import type { Repo } from '../git';
import { planBranch, ticketBranch, type PlanRecord, type PlanStore, type TicketRecord } from './plan-store';

const heads = (branch: string) => `refs/heads/${branch}`;
const bare = (title: string) => title.replace(/^\S+: /, '');

export class PlanBranches {
  constructor(private readonly plans: PlanStore) {}

  /** `base` with each ticket's result applied in plan order (tickets that changed nothing add nothing). */
  private async stack(repo: Repo, base: string, tickets: readonly TicketRecord[]): Promise<string> {
    let head = base;
    for (const t of [...tickets].sort((a, b) => a.ordinal - b.ordinal)) {
      if (!t.resultCommit) continue;
      head = await applyCommit(repo.mirrorPath, head, t.resultCommit, `${t.key}: ${bare(t.title)}\n\nTicket ${t.taskId} (PushPals).`).catch((e: unknown) => {
        if (e instanceof PushPalsError && e.code === 'conflict') throw new PushPalsError('conflict', `ticket ${t.key}'s result does not apply: ${e.message}`, e.details);
        throw e;
      });
    }
    return head;
  }

  /**
   * Where a ticket starts: the plan's base plus the results of everything it depends on, directly
   * or through another ticket (`conflict` when two of them changed the same lines). Recorded, so a
   * re-run starts from the same commit.
   */
  async ticketBase(repo: Repo, plan: PlanRecord, ticket: TicketRecord): Promise<string> {
    if (ticket.baseCommit) return ticket.baseCommit;
    const all = new Map(this.plans.tickets(plan.taskId).map((t) => [t.taskId, t]));
    const needed = new Map<string, TicketRecord>();
    const visit = (id: string) => {
      const t = all.get(id);
      if (!t || needed.has(id)) return;
      needed.set(id, t);
      t.dependsOn.forEach(visit);
    };
    ticket.dependsOn.forEach(visit);
    const notDone = [...needed.values()].filter((d) => d.state !== 'completed');
    if (notDone.length) throw new PushPalsError('conflict', `ticket ${ticket.key} cannot start: ${notDone.map((d) => `${d.key} is ${d.state}`).join(', ')}`);
    const base = await this.stack(repo, plan.baseCommit, [...needed.values()]).catch((e: unknown) => {
      if (e instanceof PushPalsError) throw new PushPalsError('conflict', `ticket ${ticket.key} cannot start from its dependencies' results: ${e.message}`, e.details);
      throw e;
    });
    this.plans.setBase(ticket.taskId, base);
    return base;
  }

  /** The ticket's changes as a commit on its branch (from its base); undefined when nothing changed. */
  async commitTicket(repo: Repo, plan: PlanRecord, ticket: TicketRecord, changes: FileChanges): Promise<string | undefined> {
    const base = ticket.baseCommit ?? plan.baseCommit;
    const ref = heads(ticketBranch(plan.taskId, ticket.taskId));
    if (changes.size === 0) {
      await setRef(repo.mirrorPath, ref, base);
      return undefined;
    }
    const oid = await commitChanges(repo.mirrorPath, { base, changes, ref, message: `${ticket.key}: ${bare(ticket.title)}\n\nTicket ${ticket.taskId} of task ${plan.taskId} (PushPals).` });
    this.plans.setResult(ticket.taskId, oid);
    return oid;
  }

  /** Points the plan's branch at its combined result (plans/verify.ts builds it) and records it. */
  async publish(repo: Repo, plan: PlanRecord, head: string): Promise<void> {
    await setRef(repo.mirrorPath, heads(planBranch(plan.taskId)), head);
    this.plans.setIntegrated(plan.taskId, head);
  }
}
