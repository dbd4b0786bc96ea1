/**
 * Why a command failed for want of something installed, in words a person can act on: exit 127
 * ("xo: not found", "mocha: command not found") and Python's "No module named pytest". The sandbox
 * has no network and a fresh working copy has no dependencies, so these are the usual first failure
 * on a real project; the message says which of the causes applies and what to do about it.
 */
export interface Missing {
  kind: 'command' | 'python_module';
  name: string;
}

interface Output {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Toolchains that come with an image variant (`pushpals sandbox build-image --with <variant>`). */
const TOOLCHAIN_VARIANT: Record<string, string> = { go: 'go', gofmt: 'go', cargo: 'rust', rustc: 'rust', java: 'java', javac: 'java', mvn: 'java' };

/** The missing command or module a failed command's output names, or undefined. */
export function findMissing(r: Output): Missing | undefined {
  if (r.exitCode === 0) return undefined;
  const text = `${r.stderr}\n${r.stdout}`;
  const mod = /No module named '?([A-Za-z_][\w.]*)'?/.exec(text);
  if (mod) return { kind: 'python_module', name: (mod[1] as string).split('.')[0] as string };
  if (r.exitCode === 127) {
    // sh: "sh: 1: xo: not found"; bash: "bash: line 1: mocha: command not found"; env: "env: 'x': No such file or directory"
    const cmd = /(?:^|\n)[^\n]*?([^\s:'"]+)'?: (?:command )?not found/.exec(text) ?? /env: '([^']+)': No such file or directory/.exec(text);
    return { kind: 'command', name: cmd ? (cmd[1] as string) : '(unknown)' };
  }
  return undefined;
}

export interface MissingContext {
  /** The set-up commands that ran before (empty: none ran). */
  setupRan: string[];
  /** Whether the working copy has a manifest a set-up could install from (package.json deps, requirements, pyproject, ...). */
  hasManifest: boolean;
  /** Where the person names the set-up (the repo settings file). */
  settingsFile?: string;
}

/** One paragraph: what is missing, why, and what to do. */
export function explainMissing(m: Missing, c: MissingContext): string {
  const what = m.kind === 'command' ? `the command \`${m.name}\` was not found (exit 127)` : `the Python module \`${m.name}\` is not installed ("No module named ${m.name}")`;
  const settings = c.settingsFile ? ` in ${c.settingsFile}` : ' in the repository settings';
  const variant = m.kind === 'command' ? TOOLCHAIN_VARIANT[m.name] : undefined;
  if (variant) {
    return `${what}: the sandbox image has no ${variant} toolchain. Build a variant with \`pushpals sandbox build-image --with ${variant}\` and name it${settings}: {"version": 1, "image": "pushpals-worker:dev-${variant}"}.`;
  }
  const why = 'Sandboxes have no network, and a fresh working copy has no dependencies: they are installed by the dependency set-up, through the egress proxy.';
  if (c.setupRan.length) {
    const where = m.kind === 'command' ? 'package.json (devDependencies) or the requirements' : 'the requirements files or pyproject.toml (e.g. a "test" extra)';
    return `${what}, although the set-up ran (${c.setupRan.map((s) => `\`${s}\``).join(', ')}). ${why} Add \`${m.name}\` to the project's dependencies (${where}), or name the set-up commands that install it${settings}: {"version": 1, "setup": {"commands": ["..."]}}.`;
  }
  if (!c.hasManifest) {
    return `${what}. ${why} This repository has no manifest to install from (package.json with dependencies, requirements*.txt, pyproject.toml, go.mod, Cargo.toml): name the set-up commands${settings}: {"version": 1, "setup": {"commands": ["..."]}}.`;
  }
  return `${what}. ${why} It did not run for this command: ask "Run the tests" (which sets up first), or have the agent ask to install it (an approved install runs through the same proxy).`;
}
