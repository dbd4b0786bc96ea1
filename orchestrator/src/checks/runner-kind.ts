/** Which test runner a command (or the script it runs) uses, so its output is parsed the right way. */
import type { RunnerKind } from './types';

/** Every runner the parser knows (for validating a configured check's `runner`). */
export const RUNNER_KINDS = ['mocha', 'jest', 'vitest', 'node-test', 'pytest', 'go', 'cargo', 'tap'] as const satisfies readonly RunnerKind[];
// A runner added to RunnerKind but not to the list above fails to compile here.
const _everyKind: Record<RunnerKind, true> = { mocha: true, jest: true, vitest: true, 'node-test': true, pytest: true, go: true, cargo: true, tap: true };
void _everyKind;

export const isRunnerKind = (v: unknown): v is RunnerKind => typeof v === 'string' && (RUNNER_KINDS as readonly string[]).includes(v);

// Most specific first: "node --test --test-reporter=tap" is node's runner, "vitest" is not jest.
const GUESSES: Array<[RegExp, RunnerKind]> = [
  [/\bnode\b[^;&|]*\s--test\b|\btsx\s+--test\b/, 'node-test'],
  [/\bvitest\b/, 'vitest'],
  [/\bjest\b|\breact-scripts\s+test\b|\bcraco\s+test\b/, 'jest'],
  [/\bmocha\b/, 'mocha'],
  [/\bpytest\b|\bpy\.test\b/, 'pytest'],
  [/\bgo\s+test\b/, 'go'],
  [/\bcargo\s+test\b/, 'cargo'],
  [/(^|[\s;&|(])(tape|tap|tap-spec)(\s|$)|--reporter[= ]tap\b/, 'tap'],
];

/** The runner a command line names, if any ("nyc mocha", "jest --ci", "python -m pytest -q"). */
export function guessRunner(text: string): RunnerKind | undefined {
  return GUESSES.find(([re]) => re.test(text))?.[1];
}
