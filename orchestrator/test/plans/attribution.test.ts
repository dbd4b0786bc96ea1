/**
 * The search that attributes a regression to a layer of the stack (plans/regressions.ts `attribute`),
 * driven by a fake check runner: layer i is base+T1+...+T(i+1); the runner says whether the failing
 * check is a regression there, and counts how often it was asked (each ask is one sandboxed check run
 * in the real loop; the last layer is the combined tree, already checked).
 */
import assert from 'node:assert/strict';
import { regressions } from '../../src/checks/regressions';
import type { CheckResult } from '../../src/checks/types';
import { attribute, WALK_UP_TO } from '../../src/plans/regressions';

type Outcome = Pick<CheckResult, 'name' | 'status' | 'counts'>;

/** A runner whose check result per layer is `outcome(i)`; a regression is judged against `base` as in verify.ts. */
function runner(outcome: (i: number) => Outcome, base: Outcome = { name: 'test', status: 'passed' }) {
  const asked: number[] = [];
  const fails = async (_layer: string, i: number) => {
    asked.push(i);
    return regressions([outcome(i)], [base]).length > 0;
  };
  return { fails, asked };
}

const layersOf = (n: number) => Array.from({ length: n }, (_, i) => `base+T1..T${i + 1}`);
const passed: Outcome = { name: 'test', status: 'passed' };
const failed: Outcome = { name: 'test', status: 'failed' };
/** Worst-case runs of a bisection over n layers whose last is known to fail. */
const log2 = (n: number) => Math.ceil(Math.log2(n));

describe('plans: attributing a regression to a layer of the stack', () => {
  it('a regression introduced by ticket k of n (every k, n ≤ 8): found, in order up to 3 layers, bisected above with at most ⌈log2 n⌉ runs', async () => {
    for (let n = 1; n <= 8; n++) {
      for (let k = 0; k < n; k++) {
        const { fails, asked } = runner((i) => (i >= k ? failed : passed));
        const hit = await attribute(layersOf(n), fails, { lastFails: true });
        assert.equal(hit?.index, k, `n=${n} k=${k}`);
        assert.equal(hit?.layer, `base+T1..T${k + 1}`);
        if (n <= WALK_UP_TO) assert.deepEqual(asked, Array.from({ length: k + 1 }, (_, i) => i), `n=${n} k=${k}: walked in order`);
        else {
          assert.ok(asked.length <= log2(n), `n=${n} k=${k}: ${asked.length} runs`);
          assert.ok(!asked.includes(n - 1), 'the combined tree is not checked again');
          assert.equal(new Set(asked).size, asked.length, 'no layer asked twice');
        }
      }
    }
  });

  it('the run counts for 6 layers, culprit T1..T6: 2 or 3 each, where the walk needs k (up to 5: the last layer is cached)', async () => {
    const counts = [];
    for (let k = 0; k < 6; k++) {
      const { fails, asked } = runner((i) => (i >= k ? failed : passed));
      await attribute(layersOf(6), fails, { lastFails: true });
      counts.push(asked.length);
    }
    assert.deepEqual(counts, [2, 3, 3, 2, 3, 3]);
  });

  it('the check fails on the base too: a layer regresses only when it fails more tests (both-fail)', async () => {
    const base: Outcome = { name: 'test', status: 'failed', counts: { passed: 4, failed: 1, skipped: 0 } };
    for (const n of [3, 5, 8]) {
      for (let k = 0; k < n; k++) {
        const { fails } = runner((i) => ({ name: 'test', status: 'failed', counts: { passed: 4, failed: i >= k ? 2 : 1, skipped: 0 } }), base);
        assert.equal((await attribute(layersOf(n), fails, { lastFails: true }))?.index, k, `n=${n} k=${k}`);
      }
    }
    // Failing on the base with no counts: failing on a layer is no regression, so nothing is attributed.
    const { fails } = runner(() => failed, failed);
    assert.equal(await attribute(layersOf(5), fails), undefined);
    assert.equal(await attribute(layersOf(2), fails), undefined);
  });

  it('not monotone or flaky: what is returned is an observed pass→fail step, within the bound', async () => {
    // T3 breaks it, T5 repairs it, T7 breaks it again: either step is a true attribution.
    const { fails } = runner((i) => ((i >= 2 && i < 4) || i >= 6 ? failed : passed));
    assert.ok([2, 6].includes((await attribute(layersOf(8), fails, { lastFails: true }))?.index ?? -1));
    // A coin for every run (seeded): the answer always rests on what the runs said.
    let seed = 7;
    const coin = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) & 1) === 1;
    for (let trial = 0; trial < 200; trial++) {
      const n = 4 + (trial % 5);
      const said = new Map<number, boolean>();
      const hit = await attribute(layersOf(n), async (_l, i) => {
        const f = coin();
        said.set(i, f);
        return f;
      }, { lastFails: true });
      assert.ok(hit, 'the last layer is known to fail: always an answer');
      assert.ok(said.size <= log2(n));
      assert.ok(hit.index === n - 1 || said.get(hit.index) === true, 'the blamed layer failed');
      assert.ok(hit.index === 0 || said.get(hit.index - 1) === false, 'the layer before it passed');
    }
  });

  it('the last layer passes when asked (a flake on the combined tree): nothing attributed, the caller decides', async () => {
    for (const n of [2, 6]) {
      const { fails, asked } = runner(() => passed);
      assert.equal(await attribute(layersOf(n), fails), undefined);
      assert.deepEqual(asked, n <= WALK_UP_TO ? [0, 1] : [n - 1], `n=${n}`);
    }
    assert.equal(await attribute([], async () => true), undefined);
  });
});
