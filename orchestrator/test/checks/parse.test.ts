/**
 * Counts and failure excerpts from REAL runner outputs: test/fixtures/checks/*.txt were printed by
 * mocha, node --test (node 20, and node 18 in the worker image), jest, vitest, tape, pytest, go test,
 * cargo test and tsc on small projects (generate.sh in that folder makes them again).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXCERPT_MAX_CHARS, EXCERPT_MAX_LINES, failureExcerpt, parseCounts } from '../../src/checks/parse';
import type { RunnerKind } from '../../src/checks/types';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'checks');
const output = (name: string) => readFileSync(join(FIXTURES, `${name}.txt`), 'utf8');
const c = (passed: number, failed: number, skipped: number) => ({ passed, failed, skipped });

/** fixture → runner, counts, the excerpt's first line, a line it must hold, a line it must not (the next failure). */
const CASES: Array<[string, RunnerKind, ReturnType<typeof c>, RegExp?, string?, string?]> = [
  ['mocha-failing', 'mocha', c(3, 2, 1), /^\s+1\) math$/, '3.5 == 3', '2) math'],
  ['mocha-colour', 'mocha', c(3, 2, 1), /^\s+1\) math$/, '3.5 == 3', '2) math'],
  ['mocha-passing', 'mocha', c(5, 0, 1)],
  ['mocha-tap', 'tap', c(3, 2, 1), /^not ok 3 math divides$/, '3.5 == 3', 'ok 4'],
  ['node-spec', 'node-test', c(3, 1, 2), /^✖ rounds half up/, 'AssertionError [ERR_ASSERTION]: 3 == 2', 'windows paths'],
  ['node-tap', 'node-test', c(3, 1, 2), /^not ok 4 - rounds half up$/, "error: '3 == 2'", 'windows paths'],
  ['node18-default', 'node-test', c(3, 1, 2), /^not ok 4 - rounds half up$/, "error: '3 == 2'", 'windows paths'],
  ['jest-failing', 'jest', c(3, 1, 2), /^\s+● cart › discount$/, 'Received: 10', 'PASS'],
  ['jest-colour', 'jest', c(3, 1, 2), /^\s+● cart › discount$/, 'Received: 10', 'PASS'],
  ['jest-passing', 'jest', c(4, 0, 2)],
  ['vitest-failing', 'vitest', c(2, 1, 2), /^ FAIL {2}src\/cart\.vitest\.test\.mjs > cart > discount$/, 'expected 10 to be 9', '[1/1]'],
  ['vitest-colour', 'vitest', c(2, 1, 2), /^ FAIL {2}src\/cart\.vitest\.test\.mjs > cart > discount$/, 'expected 10 to be 9', '[1/1]'],
  ['vitest-passing', 'vitest', c(3, 0, 2)],
  ['tape-failing', 'tap', c(2, 1, 2), /^not ok 2 multiplies$/, 'expected: 5', 'rounds'],
  // pytest: 2 failed + 1 error → failed 3; 1 skipped + 1 xfailed → skipped 2.
  ['pytest-failing', 'pytest', c(3, 3, 2), /^_+ ERROR at setup of test_uses_broken _+$/, 'RuntimeError: fixture broke', 'test_add_strings'],
  ['pytest-quiet', 'pytest', c(3, 3, 2), /^_+ ERROR at setup of test_uses_broken _+$/, 'RuntimeError: fixture broke', 'test_add_strings'],
  ['pytest-colour', 'pytest', c(3, 3, 2), /^_+ ERROR at setup of test_uses_broken _+$/, 'RuntimeError: fixture broke', 'test_add_strings'],
  ['pytest-deselected', 'pytest', c(2, 0, 0)],
  ['pytest-passing', 'pytest', c(5, 0, 1)],
  // go without -v: packages (ok, FAIL, no test files); with -v: top-level tests.
  ['go-failing', 'go', c(1, 1, 1), /^--- FAIL: TestAddNegative/, 'want -3', 'example.com/shop/calc'],
  ['go-verbose', 'go', c(3, 1, 1), /^=== RUN {3}TestAddNegative$/, '--- FAIL: TestAddNegative', 'TestSkipped'],
  ['go-passing', 'go', c(2, 0, 1)],
  ['go-build-failed', 'go', c(1, 1, 1), /^# example\.com\/shop\/calc/, 'undefined: Sub', 'example.com/shop/strs'],
  ['cargo-failing', 'cargo', c(1, 1, 1), /^---- tests::adds_negative stdout ----$/, 'right: -3', 'test result'],
  ['cargo-no-fail-fast', 'cargo', c(3, 1, 1), /^---- tests::adds_negative stdout ----$/, 'right: -3', 'test result'],
  ['cargo-passing', 'cargo', c(4, 0, 1)],
];

describe('check output parsing', () => {
  for (const [name, runner, counts, first, holds, notHolds] of CASES) {
    it(`${name}: ${runner} ${JSON.stringify(counts)}${first ? ', excerpt at the first failure' : ', no failure'}`, () => {
      const out = output(name);
      assert.deepEqual(parseCounts(out), { counts, runner }, 'without a hint');
      assert.deepEqual(parseCounts(out, runner), { counts, runner }, 'with the right hint');
      const excerpt = failureExcerpt(out, runner);
      if (!first) return assert.equal(excerpt, undefined);
      assert.ok(excerpt, 'an excerpt');
      assert.match(excerpt.split('\n')[0] ?? '', first);
      assert.ok(excerpt.includes(holds ?? ''), `holds ${holds}:\n${excerpt}`);
      if (notHolds) assert.ok(!excerpt.includes(notHolds), `stops before ${notHolds}:\n${excerpt}`);
      assert.doesNotMatch(excerpt, /\x1b\[/, 'no colour codes');
      assert.equal(failureExcerpt(out), excerpt, 'the same without a hint (the runner is found from its summary)');
    });
  }

  it('a wrong hint falls back to the runner whose summary is there', () => {
    assert.deepEqual(parseCounts(output('jest-failing'), 'pytest'), { counts: c(3, 1, 2), runner: 'jest' });
    assert.match(failureExcerpt(output('pytest-failing'), 'mocha') ?? '', /ERROR at setup of test_uses_broken/);
  });

  it('the summary printed last wins ("npm test" running two suites, or a test printing a summary-like line)', () => {
    const both = `${output('mocha-passing')}\n${output('jest-failing')}`;
    assert.deepEqual(parseCounts(both), { counts: c(3, 1, 2), runner: 'jest' });
    assert.deepEqual(parseCounts(`${output('jest-failing')}\n${output('mocha-passing')}`), { counts: c(5, 0, 1), runner: 'mocha' });
    // Two mocha runs (a unit and an integration run): the last summary.
    assert.deepEqual(parseCounts(`${output('mocha-failing')}${output('mocha-passing')}`, 'mocha')?.counts, c(5, 0, 1));
  });

  it('pytest summary words: errors, xpassed, deselected, warnings, long runs, no tests', () => {
    const p = (line: string) => parseCounts(`collected 9 items\n\n${line}\n`, 'pytest').counts;
    assert.deepEqual(p('====== 1 failed, 2 passed, 1 xpassed, 3 deselected, 2 warnings in 75.52s (0:01:15) ======'), c(3, 1, 0));
    assert.deepEqual(p('=================== 3 errors in 0.20s ==================='), c(0, 3, 0));
    assert.deepEqual(p('============================ no tests ran in 0.01s ============================'), c(0, 0, 0));
    assert.deepEqual(p('4 passed, 1 warning in 0.33s'), c(4, 0, 0));
  });

  it('hand-written TAP: nested subtests are not counted twice, TODO failures do not fail', () => {
    const tapOut = ['TAP version 14', '# Subtest: group', '    ok 1 - inner a', '    not ok 2 - inner b', '    1..2', 'not ok 1 - group', 'ok 2 - plain', 'not ok 3 - later # TODO not done', 'ok 4 - win # skip no windows', '1..4'].join('\n');
    assert.deepEqual(parseCounts(tapOut, 'tap'), { counts: c(1, 1, 2), runner: 'tap' });
    assert.match(failureExcerpt(tapOut, 'tap') ?? '', /^ {4}not ok 2 - inner b/);
    assert.deepEqual(parseCounts('ok so far\nall ok\n'), {}, 'no plan and no version line: not TAP');
  });

  it('output no runner summarises has no counts; an error line still gives an excerpt', () => {
    assert.deepEqual(parseCounts(output('tsc-errors')), {});
    assert.match(failureExcerpt(output('tsc-errors')) ?? '', /^bad\.ts\(1,7\): error TS2322/);
    // eslint's stylish format: the file line above the first error is kept for context.
    const eslint = '\n/repo/src/app.ts\n   3:7  error  \'x\' is assigned a value but never used  no-unused-vars\n\n✖ 1 problem (1 error, 0 warnings)\n';
    assert.match(failureExcerpt(eslint) ?? '', /^\/repo\/src\/app\.ts\n {3}3:7 {2}error/);
    assert.deepEqual(parseCounts('Compiled successfully in 2.1s\nDone.\n'), {});
    assert.equal(failureExcerpt('Compiled successfully in 2.1s\n0 errors\nDone.\n'), undefined);
    assert.equal(failureExcerpt(''), undefined);
    // A compile error before any test ran: the hinted runner's own marker.
    assert.match(failureExcerpt(output('cargo-build-failed'), 'cargo') ?? '', /^error\[E0425\]: cannot find function `sub`/);
  });

  it('CRLF line ends and progress lines rewritten with \\r read as a terminal shows them', () => {
    const out = 'Downloading 10%\rDownloading 55%\rDownloading 100%\r\n' + output('pytest-passing').replace(/\n/g, '\r\n');
    assert.deepEqual(parseCounts(out), { counts: c(5, 0, 1), runner: 'pytest' });
    assert.equal(failureExcerpt('x\r\n  ● suite › fails\r\n\r\n    boom\r\n\r\nTests:       1 failed, 1 total\r\n', 'jest'), '  ● suite › fails\n\n    boom');
  });

  it('an excerpt is at most 40 lines and 8 KB', () => {
    const long = ['  1) suite', '       fails:', ...Array.from({ length: 200 }, (_, i) => `      at frame ${i}`)].join('\n');
    const ex = failureExcerpt(`  0 passing (1ms)\n  1 failing\n\n${long}`, 'mocha') ?? '';
    assert.equal(ex.split('\n').length, EXCERPT_MAX_LINES);
    const wide = failureExcerpt(`--- FAIL: TestHuge (0.00s)\n    ${'x'.repeat(100_000)}\nFAIL\n`, 'go') ?? '';
    assert.ok(wide.length <= EXCERPT_MAX_CHARS && wide.length > EXCERPT_MAX_CHARS - 100, String(wide.length));
    assert.ok(wide.endsWith('…'));
  });

  it('1 MB of noisy output stays under 50 ms (counts and excerpt)', () => {
    const noise: string[] = [];
    for (let i = 0, size = 0; size < 1_000_000; i += 1, size += (noise.at(-1)?.length ?? 0) + 1) {
      noise.push(i % 7 === 0 ? `\x1b[2m[${i}] GET /api/items?page=${i} 200 ${i % 97}ms\x1b[22m` : i % 11 === 0 ? `  progress ${i % 100}%\r  progress 100%` : `    ✓ renders item ${i} with ok status (${i % 13}ms) ; ok ${i} not a TAP line`);
    }
    const mid = Math.floor(noise.length / 2);
    const out = [...noise.slice(0, mid), output('jest-failing'), ...noise.slice(mid)].join('\n') + `\n${output('jest-failing')}`;
    assert.ok(out.length > 1_000_000);
    const best = (f: () => unknown) => Math.min(...[0, 1, 2].map(() => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    }));
    assert.deepEqual(parseCounts(out), { counts: c(3, 1, 2), runner: 'jest' });
    assert.match(failureExcerpt(out) ?? '', /● cart › discount/);
    const tCounts = best(() => parseCounts(out));
    const tExcerpt = best(() => failureExcerpt(out));
    assert.ok(tCounts < 50, `parseCounts took ${tCounts.toFixed(1)} ms`);
    assert.ok(tExcerpt < 50, `failureExcerpt took ${tExcerpt.toFixed(1)} ms`);
    // One 1 MB line without a newline (a minified bundle printed by a build): no runaway matching.
    const line = 'a1 b2 passing failing = in 0.1s '.repeat(32_000);
    const tLine = best(() => [parseCounts(line), failureExcerpt(line)]);
    assert.ok(tLine < 50, `one long line took ${tLine.toFixed(1)} ms`);
  });
});
