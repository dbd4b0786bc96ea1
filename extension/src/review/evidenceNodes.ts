/**
 * What the Review view shows under a task as its "Evidence": the tree the checks ran on (short), and
 * each check with its counts against the same check on the base. Pure (no `vscode`): the tree provider
 * turns it into TreeItems.
 */
import { comparisonDetail, comparisonReusedTooltip, phaseLabel, taskEvidence, type CheckChange, type TaskView } from '@pushpals/protocol/client';

export interface CheckNodeView {
  name: string;
  /** "12 passed, 1 skipped · was 3 failing on the base (reused from t_abc, 12 min ago)". */
  description: string;
  /** A codicon: pass / error / warning (could not run). */
  icon: 'pass' | 'error' | 'warning';
  change: CheckChange;
  tooltip: string;
}

export interface EvidenceNodeView {
  /** "tree 4b825dc642cb · on the accepted hunks' tree". */
  description: string;
  tooltip: string;
  failing: number;
  checks: CheckNodeView[];
}

/** `now`: the time "12 min ago" is counted from (a reused result's age). */
export function evidenceNodeView(t: Pick<TaskView, 'checks' | 'review'>, now: number = Date.now()): EvidenceNodeView | undefined {
  const e = taskEvidence(t);
  if (!e) return undefined;
  const failing = e.checks.filter((c) => c.after.status !== 'passed').length;
  const where = e.phase ? phaseLabel(e.phase) : undefined;
  return {
    description: [e.treeId ? `tree ${e.treeId.slice(0, 12)}` : undefined, failing ? `${failing} failing` : 'all passed'].filter((x) => x !== undefined).join(' · '),
    tooltip: [`Checks ${where ?? ''}`.trim(), e.treeId ? `tree ${e.treeId}` : undefined, e.rounds !== undefined ? `${e.rounds} round(s) of combine-then-verify` : undefined].filter((x) => x !== undefined).join('\n'),
    failing,
    checks: e.checks.map((c) => ({
      name: c.name,
      description: comparisonDetail(c, now),
      icon: c.after.status === 'passed' ? 'pass' : c.after.status === 'error' ? 'warning' : 'error',
      change: c.change,
      tooltip: [`$ ${c.after.command}`, c.after.phase ? phaseLabel(c.after.phase) : undefined, c.after.outputHash ? `output ${c.after.outputHash}` : undefined, ...comparisonReusedTooltip(c), c.after.excerpt].filter((x) => x !== undefined).join('\n'),
    })),
  };
}
