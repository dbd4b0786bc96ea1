/**
 * TAP (tape, node-tap, any "ok N" / "not ok N" producer): top-level results only (indented lines are
 * subtests, summed in their parent). "# SKIP" counts as skipped, and so does "# TODO" (a TODO failure
 * does not fail the run). Needs a plan ("1..N") or "TAP version" line, so no stray "ok" line counts.
 */
import { firstMatch, reportAt, type RunnerFormat } from './format';

const RESULT = /^(not )?ok\b(.*)$/;

export const tap: RunnerFormat = {
  kind: 'tap',
  counts(lines) {
    if (firstMatch(lines, /^(TAP version \d+|1\.\.\d+)\s*$/) < 0) return undefined;
    const counts = { passed: 0, failed: 0, skipped: 0 };
    let last = -1;
    lines.forEach((l, i) => {
      const m = RESULT.exec(l);
      if (!m) return;
      if (/#\s*(SKIP|TODO)\b/i.test(m[2] as string)) counts.skipped++;
      else if (m[1]) counts.failed++;
      else counts.passed++;
      last = i;
    });
    return last < 0 ? undefined : { counts, line: last };
  },
  firstFailure(lines) {
    return reportAt(lines, firstMatch(lines, /^\s*not ok\b(?!.*#\s*TODO\b)/i), /^\s*(not )?ok\b|^\s*# Subtest:|^1\.\.\d+/);
  },
};
