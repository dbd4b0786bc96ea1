/**
 * The dependency set-up of a working copy: the plans detect.ts finds (or the commands the repo
 * settings name), run in ONE egress sandbox — network only through the orchestrator's allowlisting
 * proxy, downloads cached per repository — through run_command (audited, shown as tool calls). Plans
 * whose marker exists (node_modules, .venv) are skipped: "Run the tests" calls this every time.
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { EgressSandbox } from '../egress/sandbox';
import { readWorkspaceFile } from '../workbench/fs-safe';
import { runCommandTool, type CommandToolDeps, type LazySandbox } from '../tools/run-command';
import { detectSetup, type SetupPlan } from './detect';
import type { RepoSettings } from './settings';

export interface SetupDeps {
  commandDeps: CommandToolDeps;
  /** Opens the egress sandbox for this task's working copy (proxy, allowlist, cache). */
  openEgress: (ctx: TaskContext) => Promise<EgressSandbox>;
  settings: RepoSettings;
}

export interface SetupFailure {
  command: string;
  exitCode: number | undefined;
  /** The end of its output (stderr, then stdout), or why it did not run. */
  output: string;
  /** host:port the proxy refused during the set-up. */
  blocked: string[];
}

export interface SetupResult {
  /** The plans that were needed (markers missing) and ran, in order. */
  plans: SetupPlan[];
  /** Every command that ran, with its time. */
  ran: Array<{ command: string; durationMs: number }>;
  failed?: SetupFailure;
  durationMs: number;
}

const exists = (dir: string, rel: string): boolean => {
  try {
    lstatSync(join(dir, rel));
    return true;
  } catch {
    return false;
  }
};

/** The plans this working copy needs now: the configured commands, else the detected plans whose marker is missing. */
export function pendingSetup(workspacePath: string, settings: RepoSettings): SetupPlan[] {
  if (!settings.setup.auto) return [];
  if (settings.setup.commands) {
    return [{ kind: 'configured', commands: settings.setup.commands, reason: 'the repository settings' }];
  }
  return detectSetup((f) => readWorkspaceFile(workspacePath, f)).filter((p) => !p.marker || !exists(workspacePath, p.marker));
}

const tail = (s: string, n: number) => (s.length > n ? `…${s.slice(-n)}` : s);

/** Runs the pending set-up; stops at the first failing command and says which, with its output. */
export async function ensureDependencies(ctx: TaskContext, taskSandbox: LazySandbox, workspacePath: string, d: SetupDeps): Promise<SetupResult> {
  const t0 = performance.now();
  const plans = pendingSetup(workspacePath, d.settings);
  const result: SetupResult = { plans, ran: [], durationMs: 0 };
  if (plans.length === 0) return result;
  ctx.progress(`Installing dependencies (${plans.map((p) => p.reason).join('; ')}) through the egress proxy`.slice(0, MAX_MESSAGE_LENGTH), { step: 'setup' });
  const es = await d.openEgress(ctx);
  const blocked = () => es.decisions.filter((x) => !x.allowed && x.refusal !== 'capacity').map((x) => `${x.host}:${x.port}`);
  try {
    let i = 0;
    for (const plan of plans) {
      for (const command of plan.commands) {
        i++;
        const r = await runCommandTool(ctx, taskSandbox, command, d.commandDeps, { key: `setup:${i}`, setup: { reason: plan.reason, sandbox: es } });
        if (!r.ran) {
          result.failed = { command, exitCode: undefined, output: r.reason, blocked: blocked() };
          return result;
        }
        const x = r.result;
        result.ran.push({ command, durationMs: Math.round(x?.durationMs ?? 0) });
        if (!x || x.exitCode !== 0 || x.timedOut) {
          const out = [x?.stderr.trim(), x?.stdout.trim()].filter(Boolean).join('\n');
          result.failed = { command, exitCode: x?.exitCode, output: tail(x?.timedOut ? `killed after its timeout\n${out}` : out, 3000), blocked: blocked() };
          return result;
        }
      }
    }
    return result;
  } finally {
    await es.release();
    result.durationMs = Math.round(performance.now() - t0);
  }
}

/** One message for a failed set-up: the command, its exit code, what the proxy refused, its output. */
export function describeSetupFailure(f: SetupFailure): string {
  const code = f.exitCode === undefined ? 'did not run' : `exited with code ${f.exitCode}`;
  const refused = f.blocked.length ? ` The egress proxy refused ${[...new Set(f.blocked)].join(', ')} (not in the allowlist: add a host to egress.allow in the repository settings if it is a registry you trust).` : '';
  return `dependency set-up failed: \`${f.command}\` ${code}.${refused}\n${f.output}`;
}
