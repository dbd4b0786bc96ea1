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
import type { AgentConfig } from '../../model/config';
import type { ModelRegistry } from '../../model/registry';
import type { TaskRecord } from '../../tasks/task-store';
import { LazySandbox } from '../../tools/run-command';
import type { TaskAgent, TaskContext, TaskOutcome } from '../types';
import type { AgentWorkbench } from '../workbench-port';
import { ChangeTracker } from './changes';
import { NUDGE, initialMessages } from './prompt';
import { TOOL_SPECS, runTool, type ToolEnv } from './tools';
import { WorkspaceFs } from './workspace-fs';

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

/** What the coding agent works with; the composition root (workbench-setup.ts) provides it. */
export interface BuiltinAgentDeps {
  workbench: AgentWorkbench;
  models: Pick<ModelRegistry, 'configured' | 'client'>;
  /** Redacted from everything the agent emits or stores (server token, model keys). */
  secrets: readonly string[];
  /** Steps, time and tokens per task (config `agent`). */
  limits: AgentConfig;
  /** Tokens the task's earlier runs spent (a re-run continues its budget). */
  tokensSpent(taskId: string): number;
}

export class BuiltinAgent implements TaskAgent {
  readonly id = 'worker:builtin';
  private readonly wb: AgentWorkbench;
  private readonly models: BuiltinAgentDeps['models'];
  private readonly secrets: readonly string[];
  private readonly limits: AgentConfig;
  private readonly tokensSpent: (taskId: string) => number;

  constructor(deps: BuiltinAgentDeps) {
    this.wb = deps.workbench;
    this.models = deps.models;
    this.secrets = deps.secrets;
    this.limits = deps.limits;
    this.tokensSpent = deps.tokensSpent;
  }

  canHandle(_task: TaskRecord): boolean {
    return this.models.configured('coder');
  }

  async run(ctx: TaskContext): Promise<TaskOutcome> {
    const limits = this.limits;
    const taskId = ctx.task.id;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort('time limit'), limits.maxTimeMs);
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    const { repo, workspace } = await this.wb.prepareWorkspace(ctx);
    const sandbox = new LazySandbox(() => {
      ctx.progress('Starting the sandbox', { step: 'sandbox' });
      return this.wb.acquireSandbox(taskId, workspace.path);
    });
    const deps = this.wb.commandToolDeps(repo.id, taskId, workspace.path);
    const wfs = new WorkspaceFs(workspace.path, (p) => this.wb.chownForSandbox(p));
    const changes = new ChangeTracker(wfs);
    const env: ToolEnv = { ctx, wfs, changes, sandbox, deps, signal };
    const budget = new TokenBudget(limits.tokenBudget, this.tokensSpent(taskId));
    const client = this.models.client('coder', { onCall: auditModelCalls(this.wb.audit, { taskId, actor: this.id }) });
    const redact = (s: string) => redactSecrets(s, deps.secrets);

    try {
      const top = wfs.list('.', 1, 60).entries.join('\n');
      const messages = initialMessages(ctx.task.request, repo.name, top);
      let nudged = false;
      for (let step = 1; step <= limits.maxSteps; step++) {
        budget.check();
        if (signal.aborted) break;
        ctx.heartbeat();
        ctx.progress(`Step ${step}: asking ${client.endpoint.model}`, { step: 'model' });
        const reply = await client.chat({ messages, tools: TOOL_SPECS, signal });
        budget.charge(reply.usage);
        messages.push(reply.assistantMessage);
        if (reply.toolCalls.length === 0) {
          // Prose instead of a tool call: one nudge, then take the prose as the summary.
          if (nudged) return await this.complete(ctx, changes, reply.text || 'The model stopped without a summary.');
          nudged = true;
          messages.push({ role: 'user', content: NUDGE });
          continue;
        }
        nudged = false;
        let i = 0;
        for (const call of reply.toolCalls) {
          const key = `step${step}.${i++}`;
          if (call.error !== undefined) {
            const output = `Error: ${call.error}. Raw call: ${call.raw}\nSend a corrected call with JSON arguments that match the tool's schema.`;
            this.recordTool(ctx, call.name || 'invalid', { raw: call.raw.slice(0, 2000) }, { ok: false, output }, 0);
            messages.push(client.toolResultMessage(call, output));
            continue;
          }
          if (call.name === 'finish') {
            const summary = typeof call.arguments.summary === 'string' && call.arguments.summary.trim() ? call.arguments.summary.trim() : 'done';
            this.recordTool(ctx, 'finish', call.arguments, { ok: true, output: summary }, 0);
            return await this.complete(ctx, changes, summary);
          }
          const outcome = await this.execute(env, call.name, call.arguments, key);
          if (signal.aborted) break;
          messages.push(client.toolResultMessage(call, redact(clip(outcome.output, limits.maxToolOutputChars))));
        }
        if (signal.aborted) break;
      }
      if (ctx.signal.aborted) return failed('cancelled', 'the task was stopped');
      if (deadline.signal.aborted) return this.stopped(ctx, changes, failed('timeout', `the task hit its time limit (${limits.maxTimeMs} ms, agent.maxTimeMs) before the model called finish`));
      return this.stopped(ctx, changes, failed('step_limit_exceeded', `the model did not finish within ${limits.maxSteps} steps (agent.maxSteps, PUSHPALS_AGENT_MAX_STEPS)`, { steps: limits.maxSteps }));
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      if (deadline.signal.aborted) return this.stopped(ctx, changes, failed('timeout', `the task hit its time limit (${limits.maxTimeMs} ms, agent.maxTimeMs)`));
      if (e instanceof PushPalsError) return this.stopped(ctx, changes, failed(e.code, redact(e.message), { ...e.details, tokensUsed: budget.used }));
      throw e;
    } finally {
      clearTimeout(timer);
      await sandbox.release();
    }
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

  private async complete(ctx: TaskContext, changes: ChangeTracker, summary: string): Promise<TaskOutcome> {
    const diff = changes.diff(ctx.task.id);
    if (diff) ctx.emit('diff_ready', diff);
    const files = diff ? ` Changed on branch pushpals/${ctx.task.id}: ${diff.files.join(', ')}.` : '';
    return { status: 'completed', summary: `${summary}${files}`.slice(0, 8192) };
  }

  /** A failure that still shows what was changed so far (the working copy keeps it). */
  private stopped(ctx: TaskContext, changes: ChangeTracker, outcome: TaskOutcome): TaskOutcome {
    const diff = changes.diff(ctx.task.id);
    if (diff) ctx.emit('diff_ready', diff);
    return outcome;
  }
}
