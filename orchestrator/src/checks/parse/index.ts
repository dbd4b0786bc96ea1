/**
 * Reads a check's output as a person would: the runner's counts (passed, failed, skipped) and a short
 * excerpt around the first failure. Output that no runner's summary matches has no counts: the caller
 * reports pass/fail by the exit code alone. Nothing here trusts the output: it is only matched.
 */
import type { CheckCounts, RunnerKind } from '../types';
import { cargo } from './cargo';
import { firstMatch, toLines, type FailureAt, type RunnerFormat } from './format';
import { go } from './go';
import { jest } from './jest';
import { mocha } from './mocha';
import { nodeTest } from './node-test';
import { pytest } from './pytest';
import { tap } from './tap';
import { vitest } from './vitest';

const FORMATS: readonly RunnerFormat[] = [mocha, jest, vitest, nodeTest, pytest, go, cargo, tap];
const format = (kind: RunnerKind | undefined) => FORMATS.find((f) => f.kind === kind);

/** At most this much of the output around the first failure. */
export const EXCERPT_MAX_LINES = 40;
export const EXCERPT_MAX_CHARS = 8 * 1024;

export interface ParsedCounts {
  counts?: CheckCounts;
  /** The runner whose summary the counts came from. */
  runner?: RunnerKind;
}

function countsOf(lines: readonly string[], hint?: RunnerKind): ParsedCounts {
  const hinted = format(hint)?.counts(lines);
  if (hinted && hint) return { counts: hinted.counts, runner: hint };
  // Unknown runner (or its summary is missing): the summary printed LAST wins ("npm test" may run a
  // linter, then the tests; a test may print text that looks like another runner's summary early on).
  let best: { kind: RunnerKind; line: number; counts: CheckCounts } | undefined;
  for (const f of FORMATS) {
    if (f.kind === hint) continue;
    const found = f.counts(lines);
    if (found && (!best || found.line > best.line)) best = { kind: f.kind, ...found };
  }
  return best ? { counts: best.counts, runner: best.kind } : {};
}

/** The counts of the runner's summary in `output`, trying `runner` first, then every known runner. */
export function parseCounts(output: string, runner?: RunnerKind): ParsedCounts {
  return countsOf(toLines(output), runner);
}

/**
 * A few lines around the FIRST failure: the runner's own failure report when it is recognised (the
 * hinted runner, else the one whose summary was found), else the first line naming an error or FAIL.
 * Undefined when nothing looks like a failure.
 */
export function failureExcerpt(output: string, runner?: RunnerKind): string | undefined {
  const lines = toLines(output);
  const kinds = [runner, countsOf(lines, runner).runner].filter((k, i, all): k is RunnerKind => k !== undefined && all.indexOf(k) === i);
  let at: FailureAt | undefined;
  for (const k of kinds) if ((at = format(k)?.firstFailure(lines))) break;
  if (!at) {
    const start = firstMatch(lines, /\b(FAIL(ED)?|ERROR|[Ee]rror)\b|^\s*✖ /);
    if (start < 0) return undefined;
    at = { start, from: Math.max(0, start - 2) };
  }
  let from = at.from ?? at.start;
  while (from < at.start && !lines[from]?.trim()) from++;
  const picked: string[] = [];
  let size = 0;
  for (const line of lines.slice(from, Math.min(at.end ?? Infinity, from + EXCERPT_MAX_LINES))) {
    if (size + line.length + 1 > EXCERPT_MAX_CHARS) {
      picked.push(`${line.slice(0, Math.max(0, EXCERPT_MAX_CHARS - size - 2))}…`);
      break;
    }
    picked.push(line);
    size += line.length + 1;
  }
  return picked.join('\n').replace(/\s+$/, '');
}
