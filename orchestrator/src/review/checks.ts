/**
 * Checks run on the exact tree of a commit before it is made (when some hunks were rejected, the tree
 * is one nobody has tested). Pluggable: a `CheckRunner` gets a host directory holding exactly that tree
 * and reports `check_result`s; the evidence work will add runners (lint, build, the task's own checks).
 * Today's one: the test command the heuristic lane knows, run in a sandbox through the one command path
 * (policy, approval if `ask`, audit).
 */
import { MAX_TEXT_LENGTH, type EventPayload } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import { detectTestCommand } from '../heuristic/intents';
import { LazySandbox, runCommandTool, type CommandToolDeps } from '../tools/run-command';
import type { Sandbox } from '../sandbox';
import { readWorkspaceFile } from '../workbench/fs-safe';

export type CheckResult = Omit<EventPayload<'check_result'>, 'taskId'>;

export interface CheckEnv {
  ctx: TaskContext;
  /** Host directory with exactly the tree to check (no .git). */
  dir: string;
  /** The commit whose tree `dir` holds (keys the approvals a check may need, stable across a restart). */
  commit: string;
  /** A sandbox with `dir` mounted as its workspace. */
  sandbox: () => Promise<Sandbox>;
  deps: CommandToolDeps;
}

export interface CheckRunner {
  readonly name: string;
  /** The command it would run on `dir`, or undefined when it has nothing to check there. */
  plan(dir: string): string | undefined;
  run(env: CheckEnv, command: string): Promise<CheckResult>;
}

/** `npm test` / `make test` / pytest, as the heuristic lane detects them. */
export const testCommandCheck: CheckRunner = {
  name: 'tests',
  plan: (dir) =>
    detectTestCommand({
      packageJson: readWorkspaceFile(dir, 'package.json'),
      makefile: readWorkspaceFile(dir, 'Makefile'),
      hasPytest: readWorkspaceFile(dir, 'pytest.ini') !== undefined || readWorkspaceFile(dir, 'pyproject.toml')?.includes('[tool.pytest') === true,
    }),
  async run(env, command) {
    const started = Date.now();
    const sandbox = new LazySandbox(env.sandbox);
    try {
      const r = await runCommandTool(env.ctx, sandbox, command, env.deps, { key: `check:${this.name}:${env.commit}`, label: `${command} (checks on the accepted hunks)` });
      const durationMs = Math.round(r.result?.durationMs ?? Date.now() - started);
      if (!r.ran) return { name: this.name, command, status: 'error', durationMs, output: r.reason };
      const output = `${r.result?.stdout ?? ''}${r.result?.stderr ?? ''}`.slice(-MAX_TEXT_LENGTH);
      const exitCode = r.result?.exitCode ?? -1;
      return { name: this.name, command, status: exitCode === 0 && !r.result?.timedOut ? 'passed' : 'failed', exitCode, durationMs, output };
    } finally {
      await sandbox.release();
    }
  },
};
