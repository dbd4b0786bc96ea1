/**
 * The `run_command` tool: the one path by which any agent runs a shell command. In order:
 * policy verdict (real shell parsing) → approval when the verdict is `ask` → a `command_started`
 * audit row, committed → execution inside the task's sandbox → audit entry (hash-chained,
 * redacted) → `tool_result`. A denied or unapproved command never runs, and is audited too. Every
 * call is journaled from its tool_call to its tool_result, so one cut off by a crash is closed as
 * `interrupted` at the next start.
 */
import { MAX_MESSAGE_LENGTH, MAX_OUTPUT_LENGTH, MAX_TEXT_LENGTH, newId, type EventPayload } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { ApprovalKind, ApprovalRecord } from '../approvals/approvals';
import type { AuditEntryInput, AuditLog } from '../audit';
import { redactSecrets } from '../audit';
import { PushPalsError } from '../errors';
import type { CommandClassifier } from '../policy/classifier-pool';
import type { Policy } from '../policy/policy';
import type { Classification } from '../policy/verdicts';
import { explainMissing, findMissing } from '../deps/diagnose';
import type { ExecResult, Sandbox } from '../sandbox';
import type { ToolCallJournal } from './tool-call-journal';

export const WORKSPACE = '/workspace';

export interface CommandToolDeps {
  audit: AuditLog;
  /** Records each call durably from its tool_call to its tool_result (crash recovery: tool-call-journal.ts). */
  journal: ToolCallJournal;
  /** The policy's classifier: the workbench's worker pool (never blocks this thread; a line out of time is `ask`). */
  classifier: CommandClassifier;
  policy: Policy;
  /** The task's working copy on this host (mounted at /workspace): the policy follows its symlinks (policy/host-links.ts). */
  workspaceHostPath?: string;
  /** Values redacted from everything broadcast (the server token, LLM keys, ...). */
  secrets: readonly string[];
  timeoutMs: number;
  maxOutputBytes: number;
  /**
   * A one-off sandbox for an approved network command: by default one whose only route is the egress
   * proxy and its allowlist (egress/sandbox.ts). Absent: network commands are refused before asking.
   */
  networkSandbox?: (ctx: TaskContext, command: string) => Promise<CommandSandbox>;
  /** Runs before the task waits for a person (e.g. the workbench releases a sandbox it held: nobody waiting holds a container). */
  beforeApproval?: () => Promise<void>;
}

/** What run_command needs of a sandbox (a task's Sandbox, or an EgressSandbox). */
export type CommandSandbox = Pick<Sandbox, 'exec' | 'release'>;

export interface RunCommandOptions {
  /** Stable per task (approvals are found again after a restart by this key). */
  key: string;
  /** Shown in the tool_call instead of the raw command (e.g. "apply README.md patch"). */
  label?: string;
  /** The action was approved already (e.g. a patch): skip the policy's ask, record the approval. */
  approved?: ApprovalRecord;
  /**
   * A dependency set-up command the orchestrator chose (detected from the repository's manifests, or
   * named in the person's repo settings): runs in the given egress sandbox without asking — its
   * network is the allowlist — unless the policy denies it.
   */
  setup?: { reason: string; sandbox: CommandSandbox };
}

export interface CommandOutcome {
  ran: boolean;
  result?: ExecResult;
  verdict: Classification['verdict'];
  reason: string;
  approval?: ApprovalRecord;
}

/** What the person is asked to approve, from the first part of the command that is not allowed. */
function approvalKind(c: Classification): ApprovalKind {
  if (c.needsNetwork) return 'network';
  const argv = c.parts.find((p) => p.verdict !== 'allow')?.argv ?? [];
  if (argv[0] === 'git' && argv.includes('push')) return 'push';
  if (argv[0] === 'git' && argv.includes('commit')) return 'commit';
  if (argv[0] === 'gh' && argv.includes('pr')) return 'pr';
  return 'command';
}

/**
 * The task's sandbox, started on first use: a task that waits for an approval (or is refused) holds
 * no container meanwhile.
 */
export class LazySandbox {
  private sandbox: Promise<Sandbox> | undefined;

  constructor(private readonly acquire: () => Promise<Sandbox>) {}

  get(): Promise<Sandbox> {
    return (this.sandbox ??= this.acquire());
  }

  async release(): Promise<void> {
    const s = this.sandbox;
    this.sandbox = undefined;
    if (s) await (await s.catch(() => undefined))?.release();
  }
}

/** For a command that failed for want of a program or module: why, and what to do (the agent and the person read it). */
function missingHint(r: ExecResult): { output?: string } {
  const m = findMissing(r);
  return m ? { output: explainMissing(m, { setupRan: [], hasManifest: true }).slice(0, MAX_OUTPUT_LENGTH) } : {};
}

export async function runCommandTool(ctx: TaskContext, sandboxes: LazySandbox, command: string, deps: CommandToolDeps, opts: RunCommandOptions): Promise<CommandOutcome> {
  const taskId = ctx.task.id;
  const toolCallId = newId('tc');
  const tool = 'run_command';
  const redact = (s: string) => redactSecrets(s, deps.secrets);
  const c = await deps.classifier.classify(command, deps.policy, { workspace: WORKSPACE, autoCommit: deps.policy.autoCommit === true, ...(deps.workspaceHostPath ? { hostWorkspace: deps.workspaceHostPath } : {}) });
  let verdict = c.verdict;
  let reason = c.reason;
  let approval = opts.approved;
  if (approval) {
    verdict = 'allow';
    reason = `approved by ${approval.decidedBy ?? 'a person'} (${approval.id})`;
  } else if (opts.setup && verdict !== 'deny') {
    verdict = 'allow';
    reason = `dependency set-up (${opts.setup.reason}); network only through the egress allowlist`;
  }
  // What the tool_call shows: the policy's verdict, or why a set-up command runs without asking.
  const shown = opts.setup && verdict === 'allow' ? { verdict, reason } : { verdict: c.verdict, reason: c.reason };
  // Every audit row of this call, and the tool_call → tool_result pair, go through the journal:
  // a call is open (durably) until its result is recorded, so a crash cannot leave it dangling.
  deps.journal.open({ toolCallId, taskId, sessionId: ctx.task.sessionId, agentId: ctx.agentId, tool }, () =>
    ctx.emit('tool_call', { taskId, toolCallId, tool, args: { command: redact(opts.label ?? command).slice(0, MAX_TEXT_LENGTH), cwd: WORKSPACE }, policy: { verdict: shown.verdict, reason: shown.reason.slice(0, MAX_MESSAGE_LENGTH) } }),
  );
  const row = (): Omit<AuditEntryInput, 'action'> => ({ taskId, actor: ctx.agentId, command, cwd: WORKSPACE, verdict: shown.verdict, approvalId: approval?.id ?? null });
  let closed = false;
  const close = (entry: AuditEntryInput | undefined, result: Omit<EventPayload<'tool_result'>, 'taskId' | 'toolCallId' | 'tool'>): void => {
    closed = true;
    deps.journal.close(toolCallId, entry, () => ctx.emit('tool_result', { taskId, toolCallId, tool, ...result }));
  };
  let started: { seq: number; at: number } | undefined;

  try {
    const refuse = (why: string, finalVerdict: string): CommandOutcome => {
      close({ ...row(), action: 'command', verdict: finalVerdict, data: { refused: why, requestedBy: ctx.task.sessionId, toolCallId } }, { ok: false, output: why.slice(0, MAX_MESSAGE_LENGTH), truncated: false, durationMs: 0 });
      return { ran: false, verdict: c.verdict, reason: why, ...(approval ? { approval } : {}) };
    };

    if (verdict === 'deny') return refuse(`denied by policy: ${reason}`, 'deny');
    if (verdict === 'ask' && c.needsNetwork && !deps.networkSandbox) {
      // No network is configured for approved commands: refuse now rather than ask a person to approve
      // something that cannot run.
      return refuse(`not run: it needs network access (${reason}), and this orchestrator gives sandboxes none (config sandbox.approvedNetwork is "none")`, 'ask');
    }
    if (verdict === 'ask') {
      await deps.beforeApproval?.();
      approval = await ctx.requestApproval({
        key: opts.key,
        kind: approvalKind(c),
        title: `Run: ${command.slice(0, 400)}`,
        reason: c.reason,
        risk: c.risk,
        command,
        details: { verdict: c.verdict, needsNetwork: c.needsNetwork },
      });
      if (approval.state !== 'approved') return refuse(`not run: approval ${approval.id} was ${approval.state}`, 'ask');
    }

    ctx.progress(`Running ${opts.label ?? command}`.slice(0, MAX_MESSAGE_LENGTH), { step: 'run_command' });
    // A set-up command runs in the set-up's egress sandbox; an approved network command alone in a
    // one-off sandbox whose only route is the egress proxy; every other command in the task's own
    // sandbox, which never has network.
    const oneOff = !opts.setup && c.needsNetwork && deps.networkSandbox ? await deps.networkSandbox(ctx, command) : undefined;
    const sandbox: CommandSandbox = opts.setup?.sandbox ?? oneOff ?? (await sandboxes.get());
    let result: ExecResult;
    try {
      // Committed before the command runs: if this process dies during it, the trail still says it ran.
      const where = opts.setup ? 'dependency set-up (egress proxy)' : oneOff ? 'one-off (egress proxy)' : 'task';
      const rec = deps.journal.started(toolCallId, { ...row(), data: { requestedBy: ctx.task.sessionId, policyReason: c.reason, toolCallId, sandbox: where } });
      started = { seq: rec.seq, at: Date.now() };
      result = await sandbox.exec(command, { timeoutMs: deps.timeoutMs, maxOutputBytes: deps.maxOutputBytes, signal: ctx.signal, cwd: WORKSPACE });
    } finally {
      await oneOff?.release();
    }
    close(
      {
        ...row(),
        action: 'command',
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        stdout: result.stdout,
        stderr: result.stderr,
        data: { requestedBy: ctx.task.sessionId, policyReason: c.reason, timedOut: result.timedOut, truncated: result.truncated, via: result.via, toolCallId, startedSeq: started.seq },
      },
      {
        ok: result.exitCode === 0 && !result.timedOut,
        exitCode: result.exitCode,
        stdout: redact(result.stdout).slice(0, MAX_OUTPUT_LENGTH),
        stderr: redact(result.stderr).slice(0, MAX_OUTPUT_LENGTH),
        ...(result.timedOut ? { output: `killed after ${deps.timeoutMs} ms (timeout)` } : missingHint(result)),
        truncated: result.truncated,
        durationMs: Math.round(result.durationMs),
      },
    );
    // Ran into the working copy's or /tmp's size limit: the task fails as disk_full, saying how to raise it.
    if (result.diskFull) throw new PushPalsError('disk_full', result.diskFull.message, { mount: result.diskFull.mount, limitBytes: result.diskFull.limitBytes });
    return { ran: true, result, verdict: c.verdict, reason, ...(approval ? { approval } : {}) };
  } catch (e) {
    // Cancelled while waiting for an approval, no sandbox, the runner died mid-command...: the call
    // still gets its result (and, if the command had started, its closing audit row).
    if (!closed) {
      const why = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
      const s = started;
      try {
        close(s ? { ...row(), action: 'command_interrupted', data: { toolCallId, startedSeq: s.seq, reason: why } } : undefined, {
          ok: false,
          output: s ? `interrupted: ${why}` : `not run: ${why}`,
          truncated: false,
          durationMs: s ? Date.now() - s.at : 0,
        });
      } catch {
        // The DB is gone (shutdown): the call stays open and the next start closes it as interrupted.
      }
    }
    throw e;
  }
}
