/**
 * The built-in coding agent (`worker:builtin`): works one task in a tool-calling loop with the
 * coder model. Each turn: check the limits (steps, time, token budget) → ask the model → run each
 * tool call (a `tool_call`/`tool_result` event pair and an audit entry each) → send the results back.
 * It ends when the model calls finish (diff_ready first when files changed) or a limit stops it
 * with a typed error. Registered after the heuristic agent: the simple phrases still need no model.
 */
import { newId } from '@pushpals/protocol';
import { redactSecrets, truncateOutput } from '../../audit';
import { PushPalsError } from '../../errors';
import { TokenBudget } from '../../model/accounting';
import { auditModelCalls } from '../../model/audit';
import type { ModelClient } from '../../model/client';
import type { AgentConfig } from '../../model/config';
import type { ModelRegistry } from '../../model/registry';
import type { Repo } from '../../git';
import { askPlanner } from '../../plans/delegation';
import { ticketBranch } from '../../plans/plan-store';
import type { Team } from '../../plans/team';
import { ticketRequest } from '../../plans/ticket-prompt';
import type { Db } from '../../store/db';
import type { TaskRecord } from '../../tasks/task-store';
import { LazySandbox } from '../../tools/run-command';
import type { TaskAgent, TaskContext, TaskOutcome } from '../types';
import type { AgentWorkbench } from '../workbench-port';
import { ChangeTracker } from './changes';
import { proposeWithEvidence } from '../../checks/evidence';
import type { TreeChecks } from '../../checks/run';
import { AFTER_RESULT, FINISH_REFUSED, NUDGE, initialMessages } from './prompt';
import { ASK_PLANNER, TOOL_SPECS, runTool, type ToolEnv } from './tools';
import { Conversation } from './conversation';
import { WorkspaceFs } from './workspace-fs';
import { withRunningTimeLimit, type RunningTimeLimit } from '../../tasks/running-time-limit';

const failed = (code: PushPalsError['code'], message: string, details?: Record<string, unknown>): TaskOutcome => ({ status: 'failed', error: { code, message: message.slice(0, 4096), ...(details ? { details } : {}) } });

/** Keeps the head and the tail of a long output: errors tend to sit at the end. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.6);
  const tail = max - head;
  return `${text.slice(0, head)}\n[... ${text.length - max} characters cut ...]\n${text.slice(-tail)}`;
}

const describeArgs = (name: string, args: Record<string, unknown>): string => {
  const p = typeof args.path === 'string' ? args.path : '';
  if (name === 'search') return `search ${JSON.stringify(args.pattern)}${p ? ` in ${p}` : ''}`;
  if (name === 'apply_patch') return 'apply a patch';
  return p ? `${name.replace('_', ' ')} ${p}` : name.replace('_', ' ');
};

/** The result of a tool call a restart cut off (the run resumes from its stored conversation). */
const INTERRUPTED = 'Not completed: the orchestrator restarted while this call ran (or before it started). Check the state of the working copy before repeating it.';

/** What the coding agent works with; the composition root (workbench-setup.ts) provides it. */
export interface BuiltinAgentDeps {
  workbench: AgentWorkbench;
  models: Pick<ModelRegistry, 'configured' | 'client'>;
  /** Redacted from everything the agent emits or stores (server token, model keys). */
  secrets: readonly string[];
  /** Steps, time and tokens per task (config `agent`). */
  limits: AgentConfig;
  /**
   * Tokens already spent from the budget the task draws on (its earlier runs; for a plan's ticket,
   * the whole plan so far). Read before every model call.
   */
  tokensSpent(taskId: string): number;
  /** Where each task's conversation is kept as it grows (agent_messages: a restart resumes it). */
  db: Db;
  /** Plans: a ticket starts from its dependencies' results, commits its result, may ask the planner. */
  team?: Team;
  /** The repository's checks, run on a finished task's result and its base (`agent.evidence`). */
  checks?: Pick<TreeChecks, 'run'>;
}

export class BuiltinAgent implements TaskAgent {
  readonly id = 'worker:builtin';
  private readonly wb: AgentWorkbench;
  private readonly models: BuiltinAgentDeps['models'];
  private readonly secrets: readonly string[];
  private readonly limits: AgentConfig;
  private readonly tokensSpent: (taskId: string) => number;
  private readonly db: Db;
  private readonly team: Team | undefined;
  private readonly checks: Pick<TreeChecks, 'run'> | undefined;

  constructor(deps: BuiltinAgentDeps) {
    this.wb = deps.workbench;
    this.models = deps.models;
    this.secrets = deps.secrets;
    this.limits = deps.limits;
    this.tokensSpent = deps.tokensSpent;
    this.db = deps.db;
    this.team = deps.team;
    this.checks = deps.checks;
  }

  canHandle(_task: TaskRecord): boolean {
    return this.models.configured('coder');
  }

  run(ctx: TaskContext): Promise<TaskOutcome> {
    // agent.maxTimeMs counts running time: paused stretches (task_pause) are not counted.
    return withRunningTimeLimit(this.limits.maxTimeMs, ctx.pause, (deadline) => this.runWithin(ctx, deadline));
  }

  private async runWithin(ctx: TaskContext, deadline: RunningTimeLimit): Promise<TaskOutcome> {
    const limits = this.limits;
    const taskId = ctx.task.id;
    const team = this.team;
    const brief = team?.brief(taskId);
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    const { repo, workspace } = await this.wb.prepareWorkspace(
      ctx,
      team && brief ? { branch: ticketBranch(brief.plan.taskId, taskId), base: (r) => team.branches.ticketBase(r, brief.plan, brief.ticket) } : undefined,
    );
    const sandbox = new LazySandbox(() => {
      ctx.progress('Starting the sandbox', { step: 'sandbox' });
      return this.wb.acquireSandbox(taskId, workspace.path, repo.id);
    });
    const deps = this.wb.commandToolDeps(repo.id, taskId, workspace.path);
    const wfs = new WorkspaceFs(workspace.path, (p) => this.wb.chownForSandbox(p));
    const { conversation, originals } = Conversation.load(this.db, taskId);
    const changes = new ChangeTracker(wfs, (rel, original) => conversation.rememberOriginal(rel, original));
    changes.restore(originals);
    const env: ToolEnv = { ctx, wfs, changes, sandbox, deps, signal, ...(team && brief ? { askPlanner: (kind, text) => askPlanner(team, ctx, kind, text, signal) } : {}) };
    const tools = env.askPlanner ? [...TOOL_SPECS, ASK_PLANNER] : TOOL_SPECS;
    // Read again before each call: tickets of one plan running at once share its budget.
    const spent = () => this.tokensSpent(taskId);
    let budget = new TokenBudget(limits.tokenBudget, spent());
    const client = this.models.client('coder', { onCall: auditModelCalls(this.wb.audit, { taskId, actor: this.id }) });
    const redact = (s: string) => redactSecrets(s, deps.secrets);
    const done = (summary: string) => this.complete(ctx, changes, summary, repo, team);

    try {
      if (conversation.messages.length === 0) {
        const top = wfs.list('.', 1, 60).entries.join('\n');
        const request = team && brief ? ticketRequest(brief, team.plans.tickets(brief.plan.taskId)) : ctx.task.request;
        conversation.push(...initialMessages(request, repo.name, top));
      } else {
        const finished = this.resume(ctx, conversation, client);
        if (finished !== undefined) return await done(finished);
      }
      let nudged = false;
      for (let step = conversation.steps + 1; step <= limits.maxSteps; step++) {
        budget = new TokenBudget(limits.tokenBudget, spent());
        budget.check();
        if (signal.aborted) break;
        ctx.heartbeat();
        await ctx.pause?.wait(signal); // paused: no new model call until resumed
        ctx.progress(`Step ${step}: asking ${client.endpoint.model}`, { step: 'model' });
        const reply = await client.chat({ messages: conversation.messages, tools, signal });
        budget.charge(reply.usage);
        conversation.push(reply.assistantMessage);
        if (reply.toolCalls.length === 0) {
          // Prose instead of a tool call: one nudge, then take the prose as the summary.
          if (nudged) return await done(reply.text || 'The model stopped without a summary.');
          nudged = true;
          conversation.push({ role: 'user', content: NUDGE });
          continue;
        }
        nudged = false;
        let i = 0;
        // A reply may plan ahead: calls, then finish. finish counts only if every call before it worked.
        let failedBefore = false;
        for (const call of reply.toolCalls) {
          const key = `step${step}.${i++}`;
          if (call.error !== undefined) {
            const output = `Error: ${call.error}. Raw call: ${call.raw}\nSend a corrected call with JSON arguments that match the tool's schema.`;
            this.recordTool(ctx, call.name || 'invalid', { raw: call.raw.slice(0, 2000) }, { ok: false, output }, 0);
            conversation.push(client.toolResultMessage(call, output));
            failedBefore = true;
            continue;
          }
          if (call.name === 'finish' && failedBefore) {
            this.recordTool(ctx, 'finish', call.arguments, { ok: false, output: FINISH_REFUSED }, 0);
            conversation.push(client.toolResultMessage(call, FINISH_REFUSED));
            continue;
          }
          if (call.name === 'finish') {
            const summary = typeof call.arguments.summary === 'string' && call.arguments.summary.trim() ? call.arguments.summary.trim() : 'done';
            this.recordTool(ctx, 'finish', call.arguments, { ok: true, output: summary }, 0);
            return await done(summary);
          }
          await ctx.pause?.wait(signal); // paused: no new tool call until resumed (a running one finished)
          const outcome = await this.execute(env, call.name, call.arguments, key);
          if (signal.aborted) break;
          if (!outcome.ok) failedBefore = true;
          conversation.push(client.toolResultMessage(call, redact(clip(outcome.output, limits.maxToolOutputChars)) + AFTER_RESULT));
        }
        if (signal.aborted) break;
      }
      if (ctx.signal.aborted) return failed('cancelled', 'the task was stopped');
      if (deadline.signal.aborted) return await this.stopped(ctx, changes, failed('timeout', `the task hit its time limit (${limits.maxTimeMs} ms, agent.maxTimeMs) before the model called finish`));
      return await this.stopped(ctx, changes, failed('step_limit_exceeded', `the model did not finish within ${limits.maxSteps} steps (agent.maxSteps, PUSHPALS_AGENT_MAX_STEPS)`, { steps: limits.maxSteps }));
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      if (deadline.signal.aborted) return await this.stopped(ctx, changes, failed('timeout', `the task hit its time limit (${limits.maxTimeMs} ms, agent.maxTimeMs)`));
      if (e instanceof PushPalsError) return await this.stopped(ctx, changes, failed(e.code, redact(e.message), { ...e.details, tokensUsed: budget.used }));
      throw e;
    } finally {
      deadline.dispose();
      // Kept only for a run that another run will continue (shutdown, lost lease, a crash).
      if (!ctx.signal.aborted || ctx.signal.reason === 'cancelled') conversation.clear();
      await sandbox.release();
    }
  }

  /**
   * Continues a stored conversation: calls the cut-off run left without a result are answered as
   * interrupted, so the next model call is a new one. Returns the summary when the model had
   * already called finish.
   */
  private resume(ctx: TaskContext, conversation: Conversation, client: ModelClient): string | undefined {
    const cut = conversation.unanswered();
    const finish = cut.find((c) => c.name === 'finish');
    if (finish) {
      let summary = 'done';
      try {
        const args = JSON.parse(finish.arguments) as { summary?: unknown };
        if (typeof args.summary === 'string' && args.summary.trim()) summary = args.summary.trim();
      } catch {
        // keep 'done'
      }
      return summary;
    }
    for (const c of cut) conversation.push(client.toolResultMessage(c, INTERRUPTED));
    if (!cut.length && conversation.messages.at(-1)?.role === 'assistant') conversation.push({ role: 'user', content: `${INTERRUPTED} ${NUDGE}` });
    ctx.progress(`Resuming after a restart at step ${conversation.steps + 1} (${conversation.steps} model call(s) already made are not repeated)`, { step: 'model' });
    return undefined;
  }

  /** Runs a tool other than finish; run_command records itself (runCommandTool), the others here. */
  private async execute(env: ToolEnv, name: string, args: Record<string, unknown>, key: string): Promise<{ ok: boolean; output: string }> {
    const started = performance.now();
    try {
      const outcome = await runTool(env, name, args, key);
      if (name !== 'run_command') this.recordTool(env.ctx, name, args, outcome, performance.now() - started);
      return outcome;
    } catch (e) {
      // Bad arguments and file problems go back to the model to fix; anything else (no sandbox, ...) ends the task.
      if (!(e instanceof PushPalsError) || e.code !== 'invalid_message' || env.signal.aborted) throw e;
      const outcome = { ok: false, output: `Error: ${e.message}` };
      this.recordTool(env.ctx, name, args, outcome, performance.now() - started);
      return outcome;
    }
  }

  /** A tool_call/tool_result event pair and an audit entry, with secrets redacted and sizes bounded. */
  private recordTool(ctx: TaskContext, tool: string, args: Record<string, unknown>, outcome: { ok: boolean; output: string }, durationMs: number): void {
    const redact = (s: string) => redactSecrets(s, this.secrets);
    const toolCallId = newId('tc');
    const shownArgs = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, typeof v === 'string' ? redact(v).slice(0, 16_384) : v]));
    ctx.progress(describeArgs(tool, args).slice(0, 200), { step: tool });
    ctx.emit('tool_call', { taskId: ctx.task.id, toolCallId, tool: tool.slice(0, 64), args: shownArgs });
    const shown = redact(outcome.output);
    const text = truncateOutput(shown, 64 * 1024);
    ctx.emit('tool_result', { taskId: ctx.task.id, toolCallId, tool: tool.slice(0, 64), ok: outcome.ok, output: text, truncated: text !== shown, durationMs: Math.round(durationMs) });
    this.wb.audit.append({ taskId: ctx.task.id, actor: this.id, action: 'tool_call', command: `${tool} ${JSON.stringify(args)}`.slice(0, 8192), exitCode: outcome.ok ? 0 : 1, durationMs: Math.round(durationMs), stdout: outcome.output, data: { tool, ok: outcome.ok } });
  }

  private async complete(ctx: TaskContext, changes: ChangeTracker, summary: string, repo: Repo, team: Team | undefined): Promise<TaskOutcome> {
    const diff = changes.diff(ctx.task.id);
    const brief = team?.brief(ctx.task.id); // read again: its base commit is known now
    if (team && brief) {
      // A ticket's change is committed on its own branch; the plan's combined result is what a person reviews.
      if (diff) ctx.emit('diff_ready', diff);
      const oid = await team.branches.commitTicket(repo, brief.plan, brief.ticket, changes.current());
      const branch = ticketBranch(brief.plan.taskId, ctx.task.id);
      const files = diff ? ` Committed on branch ${branch} (${oid?.slice(0, 12) ?? 'no commit'}): ${diff.files.join(', ')}.` : ` Nothing changed; branch ${branch} is where the ticket started.`;
      return { status: 'completed', summary: `${summary}${files}`.slice(0, 8192) };
    }
    // Against the base the review will apply to (with the person's uncommitted changes the agent started from).
    const tail = diff ? await proposeWithEvidence(this.wb, { runner: this.checks, enabled: this.limits.evidence }, ctx, repo, diff, changes.before()) : '';
    return { status: 'completed', summary: `${summary}${tail}`.slice(0, 8192) };
  }

  /** A failure that still shows what was changed so far (the working copy keeps it). */
  private async stopped(ctx: TaskContext, changes: ChangeTracker, outcome: TaskOutcome): Promise<TaskOutcome> {
    const diff = changes.diff(ctx.task.id);
    if (diff) await this.wb.proposeDiff(ctx, diff, changes.before());
    return outcome;
  }
}
