/**
 * Evidence selectors: which check outcomes count for a task now, each against the same check on the
 * base ("12 passed · was 3 failing on the base"), and the one-line texts every surface shows for them.
 * Pure functions of the client state; no I/O.
 */
import type { EventPayload } from '../messages';
import type { CheckView, TaskView } from './types';

export type CheckPhase = NonNullable<EventPayload<'check_result'>['phase']>;
export type CheckCounts = NonNullable<EventPayload<'check_result'>['counts']>;

/** A check's outcome, from a `check_result` (with output, phase, tree) or from a diff's evidence summary. */
export interface CheckOutcome {
  name: string;
  command: string;
  status: 'passed' | 'failed' | 'error';
  exitCode?: number;
  counts?: CheckCounts;
  durationMs: number;
  outputHash?: string;
  phase?: CheckPhase;
  treeId?: string;
  commit?: string;
  excerpt?: string;
  output?: string;
  /** The `check_result`'s seq (absent: read from the diff's evidence). */
  seq?: number;
  /** Not run now: the result of that task's earlier run of the same check on the same tree. */
  reusedFrom?: ReusedFrom;
}

export type ReusedFrom = NonNullable<EventPayload<'check_result'>['reusedFrom']>;

/** How a check moved from the base to now. */
export type CheckChange = 'fixed' | 'broken' | 'still-failing' | 'unchanged' | 'new';

export interface CheckComparison {
  name: string;
  /** The outcome that counts now: on the committed tree, else on the diff's evidence tree, else the latest not on the base. */
  after: CheckOutcome;
  /** The same check on the base commit, when it ran there. */
  before?: CheckOutcome;
  change: CheckChange;
}

export interface TaskEvidence {
  /** The tree `after` ran on (the committed tree, or the proposed diff's). */
  treeId?: string;
  /** Where `after` ran: `commit` once the accepted hunks' tree was checked. */
  phase?: CheckPhase;
  rounds?: number;
  checks: CheckComparison[];
}

const PHASE_LABELS: Record<CheckPhase, string> = { base: 'on the base', ticket: "on the ticket's tree", combined: 'on the proposed result', commit: 'on the accepted hunks\' tree' };

/** "on the base", "on the proposed result", …: where a check ran, for people (the client state's notes and the orchestrator's check tool calls and progress). */
export const phaseLabel = (p: CheckPhase): string => PHASE_LABELS[p];

/** "1 failing, 11 passed, 1 skipped"; "no tests ran" when every count is 0. */
export function countsText(c: CheckCounts): string {
  const parts = [...(c.failed ? [`${c.failed} failing`] : []), ...(c.passed ? [`${c.passed} passed`] : []), ...(c.skipped ? [`${c.skipped} skipped`] : [])];
  return parts.length ? parts.join(', ') : 'no tests ran';
}

/** The outcome in a few words: the counts when the runner's were parsed, else the status (with the exit code). */
export function outcomeText(o: Pick<CheckOutcome, 'status' | 'counts' | 'exitCode'>): string {
  if (o.status === 'error') return 'could not run';
  if (o.counts) return countsText(o.counts);
  return o.status === 'passed' ? 'passed' : `failed${o.exitCode !== undefined ? ` (exit ${o.exitCode})` : ''}`;
}

/** "just now", "12 min ago", "3 h ago", "2 days ago": how long before `now` a time was (a clock a little ahead reads "just now"). */
export function agoText(at: string, now: number): string {
  const min = Math.floor((now - Date.parse(at)) / 60_000);
  if (!(min >= 1)) return 'just now';
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} days ago`;
}

/** "reused from t_abc, 12 min ago": a result that was not run now but taken from an earlier task's run on the same tree. */
export const reusedText = (r: ReusedFrom, now: number = Date.now()): string => `reused from ${r.taskId}, ${agoText(r.at, now)}`;

/** The tooltip line of a reused result: the task whose run it is, and when that ran (exactly). */
export const reusedTooltip = (r: ReusedFrom, what = 'Result'): string => `${what} reused from task ${r.taskId} (ran ${r.at}), not run again`;

const reusedSuffix = (o: Pick<CheckOutcome, 'reusedFrom'>, now?: number): string => (o.reusedFrom ? ` (${reusedText(o.reusedFrom, now)})` : '');

/** "was 3 failing on the base", "was passing on the base (reused from t_abc, 12 min ago)". */
export function beforeText(b: Pick<CheckOutcome, 'status' | 'counts' | 'reusedFrom'>, now?: number): string {
  const text = b.status === 'error' ? 'could not run on the base' : b.status === 'passed' ? 'was passing on the base' : b.counts?.failed ? `was ${b.counts.failed} failing on the base` : 'was failing on the base';
  return `${text}${reusedSuffix(b, now)}`;
}

/** "12 passed, 1 skipped · was 3 failing on the base (reused from t_abc, 12 min ago)": the outcome now, against the base. */
export const comparisonDetail = (c: CheckComparison, now?: number): string => `${outcomeText(c.after)}${reusedSuffix(c.after, now)}${c.before ? ` · ${beforeText(c.before, now)}` : ''}`;

/** "test: 12 passed, 1 skipped · was 3 failing on the base". */
export const comparisonText = (c: CheckComparison, now?: number): string => `${c.name}: ${comparisonDetail(c, now)}`;

/** The tooltip lines naming the tasks whose results were reused (the base's, and the outcome's own), if any. */
export const comparisonReusedTooltip = (c: CheckComparison): string[] => [
  ...(c.after.reusedFrom ? [reusedTooltip(c.after.reusedFrom)] : []),
  ...(c.before?.reusedFrom ? [reusedTooltip(c.before.reusedFrom, 'Base result')] : []),
];

function changeOf(after: CheckOutcome, before: CheckOutcome | undefined): CheckChange {
  if (!before) return 'new';
  const ok = after.status === 'passed';
  const was = before.status === 'passed';
  return ok ? (was ? 'unchanged' : 'fixed') : was ? 'broken' : 'still-failing';
}

/** The latest of each name, in the order the names first appeared. */
function latestByName<T extends { name: string }>(xs: readonly T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of xs) m.set(x.name, x);
  return m;
}

const fromView = ({ seq, ...rest }: CheckView): CheckOutcome => ({ ...rest, seq });

/**
 * The task's evidence: each check's outcome that counts now against the same check on the base.
 * Now = the checks on the accepted hunks' commit (phase commit, after the diff: the committed one, or the
 * last one tried when its checks blocked the commit) once there are some; else the ones on the
 * proposed diff's evidence tree (a live `check_result` when the client saw it, with its output; else
 * the diff's summary); else the latest not on the base. Undefined when the task has no check at all.
 */
export function taskEvidence(t: Pick<TaskView, 'checks' | 'review'>): TaskEvidence | undefined {
  const review = t.review;
  const evidence = review?.evidence;
  let after = new Map<string, CheckOutcome>();
  let phase: CheckPhase | undefined;
  let treeId: string | undefined;
  // The accepted hunks' tree, checked after this diff: the commit's (or, when those checks blocked it, the last one tried).
  const commitPhase = t.checks.filter((c) => c.phase === 'commit' && (!review || c.seq > review.diffSeq));
  const sha = review?.committed?.sha ?? commitPhase.at(-1)?.commit;
  const committedChecks = commitPhase.filter((c) => c.commit === sha);
  if (committedChecks.length) {
    after = new Map([...latestByName(committedChecks)].map(([k, v]) => [k, fromView(v)]));
    phase = 'commit';
    treeId = committedChecks.at(-1)?.treeId;
  } else if (evidence) {
    const live = latestByName(t.checks.filter((c) => c.treeId === evidence.treeId));
    for (const s of evidence.checks) {
      const seen = live.get(s.name);
      after.set(s.name, seen ? fromView(seen) : { ...s, treeId: evidence.treeId });
    }
    for (const [name, c] of live) if (!after.has(name)) after.set(name, fromView(c));
    treeId = evidence.treeId;
    phase = [...after.values()].find((c) => c.phase)?.phase;
  } else {
    const notBase = t.checks.filter((c) => c.phase !== 'base');
    after = new Map([...latestByName(notBase)].map(([k, v]) => [k, fromView(v)]));
    const last = notBase.at(-1);
    treeId = last?.treeId;
    phase = last?.phase;
  }
  if (!after.size) return undefined;
  const baseCommit = review?.baseCommit;
  const liveBefore = latestByName(t.checks.filter((c) => c.phase === 'base' && (!baseCommit || !c.commit || c.commit === baseCommit)));
  const summaryBefore = latestByName(evidence?.before ?? []);
  const checks = [...after.values()].map((a): CheckComparison => {
    const seen = liveBefore.get(a.name);
    const before: CheckOutcome | undefined = seen ? fromView(seen) : summaryBefore.get(a.name);
    return { name: a.name, after: a, ...(before ? { before } : {}), change: changeOf(a, before) };
  });
  return { ...(treeId ? { treeId } : {}), ...(phase ? { phase } : {}), ...(evidence?.rounds !== undefined ? { rounds: evidence.rounds } : {}), checks };
}
