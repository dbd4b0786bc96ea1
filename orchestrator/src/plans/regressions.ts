/**
 * The pure rules of combine-then-verify: which layer of the stack a regression (checks/regressions.ts)
 * is attributed to (a walk for short stacks, a bisection for long ones), and how many fix-up rounds a plan may still start. No I/O: plans/verify.ts drives
 * them with real trees.
 */

/** A layer where a failure starts: it fails, and the layer before it (or the base, for the first) passed. */
export interface Attribution<L> {
  layer: L;
  index: number;
}

/**
 * Up to this many layers the search walks them in order: a bisection would not run fewer checks (the
 * last layer is the combined tree, already checked), and the order of the runs stays the simple one.
 */
export const WALK_UP_TO = 3;

/**
 * The layer of the stack (base+T1, base+T1+T2, ...) where a regression starts: the ticket added by that
 * layer broke it — also when each ticket passes alone and only the two together fail (one renames a
 * function, a later one still calls the old name). The base passes by definition (a regression is
 * measured against it).
 *
 * Up to WALK_UP_TO layers: the first failing layer in order, asking each up to it; undefined when none
 * fails (a flaky check: the caller decides). More layers: a bisection over the prefixes — O(log n) check
 * runs instead of n. It keeps "the layer at `lo` passed (the base: -1), the layer at `hi` failed" and
 * halves the gap, so what it returns is always an observed pass→fail step, even when the outcome is
 * not monotone along the stack (a later ticket fixed it and another broke it again: one of the steps,
 * not necessarily the first) or flaky. `lastFails`: the last layer is known to fail (it is the combined
 * tree just checked) and is not asked; otherwise it is asked first and undefined returned if it passes.
 */
export async function attribute<L>(layers: readonly L[], fails: (layer: L, index: number) => Promise<boolean>, opts: { lastFails?: boolean } = {}): Promise<Attribution<L> | undefined> {
  const at = (index: number): Attribution<L> => ({ layer: layers[index] as L, index });
  if (layers.length <= WALK_UP_TO) {
    for (const [index, layer] of layers.entries()) if (await fails(layer, index)) return at(index);
    return undefined;
  }
  let hi = layers.length - 1;
  if (!opts.lastFails && !(await fails(layers[hi] as L, hi))) return undefined;
  let lo = -1;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails(layers[mid] as L, mid)) hi = mid;
    else lo = mid;
  }
  return at(hi);
}

/** The fix-up rounds of one plan: conflicts resolved and regressions sent back together, at most `max` (planner.maxFixRounds). */
export class FixRounds {
  private used = 0;
  constructor(readonly max: number) {}

  get spent(): number {
    return this.used;
  }

  /** The next round's number (1, 2, ...), or undefined when the rounds are spent. */
  take(): number | undefined {
    return this.used < this.max ? ++this.used : undefined;
  }
}
