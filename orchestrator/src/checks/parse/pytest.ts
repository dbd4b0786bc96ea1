/**
 * pytest: "==== 2 failed, 3 passed, 1 skipped, 1 xfailed, 1 error in 0.05s ====" (with -q, without the
 * rule). Errors (in set-up or collection) count as failed; xfailed as skipped (a known failure, as
 * pytest's JUnit XML reports it); xpassed as passed (a strict xpass is reported by pytest as failed);
 * deselected tests were not selected to run and are not counted.
 */
import { countWords, firstMatch, lastMatch, reportAt, type RunnerFormat } from './format';

const SUMMARY = /^(?:=+ )?(?:(?:\d+ [a-z]+(?:, )?)+|no tests ran) in \d+(?:\.\d+)?s\b.*?(?: =+)?$/;

export const pytest: RunnerFormat = {
  kind: 'pytest',
  counts(lines) {
    const at = lastMatch(lines, SUMMARY);
    if (at < 0) return undefined;
    const w = countWords((lines[at] as string).replace(/ in \d+(\.\d+)?s\b.*$/, ''));
    const n = (...k: string[]) => k.reduce((s, x) => s + (w.get(x) ?? 0), 0);
    return { counts: { passed: n('passed', 'xpassed'), failed: n('failed', 'error', 'errors'), skipped: n('skipped', 'xfailed') }, line: at };
  },
  firstFailure(lines) {
    // "____ test_x ____" heads each report under FAILURES/ERRORS; with --tb=no only the short summary is left.
    let start = firstMatch(lines, /^_{3,} .+ _{3,}$/);
    if (start < 0) start = firstMatch(lines, /^(FAILED|ERROR) \S/);
    return reportAt(lines, start, /^_{3,} .+ _{3,}$|^=+ .* =+$/);
  },
};
