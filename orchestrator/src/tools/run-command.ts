/**
 * The `run_command` tool: the one path by which any agent runs a shell command. In order:
 * policy verdict (real shell parsing) → approval when the verdict is `ask` → execution inside the
 * task's sandbox → audit entry (hash-chained, redacted) → `tool_result`. A denied or unapproved
 * command never runs, and is audited too.
 */
import { newId } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { ApprovalKind, ApprovalRecord } from '../approvals/approvals';
import type { AuditLog } from '../audit';
import { redactSecrets } from '../audit';
import { PushPalsError } from '../errors';
import type * as Classifier from '../policy/classify';
import type { Policy } from '../policy/policy';
import type { Classification } from '../policy/verdicts';
import type { ExecResult, Sandbox } from '../sandbox';

export const WORKSPACE = '/workspace';

let classifier: typeof Classifier | undefined;
/** The shell parser (mvdan-sh, GopherJS) takes ~110 ms to load: on the first command, not at start-up. */
function classifyCommand(...args: Parameters<typeof Classifier.classifyCommand>): Classification {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  classifier ??= require('../policy/classify') as typeof Classifier;
  return classifier.classifyCommand(...args);
}

export interface CommandToolDeps {
  audit: AuditLog;
  policy: Policy;
  /** Values redacted from everything broadcast (the server token, LLM keys, ...). */
  secrets: readonly string[];
  timeoutMs: number;
  maxOutputBytes: number;
  /** A one-off sandbox on the configured network, for approved network commands; absent: none configured. */
  networkSandbox?: () => Promise<Sandbox>;
}

export interface RunCommandOptions {
  /** Stable per task (approvals are found again after a restart by this key). */
  key: string;
  /** Shown in the tool_call instead of the raw command (e.g. "apply README.md patch"). */
  label?: string;
  /** The action was approved already (e.g. a patch): skip the policy's ask, record the approval. */
  approved?: ApprovalRecord;
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

export async function runCommandTool(ctx: TaskContext, sandboxes: LazySandbox, command: string, deps: CommandToolDeps, opts: RunCommandOptions): Promise<CommandOutcome> {
  const taskId = ctx.task.id;
  const toolCallId = newId('tc');
  const redact = (s: string) => redactSecrets(s, deps.secrets);
  const c = classifyCommand(command, deps.policy, { workspace: WORKSPACE, autoCommit: deps.policy.autoCommit === true });
  let verdict = c.verdict;
  let reason = c.reason;
  let approval = opts.approved;
  if (approval) {
    verdict = 'allow';
    reason = `approved by ${approval.decidedBy ?? 'a person'} (${approval.id})`;
  }
  ctx.emit('tool_call', { taskId, toolCallId, tool: 'run_command', args: { command: redact(opts.label ?? command).slice(0, 65536), cwd: WORKSPACE }, policy: { verdict: c.verdict, reason: c.reason.slice(0, 4096) } });

  const refuse = (why: string, finalVerdict: string): CommandOutcome => {
    deps.audit.append({ taskId, actor: ctx.agentId, action: 'command', command, cwd: WORKSPACE, verdict: finalVerdict, approvalId: approval?.id ?? null, data: { refused: why, requestedBy: ctx.task.sessionId } });
    ctx.emit('tool_result', { taskId, toolCallId, tool: 'run_command', ok: false, output: why.slice(0, 4096), truncated: false, durationMs: 0 });
    return { ran: false, verdict: c.verdict, reason: why, ...(approval ? { approval } : {}) };
  };

  if (verdict === 'deny') return refuse(`denied by policy: ${reason}`, 'deny');
  if (verdict === 'ask' && c.needsNetwork && !deps.networkSandbox) {
    // No network is configured for approved commands: refuse now rather than ask a person to approve
    // something that cannot run.
    return refuse(`not run: it needs network access (${reason}), and this orchestrator gives sandboxes none (config sandbox.approvedNetwork)`, 'ask');
  }
  if (verdict === 'ask') {
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

  ctx.progress(`Running ${opts.label ?? command}`.slice(0, 4096), { step: 'run_command' });
  // An approved network command runs alone in a one-off sandbox on the configured network; every
  // other command in the task's own sandbox, which never has network.
  const oneOff = c.needsNetwork && deps.networkSandbox ? await deps.networkSandbox() : undefined;
  const sandbox = oneOff ?? (await sandboxes.get());
  let result: ExecResult;
  try {
    result = await sandbox.exec(command, { timeoutMs: deps.timeoutMs, maxOutputBytes: deps.maxOutputBytes, signal: ctx.signal, cwd: WORKSPACE });
  } finally {
    await oneOff?.release();
  }
  deps.audit.append({
    taskId,
    actor: ctx.agentId,
    action: 'command',
    command,
    cwd: WORKSPACE,
    verdict: c.verdict,
    approvalId: approval?.id ?? null,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    stdout: result.stdout,
    stderr: result.stderr,
    data: { requestedBy: ctx.task.sessionId, policyReason: c.reason, timedOut: result.timedOut, truncated: result.truncated, via: result.via },
  });
  ctx.emit('tool_result', {
    taskId,
    toolCallId,
    tool: 'run_command',
    ok: result.exitCode === 0 && !result.timedOut,
    exitCode: result.exitCode,
    stdout: redact(result.stdout).slice(0, 1024 * 1024),
    stderr: redact(result.stderr).slice(0, 1024 * 1024),
    ...(result.timedOut ? { output: `killed after ${deps.timeoutMs} ms (timeout)` } : {}),
    truncated: result.truncated,
    durationMs: Math.round(result.durationMs),
  });
  // Ran into the working copy's or /tmp's size limit: the task fails as disk_full, saying how to raise it.
  if (result.diskFull) throw new PushPalsError('disk_full', result.diskFull.message, { mount: result.diskFull.mount, limitBytes: result.diskFull.limitBytes });
  return { ran: true, result, verdict: c.verdict, reason, ...(approval ? { approval } : {}) };
}
