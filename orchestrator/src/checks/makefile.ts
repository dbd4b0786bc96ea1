/** The explicit targets of a Makefile with their recipes, read as text (make never runs on the host). */

/**
 * Target name → its recipe lines. Pattern rules (`%.o: %.c`), special targets (`.PHONY`), targets
 * named by variables and variable assignments (`A := b`, `A = b:c`) are not targets anyone runs by name.
 */
export function makeTargets(text: string): Map<string, string[]> {
  const targets = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    if (line.startsWith('\t')) {
      current?.push(line.slice(1));
      continue;
    }
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^([^\s:=#;][^:=#;]*?)\s*::?(?!=)([^;]*)(?:;(.*))?$/.exec(line);
    current = undefined;
    if (!m) continue;
    const names = (m[1] as string).split(/\s+/).filter((t) => !t.includes('%') && !t.startsWith('.') && !t.includes('$'));
    if (!names.length) continue;
    // A target may get its prerequisites on one line and its recipe on another rule: one recipe list.
    current = (names.length === 1 && targets.get(names[0] as string)) || [];
    if (m[3] !== undefined) current.push(m[3].trim());
    for (const t of names) if (!targets.has(t)) targets.set(t, current);
  }
  return targets;
}
