/**
 * A plan's check runs, cached by (repository, git tree id): the stack's layers, the combined tree and
 * the base are often the same trees (a ticket that changed nothing; the last layer IS the combined
 * tree), and a tree's checks say the same thing twice. A result reused for another phase is emitted
 * again as a `check_result` with that phase and ticket (same commit, tree and output hash); its
 * `check_run` audit row is the first run's. Behind it, `TreeChecks.run` itself reuses a base's results
 * across tasks and plans (checks/reuse.ts): a plan's base goes through that one durable lookup.
 */
import type { TaskContext } from '../agents/types';
import type { TreeChecks } from '../checks/run';
import { treeIdOf } from '../checks/run';
import type { CheckResult, TreeCheckReport, TreeCheckRequest } from '../checks/types';
import type { Repo } from '../git';

interface Entry {
  /** Every check of the tree ran (not just some `only`). */
  all: boolean;
  results: Map<string, CheckResult>;
  report: TreeCheckReport;
}

export class PlanChecks {
  private readonly trees = new Map<string, Promise<Entry>>();

  constructor(
    private readonly checks: Pick<TreeChecks, 'run'>,
    private readonly ctx: TaskContext,
    private readonly repo: Repo,
  ) {}

  async run(req: TreeCheckRequest): Promise<TreeCheckReport> {
    const treeId = await treeIdOf(this.repo.mirrorPath, req.commit);
    const key = `${this.repo.id}:${treeId}`;
    const cached = await this.trees.get(key)?.catch(() => undefined);
    if (cached && (cached.all || (req.only && req.only.every((n) => cached.results.has(n))))) {
      const results = [...cached.results.values()].filter((r) => !req.only || req.only.includes(r.name));
      for (const r of results) this.ctx.emit('check_result', { taskId: this.ctx.task.id, ...this.stamp(r, req, treeId) });
      return { ...cached.report, commit: req.commit, results: results.map((r) => this.stamp(r, req, treeId)), durationMs: 0 };
    }
    const running = this.checks.run(this.ctx, this.repo, req).then((report): Entry => {
      const results = new Map([...(cached?.results ?? []), ...report.results.map((r) => [r.name, r] as const)]);
      return { all: !req.only || cached?.all === true, results, report };
    });
    this.trees.set(key, running);
    return (await running).report;
  }

  private stamp(r: CheckResult, req: TreeCheckRequest, treeId: string): CheckResult {
    const { ticketId: _t, phase: _p, ...rest } = r;
    return { ...rest, commit: req.commit, treeId, phase: req.phase, ...(req.ticketId ? { ticketId: req.ticketId } : {}) };
  }
}
