/**
 * The pure rules of combine-then-verify: which layer of the stack a regression (checks/regressions.ts)
 * is attributed to, and how many fix-up rounds a plan may still start. No I/O: plans/verify.ts drives
 * them with real trees.
 */

/**
 * The first layer (in stack order) whose head fails: base+T1, base+T1+T2, ... The ticket added by that
 * layer broke it — also when each ticket passes alone and only the two together fail (one renames a
 * function, a later one still calls the old name). Stops at the first failing layer; undefined when
 * none fails (a flaky check: the caller decides).
 */
export async function attribute<L>(layers: readonly L[], fails: (layer: L, index: number) => Promise<boolean>): Promise<{ layer: L; index: number } | undefined> {
  for (const [index, layer] of layers.entries()) if (await fails(layer, index)) return { layer, index };
  return undefined;
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
