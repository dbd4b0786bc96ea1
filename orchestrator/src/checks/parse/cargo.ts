/**
 * cargo test: one "test result: ok. 3 passed; 1 failed; 2 ignored; ..." per test binary (unit tests,
 * each integration test, doc tests), summed. Ignored counts as skipped; measured and filtered out do not count.
 */
import { firstMatch, reportAt, type RunnerFormat } from './format';

const RESULT = /^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed; (\d+) ignored;/;

export const cargo: RunnerFormat = {
  kind: 'cargo',
  counts(lines) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    let last = -1;
    lines.forEach((l, i) => {
      const m = RESULT.exec(l);
      if (!m) return;
      counts.passed += Number(m[1]);
      counts.failed += Number(m[2]);
      counts.skipped += Number(m[3]);
      last = i;
    });
    return last < 0 ? undefined : { counts, line: last };
  },
  firstFailure(lines) {
    // A failing test's captured output; else a compile error.
    let start = firstMatch(lines, /^---- .+ stdout ----$/);
    if (start < 0) start = firstMatch(lines, /^error(\[E\d+\])?: /);
    return reportAt(lines, start, /^---- .+ stdout ----$|^failures:$|^error(\[E\d+\])?: /);
  },
};
