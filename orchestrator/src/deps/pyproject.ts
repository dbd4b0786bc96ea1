/**
 * What a pyproject.toml says about installing a project's tests: its test extras
 * ([project.optional-dependencies]) and its PEP 735 dependency groups ([dependency-groups], e.g.
 * Pallets' `tests = ["pytest", ...]`), read with a real TOML parser (smol-toml), never run.
 */
import type * as SmolToml from 'smol-toml' with { 'resolution-mode': 'import' };

// smol-toml ships a CommonJS build (exports.require) under ESM-only type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parse } = require('smol-toml') as typeof SmolToml;

/** Extras / groups that hold what the tests need, in order of preference. */
export const TEST_SETS = ['test', 'tests', 'testing', 'dev'];

export interface PyprojectTests {
  /** `[project]`, `[build-system]` or poetry: `pip install -e .` works. */
  installable: boolean;
  /** Test extras the project declares (installed as `.[test,...]`). */
  extras: string[];
  /** The chosen dependency groups and their requirements (includes resolved). */
  groups: string[];
  groupRequirements: string[];
  /** Every requirement the chosen extras and groups install (to tell whether pytest is among them). */
  requirements: string[];
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Requirements of a dependency group, with `{ include-group = "x" }` entries resolved (cycles cut). */
function groupRequirements(groups: Table, name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const entries = groups[name];
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((e) => (typeof e === 'string' ? [e] : isTable(e) && typeof e['include-group'] === 'string' ? groupRequirements(groups, e['include-group'], seen) : []));
}

/** Undefined when the text is not valid TOML (the caller falls back to what it can tell without it). */
export function readPyproject(text: string): PyprojectTests | undefined {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch {
    return undefined;
  }
  const project = isTable(doc.project) ? doc.project : undefined;
  const tool = isTable(doc.tool) ? doc.tool : undefined;
  const optional = project && isTable(project['optional-dependencies']) ? project['optional-dependencies'] : {};
  const extras = TEST_SETS.filter((x) => Array.isArray(optional[x]));
  const declared = isTable(doc['dependency-groups']) ? doc['dependency-groups'] : {};
  // One group: the first test-ish one ("dev" only when there is no test group: it often pulls in linters, tox, docs).
  const group = TEST_SETS.find((g) => Array.isArray(declared[g]));
  const groups = group ? [group] : [];
  const fromGroups = groups.flatMap((g) => groupRequirements(declared, g));
  return {
    installable: project !== undefined || isTable(doc['build-system']) || (tool !== undefined && isTable(tool.poetry)),
    extras,
    groups,
    groupRequirements: fromGroups,
    requirements: [...extras.flatMap((x) => strings(optional[x])), ...fromGroups],
  };
}
