/** mocha's spec reporter: "5 passing (3ms)", then "1 pending" and "2 failing" below it. */
import { firstMatch, lastMatch, reportAt, type RunnerFormat } from './format';

const PASSING = /^\s*(\d+) passing\b/;

export const mocha: RunnerFormat = {
  kind: 'mocha',
  counts(lines) {
    const at = lastMatch(lines, PASSING);
    if (at < 0) return undefined;
    const near = lines.slice(at + 1, at + 4).join('\n');
    const n = (word: string) => Number(new RegExp(`^\\s*(\\d+) ${word}\\b`, 'm').exec(near)?.[1] ?? 0);
    return { counts: { passed: Number(PASSING.exec(lines[at] as string)?.[1]), failed: n('failing'), skipped: n('pending') }, line: at };
  },
  firstFailure(lines) {
    // The list above the summary numbers failures too ("1) divides"); the report is below "N failing".
    const failing = lastMatch(lines, /^\s*\d+ failing\b/);
    return reportAt(lines, firstMatch(lines, /^\s*1\) /, failing < 0 ? 0 : failing + 1), /^\s*2\) /);
  },
};
