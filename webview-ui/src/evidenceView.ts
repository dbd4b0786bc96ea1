/**
 * What a task card shows of its checks as evidence: one line per check with its counts and the same
 * check on the base ("test: 12 passed, 1 skipped · was 3 failing on the base"), where it ran, a
 * failing check's excerpt, and which earlier task a reused result came from. Pure (no DOM): main.ts renders it; the tests run it under Node.
 */
import { comparisonReusedTooltip, comparisonText, phaseLabel, taskEvidence, type CheckChange, type TaskView } from '@pushpals/protocol/state';

export interface EvidenceRow {
  name: string;
  /** "test: 12 passed, 1 skipped · was 3 failing on the base". */
  text: string;
  status: 'passed' | 'failed' | 'error';
  change: CheckChange;
  /** "on the committed tree", …; absent when the summary did not say. */
  phase?: string;
  /** A failing check: the lines around its first failure (else the end of its output), shown collapsed. */
  excerpt?: string;
  /** The row's tooltip when a result was reused from an earlier task: that task's id and when it ran. */
  tooltip?: string;
}

export interface EvidenceBlock {
  /** "Checks on the committed tree 4b825dc642cb". */
  title: string;
  rows: EvidenceRow[];
  /** The diff's combine-then-verify rounds, when more than one. */
  rounds?: number;
}

/** Lines of output shown when a failing check has no excerpt. */
export const EXCERPT_TAIL_LINES = 20;

function excerptOf(x: { excerpt?: string; output?: string }): string | undefined {
  if (x.excerpt) return x.excerpt;
  if (!x.output) return undefined;
  return x.output.trimEnd().split('\n').slice(-EXCERPT_TAIL_LINES).join('\n');
}

/** The card's evidence block, or undefined when the task has no check. `now`: the time a reused result's age is counted from. */
export function evidenceBlock(t: Pick<TaskView, 'checks' | 'review'>, now: number = Date.now()): EvidenceBlock | undefined {
  const e = taskEvidence(t);
  if (!e) return undefined;
  const where = e.phase ? ` ${phaseLabel(e.phase)}` : '';
  const tree = e.treeId ? ` ${e.phase ? '' : 'on tree '}${e.treeId.slice(0, 12)}` : '';
  return {
    title: `Checks${where}${tree}`,
    rows: e.checks.map((c) => {
      const excerpt = c.after.status === 'passed' ? undefined : excerptOf(c.after);
      const tooltip = comparisonReusedTooltip(c).join('\n');
      return { name: c.name, text: comparisonText(c, now), status: c.after.status, change: c.change, ...(c.after.phase ? { phase: phaseLabel(c.after.phase) } : {}), ...(excerpt ? { excerpt } : {}), ...(tooltip ? { tooltip } : {}) };
    }),
    ...(e.rounds !== undefined && e.rounds > 1 ? { rounds: e.rounds } : {}),
  };
}
