/**
 * Which dependency set-up a repository needs, from its own manifest files (read as data on the host;
 * nothing of the repository runs here): npm/pnpm/yarn lockfiles or a package.json with dependencies,
 * requirements files or a pyproject/setup.py, go.mod, Cargo.toml. Each plan says how to tell that it
 * ran already (a path in the working copy), so "Run the tests" only sets up what is missing.
 */
export type SetupKind = 'node' | 'python' | 'go' | 'rust' | 'configured';

export interface SetupPlan {
  kind: SetupKind;
  /** Shell commands, run in order in the set-up sandbox (cwd /workspace); the first failure stops it. */
  commands: string[];
  /** Why this plan: the files it was read from. */
  reason: string;
  /** A path in the working copy that exists once the set-up ran (node_modules, .venv); none: always run. */
  marker?: string;
}

import { readPyproject } from './pyproject';

/** Reads a file of the working copy (undefined when missing or not a regular file). */
export type ReadFile = (rel: string) => string | undefined;

/** The directory the Python set-up creates; "Run the tests" uses its interpreter. */
export const VENV = '.venv';
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The package manager a Node project uses and how to call it in a sandbox (the image has npm only). */
export interface NodeManager {
  name: 'npm' | 'pnpm' | 'yarn';
  /** The command to call it with: "npm", or "npx --yes pnpm@9" (the version package.json pins, else a default). */
  bin: string;
  /** The lockfile that chose it (none: npm without a lockfile). */
  lockfile?: string;
  /** Yarn 2+ ("berry"), whose flags differ from yarn 1's. */
  berry: boolean;
}

/** The manager the lockfile implies; `packageManager` is package.json's field of that name ("pnpm@9.1.0"). */
export function nodePackageManager(read: ReadFile, packageManager?: unknown): NodeManager {
  const pinned = typeof packageManager === 'string' ? /^(pnpm|yarn)@(\d[\w.+-]*)/.exec(packageManager) : null;
  const via = (name: 'pnpm' | 'yarn', fallback: string) => `npx --yes ${name}@${pinned?.[1] === name ? pinned[2] : fallback}`;
  if (read('pnpm-lock.yaml') !== undefined) return { name: 'pnpm', bin: via('pnpm', '9'), lockfile: 'pnpm-lock.yaml', berry: false };
  if (read('yarn.lock') !== undefined) return { name: 'yarn', bin: via('yarn', '1'), lockfile: 'yarn.lock', berry: pinned?.[1] === 'yarn' && !pinned[2]?.startsWith('1.') };
  const lockfile = ['package-lock.json', 'npm-shrinkwrap.json'].find((f) => read(f) !== undefined);
  return { name: 'npm', bin: 'npm', ...(lockfile ? { lockfile } : {}), berry: false };
}

function nodePlan(read: ReadFile): SetupPlan | undefined {
  const text = read('package.json');
  if (text === undefined) return undefined;
  let pkg: { dependencies?: object; devDependencies?: object; optionalDependencies?: object; packageManager?: unknown } = {};
  try {
    pkg = JSON.parse(text) as typeof pkg;
  } catch {
    return undefined; // an unparsable package.json installs nothing
  }
  const count = ['dependencies', 'devDependencies', 'optionalDependencies'].reduce((n, k) => n + Object.keys((pkg as Record<string, object | undefined>)[k] ?? {}).length, 0);
  if (count === 0) return undefined;
  const m = nodePackageManager(read, pkg.packageManager);
  const marker = 'node_modules';
  if (m.name === 'pnpm') return { kind: 'node', commands: [`${m.bin} install --frozen-lockfile`], reason: 'pnpm-lock.yaml', marker };
  if (m.name === 'yarn') return { kind: 'node', commands: [`${m.bin} install ${m.berry ? '--immutable' : '--frozen-lockfile'}`], reason: 'yarn.lock', marker };
  if (m.lockfile) return { kind: 'node', commands: ['npm ci'], reason: m.lockfile, marker };
  // No lockfile: install what package.json says without writing one into the working copy.
  return { kind: 'node', commands: ['npm install --no-package-lock'], reason: `package.json (${count} dependencies, no lockfile)`, marker };
}

const REQUIREMENTS = ['requirements.txt', 'requirements-dev.txt', 'requirements-test.txt', 'requirements_dev.txt', 'requirements_test.txt', 'dev-requirements.txt', 'test-requirements.txt', 'requirements/dev.txt', 'requirements/test.txt'];

/** True when the project runs its tests with pytest (its configuration or a conftest.py). */
export function usesPytest(read: ReadFile): boolean {
  return read('pytest.ini') !== undefined || read('conftest.py') !== undefined || read('pyproject.toml')?.includes('[tool.pytest') === true || /^\[(tool:)?pytest\]/m.test(read('setup.cfg') ?? '') || /^\[pytest\]/m.test(read('tox.ini') ?? '');
}

function pythonPlan(read: ReadFile): SetupPlan | undefined {
  const reqs = REQUIREMENTS.filter((f) => read(f) !== undefined);
  const pyproject = read('pyproject.toml');
  const toml = pyproject !== undefined ? readPyproject(pyproject) : undefined;
  const installable = toml?.installable === true || (toml === undefined && pyproject !== undefined && /^\[(project|build-system|tool\.poetry)\]/m.test(pyproject)) || read('setup.py') !== undefined;
  if (reqs.length === 0 && !installable && !usesPytest(read)) return undefined;
  const pip = `${VENV}/bin/pip install`;
  const commands = [`python3 -m venv ${VENV}`];
  const why: string[] = [];
  if (reqs.length) {
    commands.push(`${pip} ${reqs.map((r) => `-r ${q(r)}`).join(' ')}`);
    why.push(...reqs);
  }
  const extras = toml?.extras ?? [];
  if (installable) {
    // The project itself, editable, with its test extras when it declares any.
    commands.push(`${pip} -e ${q(extras.length ? `.[${extras.join(',')}]` : '.')}`);
    why.push(pyproject !== undefined ? `pyproject.toml${extras.length ? ` (extras ${extras.join(', ')})` : ''}` : 'setup.py');
  }
  // PEP 735 dependency groups: the image's pip (23) has no --group, so their requirements are named.
  if (toml?.groupRequirements.length) {
    commands.push(`${pip} ${toml.groupRequirements.map(q).join(' ')}`);
    why.push(`pyproject.toml (dependency group ${toml.groups.join(', ')})`);
  }
  // Tests run with pytest but nothing above installs it: install it too (the venv has no other).
  const installed = [...reqs.map((r) => read(r) ?? ''), read('setup.py') ?? '', read('setup.cfg') ?? '', ...(toml ? toml.requirements : [pyproject ?? ''])];
  const named = installed.some((t) => /(^|["'\s,[])pytest\b/m.test(t));
  if (usesPytest(read) && !named) {
    commands.push(`${pip} pytest`);
    why.push('pytest configuration');
  }
  return { kind: 'python', commands, reason: why.join(', '), marker: VENV };
}

/** Every set-up the working copy needs, detected from its files. */
export function detectSetup(read: ReadFile): SetupPlan[] {
  const plans: SetupPlan[] = [];
  const node = nodePlan(read);
  if (node) plans.push(node);
  const py = pythonPlan(read);
  if (py) plans.push(py);
  // Go and Rust download into the repository's cache (/cache); no marker in the working copy.
  if (read('go.mod') !== undefined) plans.push({ kind: 'go', commands: ['go mod download'], reason: 'go.mod' });
  if (read('Cargo.toml') !== undefined) plans.push({ kind: 'rust', commands: [read('Cargo.lock') !== undefined ? 'cargo fetch --locked' : 'cargo fetch'], reason: read('Cargo.lock') !== undefined ? 'Cargo.lock' : 'Cargo.toml' });
  return plans;
}
