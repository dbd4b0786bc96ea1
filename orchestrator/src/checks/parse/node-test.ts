/**
 * node --test: the spec reporter's "ℹ pass 3" block, or the TAP reporter's "# pass 3" block (node 18's
 * default when not on a terminal). cancelled counts as failed (it did not pass), todo as skipped.
 */
import { firstMatch, lastMatch, reportAt, type RunnerFormat } from './format';

const LINE = /^(?:ℹ|#) (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/;

export const nodeTest: RunnerFormat = {
  kind: 'node-test',
  counts(lines) {
    const at = lastMatch(lines, /^(?:ℹ|#) pass \d+$/);
    if (at < 0) return undefined;
    const n = new Map<string, number>();
    for (let i = Math.max(0, at - 4); i < Math.min(lines.length, at + 7); i++) {
      const m = LINE.exec(lines[i] as string);
      if (m) n.set(m[1] as string, Number(m[2]));
    }
    // "cancelled" is node's own: mocha's and tape's TAP summaries have tests/pass/fail only.
    if (!n.has('fail') || !n.has('tests') || !n.has('cancelled')) return undefined;
    const get = (k: string) => n.get(k) ?? 0;
    return { counts: { passed: get('pass'), failed: get('fail') + get('cancelled'), skipped: get('skipped') + get('todo') }, line: at };
  },
  firstFailure(lines) {
    // Spec: "✖ name (1.2ms)" (not the "✖ failing tests:" heading); TAP: "not ok 4 - name" (not a TODO).
    return reportAt(lines, firstMatch(lines, /^\s*✖ (?!failing tests:)|^\s*not ok \d+(?!.*# TODO)/), /^\s*[✔✖﹣ℹ] |^\s*(not )?ok \d+|^\s*# Subtest:/);
  },
};
