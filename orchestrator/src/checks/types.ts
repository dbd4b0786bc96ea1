/**
 * Checks as evidence: the repository's own test/lint/typecheck/build commands, run by the orchestrator
 * on exactly one tree (a commit's), in a clean sandbox, with their outcome bound to that tree. Types only.
 */
import type { EventPayload } from '@pushpals/protocol';

/** The runner whose output format a check's summary is parsed with. */
export type RunnerKind = 'mocha' | 'jest' | 'vitest' | 'node-test' | 'pytest' | 'go' | 'cargo' | 'tap';

/** One check the repository has (detected from its manifests, or configured for it). */
export interface CheckSpec {
  /** Unique per repository: "test", "lint", "typecheck", "build", or a configured name. */
  name: string;
  /** A shell command, run in /workspace of a sandbox without network. */
  command: string;
  /** Where it came from, for people: "package.json scripts.test", "repo settings". */
  source: string;
  runner?: RunnerKind;
}

export type CheckPhase = NonNullable<EventPayload<'check_result'>['phase']>;
export type CheckCounts = NonNullable<EventPayload<'check_result'>['counts']>;

/** A `check_result` without its task id: what one check did on one tree. */
export type CheckResult = Omit<EventPayload<'check_result'>, 'taskId'>;

/** A check's outcome as `diff_ready.evidence` lists it. */
export type CheckSummary = NonNullable<EventPayload<'diff_ready'>['evidence']>['checks'][number];

/** Run the repository's checks on one commit's tree. */
export interface TreeCheckRequest {
  commit: string;
  phase: CheckPhase;
  /** The ticket whose tree this is (phase `ticket`), or the ticket a combined failure is being attributed to. */
  ticketId?: string;
  /** Only these checks (by name); default all. */
  only?: readonly string[];
}

export interface TreeCheckReport {
  commit: string;
  treeId: string;
  results: CheckResult[];
  /** The dependency set-up failed: every check reported `error` with this message. */
  setupFailed?: string;
  durationMs: number;
}

/** True when every check passed (no check at all counts as passing: nothing contradicts the tree). */
export const allPassed = (r: Pick<TreeCheckReport, 'results'>): boolean => r.results.every((c) => c.status === 'passed');

/** The summary of a result that `diff_ready.evidence` carries (no output, no tree: the evidence names the tree once). */
export function summarise(r: CheckResult): CheckSummary {
  return {
    name: r.name,
    command: r.command,
    status: r.status,
    durationMs: r.durationMs,
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.counts ? { counts: r.counts } : {}),
    ...(r.outputHash ? { outputHash: r.outputHash } : {}),
    ...(r.reusedFrom ? { reusedFrom: r.reusedFrom } : {}),
  };
}

/** One line for people: "test: failed (exit 1) — 10 passed, 2 failed, 1 skipped". */
export function describeCheck(r: Pick<CheckResult, 'name' | 'status' | 'exitCode' | 'counts'>): string {
  const c = r.counts;
  const counts = c ? ` — ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}` : '';
  return `${r.name}: ${r.status}${r.status !== 'passed' && r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}${counts}`;
}
