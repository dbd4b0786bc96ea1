/**
 * go test. With -v, each top-level test's "--- PASS/FAIL/SKIP:" line counts (subtests, indented, do
 * not: a failing subtest fails its parent too). Without -v only failures are listed, so the counts are
 * PACKAGES: "ok" passed, "FAIL" failed (build failures too), "? ... [no test files]" skipped.
 */
import { firstMatch, lastMatch, reportAt, type RunnerFormat } from './format';

const TEST = /^--- (PASS|FAIL|SKIP): /;
const PKG = /^(ok|FAIL|\?)\s+\S+\s+(\d|\(cached\)|\[(no test files|build failed|setup failed)\])/;

export const go: RunnerFormat = {
  kind: 'go',
  counts(lines) {
    const verbose = firstMatch(lines, /^=== RUN\s/) >= 0;
    const counts = { passed: 0, failed: 0, skipped: 0 };
    let last = -1;
    lines.forEach((l, i) => {
      const m = verbose ? TEST.exec(l) : PKG.exec(l);
      if (m) {
        const k = m[1] === 'PASS' || m[1] === 'ok' ? 'passed' : m[1] === 'FAIL' ? 'failed' : 'skipped';
        counts[k]++;
        last = i;
      }
    });
    return last < 0 ? undefined : { counts, line: Math.max(last, lastMatch(lines, PKG)) };
  },
  firstFailure(lines) {
    const start = firstMatch(lines, /^\s*--- FAIL: /);
    if (start < 0) {
      // A package that does not compile: "# example.com/x" then the compiler's errors.
      const build = firstMatch(lines, /^# \S+|^FAIL\s+\S+\s+\[(build|setup) failed\]/);
      return reportAt(lines, build, /^(ok|FAIL)\s+\S+/);
    }
    // With -v, what the test logged is printed between its "=== RUN" and its "--- FAIL".
    const name = /--- FAIL: (\S+)/.exec(lines[start] as string)?.[1] ?? '';
    const run = lastMatch(lines, new RegExp(`^=== RUN\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), start);
    const end = firstMatch(lines, /^\s*--- |^=== RUN\s|^(ok|FAIL|PASS)\b/, start + 1);
    return { start, ...(run >= 0 && start - run < 30 ? { from: run } : {}), ...(end >= 0 ? { end } : {}) };
  },
};
