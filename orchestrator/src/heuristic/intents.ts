/**
 * The heuristic lane: recognises a few simple requests without any LLM. Each intent maps to a fixed,
 * reviewable action, so the whole loop (sandbox, policy, approvals, audit) works before agents exist.
 */
import { usesPytest, VENV } from '../deps/detect';

export type Intent =
  | { kind: 'run_command'; title: string; command: string }
  | { kind: 'run_tests'; title: string }
  | { kind: 'run_checks'; title: string }
  | { kind: 'fix_readme'; title: string; file: string };

const GIT_READONLY = ['status', 'log', 'diff', 'branch', 'show'] as const;

/** Returns the intent of a request, or undefined when it needs a real agent (an LLM). */
export function recognizeIntent(request: string): Intent | undefined {
  const text = request.trim().toLowerCase().replace(/\s+/g, ' ');
  for (const sub of GIT_READONLY) {
    if (new RegExp(`\\bgit ${sub}\\b`).test(text)) {
      const command = sub === 'log' ? 'git log --oneline -n 20' : `git ${sub}`;
      return { kind: 'run_command', title: `Run ${command}`, command };
    }
  }
  if (/\b(run|execute)\b.*\b(the )?(repo(sitory)?'?s? )?checks\b/.test(text) || /^checks$/.test(text)) {
    return { kind: 'run_checks', title: 'Run the checks' };
  }
  if (/\b(run|execute)\b.*\b(the )?(unit )?tests?\b/.test(text) || /^tests?$/.test(text)) {
    return { kind: 'run_tests', title: 'Run the tests' };
  }
  const readme = /\b(readme(\.md)?)\b/.exec(text);
  if (readme && /\b(fix|patch|correct|clean ?up|tidy)\b/.test(text)) {
    return { kind: 'fix_readme', title: 'Fix the README', file: 'README.md' };
  }
  return undefined;
}

/** The intents the heuristic lane understands, for the reply to a request it does not. */
export const HEURISTIC_EXAMPLES = ['Run git status on this repo', 'Run the tests', 'Run the checks', 'Apply a patch to fix the README'];

/**
 * Picks the test command from the repository's own manifest files (read as data; nothing of the
 * repository runs on the host). Returns undefined when no test command is found. Python tests run
 * with the set-up's virtualenv when it exists (`.venv/bin/python`), else the image's python3.
 */
export function detectTestCommand(files: { packageJson?: string; makefile?: string; read?: (rel: string) => string | undefined; hasPytest?: boolean; venvPython?: () => boolean }): string | undefined {
  if (files.packageJson) {
    try {
      const pkg = JSON.parse(files.packageJson) as { scripts?: Record<string, unknown> };
      const test = pkg.scripts?.test;
      if (typeof test === 'string' && !/no test specified/.test(test)) return 'npm test';
    } catch {
      // an unparsable package.json is not a test command
    }
  }
  if (files.makefile && /^test\s*:/m.test(files.makefile)) return 'make test';
  if (files.hasPytest || (files.read && usesPytest(files.read))) return `${files.venvPython?.() ? `${VENV}/bin/python` : 'python3'} -m pytest -q`;
  return undefined;
}
