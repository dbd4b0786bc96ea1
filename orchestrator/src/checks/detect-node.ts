/**
 * Checks from package.json scripts. They run with npm: the image has no pnpm or yarn, and fetching
 * one (`npx --yes pnpm@9`) needs the network, which the policy asks a person for — a check must run
 * offline without asking. npm's script runner runs a script the same way (node_modules/.bin on PATH)
 * on the node_modules the set-up installed with the lockfile's manager. Only Yarn Plug'n'Play has
 * no node_modules: there the scripts need yarn itself (`nodePackageManager`, as the set-up calls it).
 */
import { nodePackageManager, type ReadFile } from '../deps/detect';
import { guessRunner } from './runner-kind';
import type { CheckSpec } from './types';

/** Check name → the scripts that provide it, first found wins. */
const SCRIPTS: Array<[string, string[]]> = [
  ['test', ['test']],
  ['lint', ['lint']],
  ['typecheck', ['typecheck', 'type-check', 'tsc']],
  ['build', ['build']],
];

/** What `npm init` writes when there are no tests: not a check (it always fails). */
const isPlaceholder = (script: string) => /no test specified/.test(script) && /exit 1/.test(script);

/** The runner a script uses, following "npm run x" / "yarn x" to the scripts it calls (a few levels). */
function scriptRunner(scripts: Record<string, string>, name: string, depth = 0): ReturnType<typeof guessRunner> {
  const text = scripts[name] ?? '';
  const direct = guessRunner(text);
  if (direct || depth >= 3) return direct;
  for (const m of text.matchAll(/\b(?:npm|pnpm|yarn)\s+(?:run(?:-script)?\s+)?([\w:.-]+)/g)) {
    const ref = m[1] === 't' ? 'test' : (m[1] as string);
    if (ref !== name && scripts[ref] !== undefined) {
      const found = scriptRunner(scripts, ref, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** Each check with the script's text (what it covers, for de-duplication against a Makefile's). */
export function nodeChecks(read: ReadFile): Array<CheckSpec & { covers: string }> {
  const text = read('package.json');
  if (text === undefined) return [];
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch {
    return []; // an unparsable package.json names no checks (the set-up reports nothing either)
  }
  if (typeof pkg !== 'object' || pkg === null) return [];
  const { scripts: raw, packageManager } = pkg as { scripts?: unknown; packageManager?: unknown };
  if (typeof raw !== 'object' || raw === null) return [];
  const scripts = Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const m = nodePackageManager(read, packageManager);
  const pnp = m.name === 'yarn' && (m.berry || read('.yarnrc.yml') !== undefined) && !/^\s*nodeLinker:\s*["']?node-modules/m.test(read('.yarnrc.yml') ?? '');
  const bin = pnp ? m.bin : 'npm';
  const note = m.name !== 'npm' && !pnp ? ` (${m.lockfile}: run with npm)` : '';
  const out: Array<CheckSpec & { covers: string }> = [];
  for (const [name, candidates] of SCRIPTS) {
    const script = candidates.find((s) => scripts[s]?.trim() && !(s === 'test' && isPlaceholder(scripts[s] as string)));
    if (!script) continue;
    const runner = scriptRunner(scripts, script);
    out.push({ name, command: script === 'test' ? `${bin} test` : `${bin} run ${script}`, source: `package.json scripts.${script}${note}`, ...(runner ? { runner } : {}), covers: scripts[script] as string });
  }
  return out;
}
