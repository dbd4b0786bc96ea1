/**
 * Which checks a tree has, from its own files read as data (nothing of the repository runs here):
 * Makefile targets (test, lint, check), package.json scripts (test, lint, typecheck, build), pytest,
 * go test, cargo test — then the checks configured in the repo settings.
 *
 * One check per name. The Makefile comes first (it is the project's own entry point and may cover
 * several languages); a later source whose name is taken is dropped when the taker's recipe already
 * runs that toolchain ("test: npm test" covers package.json's test), else kept as "<name>-<language>"
 * (a Go service with a web UI has "test" and "test-node"). Order: test, lint, typecheck, build, check.
 *
 * Configured checks (`checks.run`): one with a detected check's name replaces it in place, the others
 * follow in the order written; with `checks.auto: false` only the configured checks run.
 */
import { detectSetup, usesPytest, VENV, type ReadFile } from '../deps/detect';
import type { ConfiguredCheck } from '../deps/settings';
import { nodeChecks } from './detect-node';
import { makeTargets } from './makefile';
import { guessRunner } from './runner-kind';
import type { CheckSpec } from './types';

export interface DetectOptions {
  /** The entries of a directory of the tree, to find tests/test_*.py; none: only named files are read. */
  list?: (relDir: string) => readonly string[] | undefined;
  /** false: no detection, only the configured checks (repo settings `checks.auto`). */
  auto?: boolean;
  /** Whether the tree has the set-up's venv (after the set-up ran); none: whether the detected set-up would make one. */
  venv?: () => boolean;
}

type Lang = 'make' | 'node' | 'python' | 'go' | 'rust';
type Candidate = CheckSpec & { lang: Lang; covers: string };

/** What a recipe mentions when it already runs a language's checks. */
const RUNS: Record<Lang, RegExp> = {
  make: /\bmake\b/,
  node: /\b(npm|pnpm|yarn|npx|node)\b/,
  python: /\b(pytest|tox|nox|python3?)\b/,
  go: /\bgo\s+(test|vet|build)\b/,
  rust: /\bcargo\b/,
};
const ORDER = ['test', 'lint', 'typecheck', 'build', 'check'];
const rank = (name: string) => {
  const i = ORDER.indexOf(name.replace(/-(node|python|go|rust)$/, ''));
  return i < 0 ? ORDER.length : i;
};

function makeChecks(read: ReadFile): Candidate[] {
  const text = read('Makefile') ?? read('makefile') ?? read('GNUmakefile');
  if (text === undefined) return [];
  const targets = makeTargets(text);
  return ['test', 'lint', 'check'].flatMap((t) => {
    const recipe = targets.get(t);
    if (!recipe) return [];
    const runner = guessRunner(recipe.join('\n'));
    return [{ name: t, command: `make ${t}`, source: `Makefile target ${t}`, ...(runner ? { runner } : {}), lang: 'make' as const, covers: recipe.join('\n') }];
  });
}

function pythonChecks(read: ReadFile, { list, venv }: DetectOptions): Candidate[] {
  const testFiles = ['tests', 'test'].find((d) => list?.(d)?.some((f) => /^test_.*\.py$|_test\.py$/.test(f)));
  const tox = read('tox.ini');
  const toxRunsPytest = tox !== undefined && /\bpytest\b/.test(tox);
  if (!usesPytest(read) && !testFiles && !toxRunsPytest) return [];
  const why = usesPytest(read) ? 'pytest configuration' : testFiles ? `${testFiles}/test_*.py` : 'tox.ini runs pytest';
  // No tox in the sandbox (and it would install again, without network): pytest directly.
  const note = tox !== undefined ? '; tox.ini noted, pytest run directly' : '';
  // The set-up's venv has the packages; a configured set-up may not make one, so ask the tree when we can.
  const python = (venv ? venv() : detectSetup(read).some((p) => p.kind === 'python')) ? `${VENV}/bin/python` : 'python3';
  return [{ name: 'test', command: `${python} -m pytest`, source: `${why}${note}`, runner: 'pytest', lang: 'python', covers: '' }];
}

function toolchainChecks(read: ReadFile): Candidate[] {
  const out: Candidate[] = [];
  if (read('go.mod') !== undefined) out.push({ name: 'test', command: 'go test ./...', source: 'go.mod', runner: 'go', lang: 'go', covers: '' });
  if (read('Cargo.toml') !== undefined) out.push({ name: 'test', command: 'cargo test', source: 'Cargo.toml', runner: 'cargo', lang: 'rust', covers: '' });
  return out;
}

function detected(read: ReadFile, options: DetectOptions): CheckSpec[] {
  const taken = new Map<string, Candidate>();
  const candidates = [...makeChecks(read), ...nodeChecks(read).map((c) => ({ ...c, lang: 'node' as const })), ...pythonChecks(read, options), ...toolchainChecks(read)];
  for (const c of candidates) {
    const holder = taken.get(c.name);
    if (!holder) taken.set(c.name, c);
    else if (!RUNS[c.lang].test(holder.covers) && !taken.has(`${c.name}-${c.lang}`)) taken.set(`${c.name}-${c.lang}`, { ...c, name: `${c.name}-${c.lang}` });
  }
  // Stable: by kind of check, then in the order the sources were read.
  return [...taken.values()].map((c, i) => ({ c, i })).sort((a, b) => rank(a.c.name) - rank(b.c.name) || a.i - b.i).map(({ c: { lang: _l, covers: _c, ...spec } }) => spec);
}

/** The checks to run on a tree: detected (unless `auto` is false), then the configured ones merged in. */
export function detectChecks(read: ReadFile, configured: readonly ConfiguredCheck[] = [], options: DetectOptions = {}): CheckSpec[] {
  const checks = options.auto === false ? [] : detected(read, options);
  for (const c of configured) {
    const runner = c.runner ?? guessRunner(c.command);
    const spec: CheckSpec = { name: c.name, command: c.command, source: 'repo settings', ...(runner ? { runner } : {}) };
    const at = checks.findIndex((d) => d.name === c.name);
    if (at >= 0) checks[at] = spec;
    else checks.push(spec);
  }
  return checks;
}
