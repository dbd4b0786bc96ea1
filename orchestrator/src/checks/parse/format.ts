/** What each runner's parser provides, and the line handling they share. */
import { stripVTControlCharacters } from 'node:util';
import type { CheckCounts, RunnerKind } from '../types';

/** Counts found in the output, and the line of the summary they came from (the latest summary wins). */
export interface Found {
  counts: CheckCounts;
  line: number;
}

export interface FailureAt {
  start: number;
  from?: number;
  end?: number;
}

/** The report at `start`, ending where `next` matches again (the next failure's report). */
export function reportAt(lines: readonly string[], start: number, next: RegExp): FailureAt | undefined {
  if (start < 0) return undefined;
  const end = firstMatch(lines, next, start + 1);
  return end < 0 ? { start } : { start, end };
}

export interface RunnerFormat {
  kind: RunnerKind;
  /** The runner's own summary, read from the end (a run may print several; the last is the total). */
  counts(lines: readonly string[]): Found | undefined;
  /** Where the first failure's report starts, where its context starts before it, where the next report starts. */
  firstFailure(lines: readonly string[]): FailureAt | undefined;
}

/**
 * The output as lines a person would see: colour codes removed, and of a line rewritten in place with
 * "\r" (progress bars) only what stayed on the screen.
 */
export function toLines(output: string): string[] {
  return stripVTControlCharacters(output)
    .split('\n')
    .map((l) => {
      const cr = l.lastIndexOf('\r', l.length - 2);
      return (cr >= 0 ? l.slice(cr + 1) : l).replace(/\r$/, '');
    });
}

/** The index of the last line matching `re`, searching backwards from `before` (exclusive). */
export function lastMatch(lines: readonly string[], re: RegExp, before = lines.length): number {
  for (let i = before - 1; i >= 0; i--) if (re.test(lines[i] as string)) return i;
  return -1;
}

/** The index of the first line matching `re` at or after `from`. */
export function firstMatch(lines: readonly string[], re: RegExp, from = 0): number {
  for (let i = Math.max(0, from); i < lines.length; i++) if (re.test(lines[i] as string)) return i;
  return -1;
}

/** "3 passed, 1 failed" → { passed: 3, failed: 1 } (words lower-cased, numbers summed per word). */
export function countWords(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/(\d+)\s+([a-z]+)/gi)) {
    const word = (m[2] as string).toLowerCase();
    out.set(word, (out.get(word) ?? 0) + Number(m[1]));
  }
  return out;
}
