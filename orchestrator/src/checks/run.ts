/**
 * Runs a repository's checks on exactly one commit's tree: the tree is written to a fresh host
 * directory (no .git, nothing of the repository runs on the host), the dependency set-up runs in the
 * egress sandbox, then each check runs in one clean sandbox without network through the audited
 * command path (policy, approval if it asks, journal). Each result is a `check_result` bound to the
 * commit and its tree id, and a `check_run` audit row (the receipt names these rows).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { MAX_TEXT_LENGTH, phaseLabel } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { AuditLog } from '../audit';
import { ensureDependencies, describeSetupFailure, type SetupDeps } from '../deps/setup';
import type { RepoSettings } from '../deps/settings';
import type { Repo } from '../git';
import { materialiseCommit } from '../review/task-branch';
import { sha256Ref } from '../util/hash';
import type { Sandbox } from '../sandbox';
import { LazySandbox, runCommandTool, type CommandToolDeps } from '../tools/run-command';
import { failureExcerpt, parseCounts } from './parse';
import { planChecks } from './plan';
import type { CheckResult, CheckSpec, TreeCheckReport, TreeCheckRequest } from './types';

/** What running checks needs of the workbench (the composition root hands over the real one). */
export interface TreeCheckWorkbench {
  readonly audit: AuditLog;
  acquireSandbox(taskId: string, workspaceHostPath: string, repoId?: string): Promise<Sandbox>;
  commandToolDeps(repoId: string, taskId: string, workspaceHostPath: string): CommandToolDeps;
  setupDeps(repoId: string, workspaceHostPath: string, commandDeps: CommandToolDeps): SetupDeps;
  repoSettings(repoId: string): RepoSettings;
  chownTreeForSandbox(dir: string): void;
}

export async function treeIdOf(mirror: string, commit: string): Promise<string> {
  return (await git.readCommit({ fs, gitdir: mirror, oid: commit })).commit.tree;
}

/** A check's tree: `<dataDir>/workspaces/.check-<task>-<random>` (a dot name: the janitor's sweep leaves it alone). */
const CHECK_TREE = '.check-';

export class TreeChecks {
  constructor(
    private readonly wb: TreeCheckWorkbench,
    /** The orchestrator's data dir: trees are written under its workspaces/ (same filesystem as the copies). */
    private readonly dataDir: string,
  ) {}

  /**
   * At start, before any job runs: removes the trees of checks a killed process was running (its
   * `finally` never ran, and their random names are never used again). Returns how many.
   */
  removeLeftovers(): number {
    const dir = join(this.dataDir, 'workspaces');
    if (!fs.existsSync(dir)) return 0;
    const left = fs.readdirSync(dir).filter((n) => n.startsWith(CHECK_TREE));
    for (const n of left) fs.rmSync(join(dir, n), { recursive: true, force: true });
    return left.length;
  }

  /** Runs the checks the tree has (or `req.only`), emitting a `check_result` for each. */
  async run(ctx: TaskContext, repo: Repo, req: TreeCheckRequest): Promise<TreeCheckReport> {
    const t0 = performance.now();
    const treeId = await treeIdOf(repo.mirrorPath, req.commit);
    // Removed here, after (and at the next start, when this process is killed meanwhile).
    const dir = join(this.dataDir, 'workspaces', `${CHECK_TREE}${ctx.task.id}-${randomBytes(4).toString('hex')}`);
    const report: TreeCheckReport = { commit: req.commit, treeId, results: [], durationMs: 0 };
    try {
      fs.mkdirSync(dir, { recursive: true });
      await materialiseCommit(repo.mirrorPath, req.commit, dir);
      this.wb.chownTreeForSandbox(dir);
      const settings = this.wb.repoSettings(repo.id);
      const plan = () => planChecks(dir, settings).filter((s) => !req.only || req.only.includes(s.name));
      let specs = plan();
      if (!specs.length) return report;
      const sandbox = new LazySandbox(() => this.wb.acquireSandbox(ctx.task.id, dir, repo.id));
      const commandDeps = this.wb.commandToolDeps(repo.id, ctx.task.id, dir);
      try {
        ctx.progress(`Checks ${phaseLabel(req.phase)} (tree ${treeId.slice(0, 12)}): ${specs.map((s) => s.name).join(', ')}`, { step: 'checks' });
        const setup = await ensureDependencies(ctx, sandbox, dir, this.wb.setupDeps(repo.id, dir, commandDeps));
        if (setup.failed) report.setupFailed = describeSetupFailure(setup.failed);
        else if (setup.ran.length) specs = plan(); // the set-up may have made the venv a check should use
        for (const spec of specs) {
          const result = report.setupFailed ? this.errorResult(spec, report.setupFailed) : await this.runOne(ctx, sandbox, commandDeps, spec, req, treeId);
          this.record(ctx, repo, { ...result, ...(req.phase ? { phase: req.phase } : {}), commit: req.commit, treeId, ...(req.ticketId ? { ticketId: req.ticketId } : {}) }, report);
        }
      } finally {
        await sandbox.release();
      }
      return report;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      report.durationMs = Math.round(performance.now() - t0);
    }
  }

  private async runOne(ctx: TaskContext, sandbox: LazySandbox, deps: CommandToolDeps, spec: CheckSpec, req: TreeCheckRequest, treeId: string): Promise<CheckResult> {
    const started = performance.now();
    const r = await runCommandTool(ctx, sandbox, spec.command, deps, { key: `check:${req.phase}:${treeId}:${spec.name}`, label: `${spec.command} (check "${spec.name}" ${phaseLabel(req.phase)}, tree ${treeId.slice(0, 12)})` });
    const durationMs = Math.round(r.result?.durationMs ?? performance.now() - started);
    if (!r.ran || !r.result) return { ...this.errorResult(spec, r.reason), durationMs };
    const x = r.result;
    const whole = `${x.stdout}${x.stderr}`;
    const passed = x.exitCode === 0 && !x.timedOut;
    // Read from the whole output: the summary is at its end, the first failure may be far before the tail.
    const { counts } = parseCounts(whole, spec.runner);
    const excerpt = passed ? undefined : failureExcerpt(whole, spec.runner);
    return { name: spec.name, command: spec.command, status: passed ? 'passed' : 'failed', exitCode: x.exitCode, durationMs, output: whole.slice(-MAX_TEXT_LENGTH), ...(counts ? { counts } : {}), ...(excerpt ? { excerpt } : {}), outputHash: sha256Ref(whole) };
  }

  private errorResult(spec: CheckSpec, why: string): CheckResult {
    return { name: spec.name, command: spec.command, status: 'error', durationMs: 0, output: why.slice(-MAX_TEXT_LENGTH), outputHash: sha256Ref(why) };
  }

  /** Emits the `check_result` and appends its `check_run` audit row (same fields, the output by hash). */
  private record(ctx: TaskContext, repo: Repo, result: CheckResult, report: TreeCheckReport): void {
    report.results.push(result);
    ctx.emit('check_result', { taskId: ctx.task.id, ...result });
    const { output: _output, ...bound } = result;
    this.wb.audit.append({ taskId: ctx.task.id, actor: ctx.agentId, action: 'check_run', command: result.command, exitCode: result.exitCode ?? null, durationMs: result.durationMs, data: { ...bound, repoId: repo.id } });
  }
}
