/**
 * The heuristic agent: runs the simple intents of intents.ts without any LLM, with the same tools,
 * sandbox, policy, approvals and audit trail that the LLM agents will use.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { parsePatch } from 'diff';
import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import type { TaskAgent, TaskContext, TaskOutcome } from '../agents/types';
import type { AgentWorkbench } from '../agents/workbench-port';
import type { TaskRecord } from '../tasks/task-store';
import { LazySandbox, runCommandTool, type CommandOutcome, type CommandToolDeps } from '../tools/run-command';
import { readWorkspaceFile } from '../workbench/fs-safe';
import { detectSetup, VENV } from '../deps/detect';
import { explainMissing, findMissing } from '../deps/diagnose';
import { describeSetupFailure, ensureDependencies } from '../deps/setup';
import { detectTestCommand, recognizeIntent, type Intent } from './intents';
import { proposeReadmeFix } from './readme-fix';
import { allPassed, describeCheck } from '../checks/types';
import type { TreeChecks } from '../checks/run';
import type { Repo } from '../git';

const done = (summary: string): TaskOutcome => ({ status: 'completed', summary });

/** A quoted here-doc delimiter that the patch cannot contain, so the patch reaches git verbatim. */
function heredoc(body: string): string {
  let tag = 'PUSHPALS_PATCH';
  while (body.includes(tag)) tag += '_X';
  return `<<'${tag}'\n${body.endsWith('\n') ? body : `${body}\n`}${tag}`;
}

export class HeuristicAgent implements TaskAgent {
  readonly id = 'worker:heuristic';

  constructor(
    private readonly wb: Pick<AgentWorkbench, 'prepareWorkspace' | 'acquireSandbox' | 'commandToolDeps' | 'proposeDiff' | 'setupDeps' | 'repoSettingsFile'>,
    /** The repository's checks on one tree ("Run the checks"). */
    private readonly checks: Pick<TreeChecks, 'run'>,
  ) {}

  canHandle(task: TaskRecord): boolean {
    // A plan's tickets go to the coding agents: their start commit and branch come from the plan.
    return task.parentId === null && recognizeIntent(task.request) !== undefined;
  }

  async run(ctx: TaskContext): Promise<TaskOutcome> {
    const intent = recognizeIntent(ctx.task.request) as Intent;
    const { repo, workspace } = await this.wb.prepareWorkspace(ctx);
    const sandbox = new LazySandbox(() => {
      ctx.progress('Starting the sandbox', { step: 'sandbox' });
      return this.wb.acquireSandbox(ctx.task.id, workspace.path, repo.id);
    });
    const deps = this.wb.commandToolDeps(repo.id, ctx.task.id, workspace.path);
    try {
      switch (intent.kind) {
        case 'run_command': {
          return this.outcome(intent.command, await runCommandTool(ctx, sandbox, intent.command, deps, { key: 'cmd:1' }));
        }
        case 'run_tests':
          return await this.runTests(ctx, repo, workspace.path, sandbox, deps);
        case 'run_checks':
          return await this.runChecks(ctx, repo, workspace.baseCommit);
        case 'fix_readme':
          return await this.fixReadme(ctx, intent.file, workspace.path, repo.name, sandbox, deps);
      }
    } finally {
      await sandbox.release();
    }
  }

  /**
   * "Run the tests": installs what is missing first (dependency set-up through the egress proxy),
   * then runs the project's test command; a test run that fails for want of a command or module
   * says why and what to do.
   */
  private async runTests(ctx: TaskContext, repo: { id: string; name: string }, dir: string, sandbox: LazySandbox, deps: CommandToolDeps): Promise<TaskOutcome> {
    const read = (f: string) => readWorkspaceFile(dir, f);
    // `.venv/bin/python` is a symlink into the image: lstat only, never followed on the host.
    const has = (rel: string) => {
      try {
        lstatSync(join(dir, rel));
        return true;
      } catch {
        return false;
      }
    };
    const command = detectTestCommand({ packageJson: read('package.json'), makefile: read('Makefile'), read, venvPython: () => has(`${VENV}/bin/python`) });
    if (!command) return done(`No test command found in ${repo.name} (looked for a package.json "test" script, a Makefile "test" target, pytest configuration).`);
    const setup = await ensureDependencies(ctx, sandbox, dir, this.wb.setupDeps(repo.id, dir, deps));
    if (setup.failed) {
      return { status: 'failed', error: { code: 'command_failed', message: describeSetupFailure(setup.failed).slice(0, MAX_MESSAGE_LENGTH), details: { setup: true, command: setup.failed.command, ...(setup.failed.exitCode !== undefined ? { exitCode: setup.failed.exitCode } : {}) } } };
    }
    // The set-up may have made the venv the test command should use.
    const final = setup.ran.length ? (detectTestCommand({ packageJson: read('package.json'), makefile: read('Makefile'), read, venvPython: () => has(`${VENV}/bin/python`) }) ?? command) : command;
    const r = await runCommandTool(ctx, sandbox, final, deps, { key: 'cmd:1' });
    const missing = r.result ? findMissing(r.result) : undefined;
    const outcome = this.outcome(final, r);
    const setupNote = setup.ran.length ? ` Dependencies were set up first (${setup.ran.map((x) => `\`${x.command}\``).join(', ')}, ${(setup.durationMs / 1000).toFixed(1)} s).` : '';
    if (outcome.status === 'failed' && missing) {
      const why = explainMissing(missing, { setupRan: setup.ran.map((x) => x.command), hasManifest: detectSetup(read).length > 0, settingsFile: this.wb.repoSettingsFile(repo.id) });
      return { status: 'failed', error: { ...outcome.error, message: `${outcome.error.message}: ${why}`.slice(0, MAX_MESSAGE_LENGTH), details: { ...outcome.error.details, missing: missing.name } } };
    }
    return outcome.status === 'completed' ? done(`${outcome.summary}${setupNote}`.slice(0, MAX_MESSAGE_LENGTH)) : outcome;
  }

  /**
   * "Run the checks": every check the repository has (tests, lint, typecheck, build), on exactly the
   * task's base commit (with the person's uncommitted changes when asked), each a `check_result` with
   * the runner's counts. Fails, naming them, when a check did not pass.
   */
  private async runChecks(ctx: TaskContext, repo: Repo, commit: string): Promise<TaskOutcome> {
    const report = await this.checks.run(ctx, repo, { commit, phase: 'base' });
    if (!report.results.length) return done(`No checks found in ${repo.name} (looked for package.json scripts test/lint/typecheck/build, Makefile targets, pytest, go test, cargo test; or configure them in the repository settings).`);
    const lines = report.results.map(describeCheck);
    const summary = `${lines.join('\n')}\n(on tree ${report.treeId.slice(0, 12)} of commit ${commit.slice(0, 12)}, ${(report.durationMs / 1000).toFixed(1)} s)`;
    if (allPassed(report)) return done(`All ${report.results.length} check(s) passed:\n${summary}`.slice(0, MAX_MESSAGE_LENGTH));
    const bad = report.results.filter((r) => r.status !== 'passed').map((r) => r.name);
    return { status: 'failed', error: { code: 'command_failed', message: `${bad.length} of ${report.results.length} check(s) did not pass (${bad.join(', ')}):\n${summary}`.slice(0, MAX_MESSAGE_LENGTH), details: { failed: bad, treeId: report.treeId } } };
  }

  /** A command's outcome as the task's: refused, timed out, failed (with its exit code) or done. */
  private outcome(command: string, r: CommandOutcome): TaskOutcome {
    const fail = (code: 'approval_denied' | 'policy_denied' | 'timeout' | 'command_failed', message: string, details?: Record<string, unknown>): TaskOutcome => ({
      status: 'failed',
      error: { code, message: message.slice(0, MAX_MESSAGE_LENGTH), ...(details ? { details } : {}) },
    });
    if (!r.ran) return fail(r.approval && r.approval.state !== 'approved' ? 'approval_denied' : 'policy_denied', `${command}: ${r.reason}`);
    const exitCode = r.result?.exitCode ?? -1;
    if (r.result?.timedOut) return fail('timeout', `\`${command}\` was killed after its timeout`, { exitCode });
    if (exitCode !== 0) return fail('command_failed', `\`${command}\` failed with exit code ${exitCode}`, { exitCode });
    return done(`\`${command}\` succeeded (exit code 0).`);
  }

  private async fixReadme(
    ctx: TaskContext,
    file: string,
    dir: string,
    projectName: string,
    sandbox: LazySandbox,
    deps: CommandToolDeps,
  ): Promise<TaskOutcome> {
    const original = readWorkspaceFile(dir, file);
    if (original === undefined) return done(`${file} does not exist (or is not a regular file): nothing to fix.`);
    const fix = proposeReadmeFix(original, file, projectName);
    if (!fix) return done(`${file} needs no fix: no misspellings, stray whitespace or missing heading found.`);

    ctx.progress(`Proposing ${fix.fixes.length} fix(es) to ${file}; waiting for approval`, { step: 'approval' });
    await deps.beforeApproval?.(); // nobody waiting for a person holds a container
    const approval = await ctx.requestApproval({
      key: `patch:${file}`,
      kind: 'patch',
      title: `Apply a patch to ${file}`,
      reason: `Fixes: ${fix.fixes.join('; ')}`.slice(0, MAX_MESSAGE_LENGTH),
      risk: 'low',
      patch: fix.patch,
    });
    if (approval.state !== 'approved') {
      deps.audit.append({ taskId: ctx.task.id, actor: ctx.agentId, action: 'patch_declined', approvalId: approval.id, verdict: 'ask', data: { file, state: approval.state, by: approval.decidedBy } });
      return done(`Patch not applied (${approval.state}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}): ${file} left untouched.`);
    }
    const apply = `git apply --whitespace=nowarn ${heredoc(fix.patch)}`;
    const r = await runCommandTool(ctx, sandbox, apply, deps, { key: `apply:${file}`, label: `git apply (patch to ${file}, approved)`, approved: approval });
    if (!r.ran || r.result?.exitCode !== 0) {
      return { status: 'failed', error: { code: 'internal', message: `the approved patch did not apply: ${(r.result?.stderr ?? r.reason).slice(0, 2000)}` } };
    }
    const hunks = parsePatch(fix.patch).flatMap((p, i) =>
      p.hunks.map((h, j) => ({
        hunkId: `h${i + 1}_${j + 1}`,
        file,
        oldStart: h.oldStart,
        oldLines: h.oldLines,
        newStart: h.newStart,
        newLines: h.newLines,
        header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
      })),
    );
    await this.wb.proposeDiff(ctx, { taskId: ctx.task.id, diff: fix.patch, files: [file], hunks }, new Map([[file, original]]));
    return done(`Applied ${fix.fixes.length} fix(es) to ${file} on branch pushpals/${ctx.task.id}: ${fix.fixes.join('; ')}`.slice(0, MAX_MESSAGE_LENGTH));
  }
}
