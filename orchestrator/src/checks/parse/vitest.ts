/** vitest: "      Tests  1 failed | 2 passed | 1 skipped | 1 todo (5)"; failures under " FAIL  file > test". */
import { countWords, firstMatch, lastMatch, reportAt, type RunnerFormat } from './format';

export const vitest: RunnerFormat = {
  kind: 'vitest',
  counts(lines) {
    const at = lastMatch(lines, /^\s*Tests\s+\d+ [a-z]+( \| \d+ [a-z]+)* \(\d+\)/);
    if (at < 0) return undefined;
    const w = countWords(lines[at] as string);
    const n = (k: string) => w.get(k) ?? 0;
    return { counts: { passed: n('passed'), failed: n('failed'), skipped: n('skipped') + n('todo') }, line: at };
  },
  firstFailure(lines) {
    // The detailed report follows the "Failed Tests" banner; without it, the "×" line of the list.
    const banner = firstMatch(lines, /⎯ Failed Tests \d+ ⎯|⎯ Failed Suites \d+ ⎯/);
    const detail = firstMatch(lines, /^\s*FAIL\s+\S/, banner < 0 ? 0 : banner);
    const start = detail >= 0 ? detail : firstMatch(lines, /^\s*[×✗]\s/);
    return reportAt(lines, start, /^⎯{3,}|^\s*FAIL\s+\S/);
  },
};
