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
import { ensureDependencies, describeSetupFailure, pendingSetup, type SetupDeps } from '../deps/setup';
import type { RepoSettings } from '../deps/settings';
import type { Repo } from '../git';
import { materialiseCommit } from '../review/task-branch';
import { sha256Ref } from '../util/hash';
import type { Sandbox } from '../sandbox';
import { LazySandbox, runCommandTool, type CommandToolDeps } from '../tools/run-command';
import { failureExcerpt, parseCounts } from './parse';
import { planChecks } from './plan';
import { CHECK_RUNNER_VERSION, checkKey, type CheckReuse } from './reuse';
import { SERVER_VERSION } from '../version';
import type { CheckResult, CheckSpec, TreeCheckReport, TreeCheckRequest } from './types';

/** What running checks needs of the workbench (the composition root hands over the real one). */
export interface TreeCheckWorkbench {
  readonly audit: AuditLog;
  acquireSandbox(taskId: string, workspaceHostPath: string, repoId?: string): Promise<Sandbox>;
  commandToolDeps(repoId: string, taskId: string, workspaceHostPath: string): CommandToolDeps;
  setupDeps(repoId: string, workspaceHostPath: string, commandDeps: CommandToolDeps): SetupDeps;
  repoSettings(repoId: string): RepoSettings;
  chownTreeForSandbox(dir: string): void;
  /** The image (name and id) and limits checks run with: part of a reused result's key. */
  sandboxIdentity(repoId: string): Promise<unknown>;
}

/** A base's check found in the reuse store (`hit`), or the key its result is kept under once it ran. */
interface Reusable {
  key: string;
  hit?: NonNullable<ReturnType<CheckReuse['find']>> & { row: { seq: number; hash: string; at: string } };
}

export async function treeIdOf(mirror: string, commit: string): Promise<string> {
  return (await git.readCommit({ fs, gitdir: mirror, oid: commit })).commit.tree;
}

export class TreeChecks {
  constructor(
    private readonly wb: TreeCheckWorkbench,
    /** The orchestrator's data dir: trees are written under its workspaces/ (same filesystem as the copies). */
    private readonly dataDir: string,
    /** A base's results reused across tasks (`checks.reuseBase`); none: every run runs. */
    private readonly reuse?: CheckReuse,
  ) {}

  /** Runs the checks the tree has (or `req.only`), emitting a `check_result` for each. */
  async run(ctx: TaskContext, repo: Repo, req: TreeCheckRequest): Promise<TreeCheckReport> {
    const t0 = performance.now();
    const treeId = await treeIdOf(repo.mirrorPath, req.commit);
    // A dot name: the janitor's sweep leaves it alone. A fresh random name, so nothing is there to clear
    // first; removed here when the checks end, and what a crash leaves the start-up leftovers sweep removes.
    const dir = join(this.dataDir, 'workspaces', `.check-${ctx.task.id}-${randomBytes(4).toString('hex')}`);
    const report: TreeCheckReport = { commit: req.commit, treeId, results: [], durationMs: 0 };
    try {
      fs.mkdirSync(dir, { recursive: true });
      await materialiseCommit(repo.mirrorPath, req.commit, dir);
      this.wb.chownTreeForSandbox(dir);
      const settings = this.wb.repoSettings(repo.id);
      const plan = () => planChecks(dir, settings).filter((s) => !req.only || req.only.includes(s.name));
      const planned = plan();
      if (!planned.length) return report;
      const reusable = req.phase === 'base' ? await this.findReusable(repo, dir, treeId, planned, settings) : new Map<string, Reusable>();
      const stamp = { phase: req.phase, commit: req.commit, treeId, ...(req.ticketId ? { ticketId: req.ticketId } : {}) };
      for (const spec of planned) {
        const hit = reusable.get(spec.name)?.hit;
        if (hit) this.recordReused(ctx, repo, { ...hit.result, ...stamp, reusedFrom: { taskId: hit.taskId, at: hit.row.at } }, hit.row, report);
      }
      const reused = planned.filter((p) => reusable.get(p.name)?.hit);
      if (reused.length) ctx.progress(`Checks ${phaseLabel(req.phase)} (tree ${treeId.slice(0, 12)}): ${reused.map((p) => `${p.name} reused from task ${reusable.get(p.name)?.hit?.taskId ?? ''}`).join(', ')}`, { step: 'checks' });
      const toRun = (specs: CheckSpec[]) => specs.filter((s) => !reusable.get(s.name)?.hit);
      let specs = toRun(planned);
      if (!specs.length) return report;
      const sandbox = new LazySandbox(() => this.wb.acquireSandbox(ctx.task.id, dir, repo.id));
      const commandDeps = this.wb.commandToolDeps(repo.id, ctx.task.id, dir);
      try {
        ctx.progress(`Checks ${phaseLabel(req.phase)} (tree ${treeId.slice(0, 12)}): ${specs.map((s) => s.name).join(', ')}`, { step: 'checks' });
        const setup = await ensureDependencies(ctx, sandbox, dir, this.wb.setupDeps(repo.id, dir, commandDeps));
        if (setup.failed) report.setupFailed = describeSetupFailure(setup.failed);
        else if (setup.ran.length) specs = toRun(plan()); // the set-up may have made the venv a check should use
        for (const spec of specs) {
          const { result, timedOut } = report.setupFailed ? { result: this.errorResult(spec, report.setupFailed), timedOut: false } : await this.runOne(ctx, sandbox, commandDeps, spec, req, treeId);
          // Kept for reuse only under the key of the command that actually ran, and never a timeout:
          // that says how busy the machine was, not what the tree does.
          const key = !timedOut && planned.some((p) => p.name === spec.name && p.command === spec.command) ? reusable.get(spec.name)?.key : undefined;
          this.record(ctx, repo, { ...result, ...stamp }, report, key);
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

  private async runOne(ctx: TaskContext, sandbox: LazySandbox, deps: CommandToolDeps, spec: CheckSpec, req: TreeCheckRequest, treeId: string): Promise<{ result: CheckResult; timedOut: boolean }> {
    const started = performance.now();
    const r = await runCommandTool(ctx, sandbox, spec.command, deps, { key: `check:${req.phase}:${treeId}:${spec.name}`, label: `${spec.command} (check "${spec.name}" ${phaseLabel(req.phase)}, tree ${treeId.slice(0, 12)})` });
    const durationMs = Math.round(r.result?.durationMs ?? performance.now() - started);
    if (!r.ran || !r.result) return { result: { ...this.errorResult(spec, r.reason), durationMs }, timedOut: false };
    const x = r.result;
    const whole = `${x.stdout}${x.stderr}`;
    const passed = x.exitCode === 0 && !x.timedOut;
    // Read from the whole output: the summary is at its end, the first failure may be far before the tail.
    const { counts } = parseCounts(whole, spec.runner);
    const excerpt = passed ? undefined : failureExcerpt(whole, spec.runner);
    const result: CheckResult = { name: spec.name, command: spec.command, status: passed ? 'passed' : 'failed', exitCode: x.exitCode, durationMs, output: whole.slice(-MAX_TEXT_LENGTH), ...(counts ? { counts } : {}), ...(excerpt ? { excerpt } : {}), outputHash: sha256Ref(whole) };
    return { result, timedOut: Boolean(x.timedOut) };
  }

  private errorResult(spec: CheckSpec, why: string): CheckResult {
    return { name: spec.name, command: spec.command, status: 'error', durationMs: 0, output: why.slice(-MAX_TEXT_LENGTH), outputHash: sha256Ref(why) };
  }

  /**
   * Emits the `check_result` and appends its `check_run` audit row (same fields, the output by hash);
   * with a reuse key, the result is kept for later tasks on the same tree, naming that row.
   */
  private record(ctx: TaskContext, repo: Repo, result: CheckResult, report: TreeCheckReport, reuseKey?: string): void {
    report.results.push(result);
    ctx.emit('check_result', { taskId: ctx.task.id, ...result });
    const { output: _output, ...bound } = result;
    const row = this.wb.audit.append({ taskId: ctx.task.id, actor: ctx.agentId, action: 'check_run', command: result.command, exitCode: result.exitCode ?? null, durationMs: result.durationMs, data: { ...bound, repoId: repo.id } });
    if (reuseKey && result.treeId) this.reuse?.remember(reuseKey, { repoId: repo.id, treeId: result.treeId, result, taskId: ctx.task.id, auditSeq: row.seq });
  }

  /**
   * A reused result: its `check_result` says where it came from, and the task's audit gets a
   * `check_reused` row naming the original `check_run` row (seq and hash) — no second `check_run`
   * pretends it ran. A receipt binds to the original row (audit/receipt.ts).
   */
  private recordReused(ctx: TaskContext, repo: Repo, result: CheckResult, original: { seq: number; hash: string }, report: TreeCheckReport): void {
    report.results.push(result);
    ctx.emit('check_result', { taskId: ctx.task.id, ...result });
    const { output: _output, reusedFrom, ...bound } = result;
    this.wb.audit.append({ taskId: ctx.task.id, actor: ctx.agentId, action: 'check_reused', command: result.command, exitCode: result.exitCode ?? null, data: { ...bound, repoId: repo.id, reusedFrom: { ...reusedFrom, seq: original.seq, hash: original.hash } } });
  }

  /**
   * The base's checks whose results a task ran already, by name, with each check's key. The key's
   * parts are read before anything runs: the fresh tree's set-up plan, the settings, the sandbox's
   * identity. A stored result whose `check_run` row is not in the audit trail is not reused.
   */
  private async findReusable(repo: Repo, dir: string, treeId: string, specs: CheckSpec[], settings: RepoSettings): Promise<Map<string, Reusable>> {
    const out = new Map<string, Reusable>();
    if (!this.reuse?.enabled) return out;
    let sandbox: unknown;
    try {
      sandbox = await this.wb.sandboxIdentity(repo.id);
    } catch {
      return out; // the image cannot be identified: nothing is reused, nothing kept
    }
    // The settings the checks were planned with (read once per run): the key says what decided them.
    const setup = pendingSetup(dir, settings).map((p) => ({ kind: p.kind, commands: p.commands }));
    const runner = `${CHECK_RUNNER_VERSION}/${SERVER_VERSION}`;
    for (const check of specs) {
      const key = checkKey({ repoId: repo.id, treeId, check, settings, setup, sandbox, runner });
      const found = this.reuse.find(key);
      const row = found ? this.wb.audit.record(found.auditSeq) : undefined;
      const valid = row && row.action === 'check_run' && row.taskId === found?.taskId;
      out.set(check.name, { key, ...(found && valid ? { hit: { ...found, row: { seq: row.seq, hash: row.hash, at: row.ts } } } : {}) });
    }
    return out;
  }
}
