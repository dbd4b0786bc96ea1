/** jest: "Tests:       1 failed, 1 skipped, 1 todo, 3 passed, 6 total"; failures under "● suite › test". */
import { countWords, firstMatch, lastMatch, reportAt, type RunnerFormat } from './format';

export const jest: RunnerFormat = {
  kind: 'jest',
  counts(lines) {
    const at = lastMatch(lines, /^\s*Tests:\s+.*\d+ total/);
    if (at < 0) return undefined;
    const w = countWords(lines[at] as string);
    const n = (k: string) => w.get(k) ?? 0;
    // todo: written down but not run, like skipped.
    return { counts: { passed: n('passed'), failed: n('failed'), skipped: n('skipped') + n('todo') + n('pending') }, line: at };
  },
  firstFailure(lines) {
    // "● Console" blocks are a test's console.log output, not a failure.
    return reportAt(lines, firstMatch(lines, /^\s*● (?!Console$)/), /^\s*● |^\s*(PASS|FAIL)\s|^(Test Suites|Tests):/);
  },
};
