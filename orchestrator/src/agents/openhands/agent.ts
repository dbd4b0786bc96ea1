/**
 * The OpenHands worker (`openhands`): the same TaskAgent interface and protocol events as the
 * built-in agent, with the OpenHands agent server doing the work. Per task: the working copy → the
 * model broker on a host socket → one hardened container running the agent server (sockets only) →
 * a conversation on /workspace, its event stream mapped onto PushPals events → at `finished`, the
 * diff (taken by git inside the container) as `diff_ready`. Cancel, a time limit or the container's
 * death end it; the container, its sockets and every process in it are removed in all cases.
 */
import { proposeWithEvidence } from '../../checks/evidence';
import type { TreeChecks } from '../../checks/run';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { MAX_MESSAGE_LENGTH, newId, type EventPayload } from '@pushpals/protocol';
import { redactSecrets } from '../../audit';
import type { Config } from '../../config';
import { PushPalsError } from '../../errors';
import type { Repo, RepoRegistry } from '../../git';
import type { Logger } from '../../log';
import { TokenBudget } from '../../model/accounting';
import { auditModelCalls } from '../../model/audit';
import type { ModelRegistry } from '../../model/registry';
import type { ParsedToolCall } from '../../model/tool-calls';
import type { Team } from '../../plans/team';
import type { SandboxManager, SharedObjectsMount } from '../../sandbox';
import type { TaskRecord } from '../../tasks/task-store';
import type { CommandToolDeps } from '../../tools/run-command';
import type { ToolCallJournal } from '../../tools/tool-call-journal';
import type { TaskAgent, TaskContext, TaskOutcome } from '../types';
import type { AgentWorkbench } from '../workbench-port';
import { selectedAgent } from './selection';
import { ModelBroker, type Review } from './broker';
import { MODEL_URL_INSIDE, OpenHandsContainer } from './container';
import type { OpenHandsPool } from './pool';
import { workingCopyDiff } from './diff';
import { EventMapper, type BrokerDecision, type ExecutionStatus } from './event-map';
import { ShellCwd, observedWorkingDir } from './shell-cwd';
import { openHandsTicket, type OpenHandsTicket } from './ticket';
import { OH_WORKSPACE, judgeToolCall, refusalThought, type ToolJudgment } from './tool-judge';
import { udsRequest, udsWebSocket } from './uds';
import { withRunningTimeLimit, type RunningTimeLimit } from '../../tasks/running-time-limit';

const failed = (code: PushPalsError['code'], message: string, details?: Record<string, unknown>): TaskOutcome => ({ status: 'failed', error: { code, message: message.slice(0, 4096), ...(details ? { details } : {}) } });
const DONE: ReadonlySet<ExecutionStatus> = new Set(['finished', 'error', 'stuck']);

/** Figures of one run, for the benchmarks (docs/PERFORMANCE.md). */
export interface OpenHandsRunStats {
  /** The agent server came from the warm pool (pool.ts). */
  pooled: boolean;
  startMs: number;
  readyMs: number;
  conversationMs: number;
  modelCalls: number;
  reviewMs: number;
}

/** What the OpenHands worker uses of the workbench beyond AgentWorkbench (workbench/workbench.ts has it all). */
export interface OpenHandsWorkbench extends AgentWorkbench {
  readonly journal: ToolCallJournal;
  readonly sandboxes: SandboxManager;
  readonly repos: Pick<RepoRegistry, 'get'>;
  /** Why sandboxes are unavailable (no engine), once start() ran. */
  readonly sandboxProblem: string | undefined;
  start(): Promise<void>;
  /** The repository objects a working copy borrows (its `.git` alternates), for the agent's own container to mount read-only. */
  sharedObjectsOfCopy(workspaceHostPath: string): SharedObjectsMount | undefined;
  /** Lets go of the sandbox the working copy was checked out in (this agent runs its own container). */
  releaseHeldSandbox(taskId: string): Promise<void>;
}

/** What the OpenHands worker works with; the composition root (workbench-setup.ts) provides it. */
export interface OpenHandsAgentDeps {
  workbench: OpenHandsWorkbench;
  models: Pick<ModelRegistry, 'configured' | 'client'>;
  /** Redacted from everything the agent emits or stores (server token, model keys). */
  secrets: readonly string[];
  config: Pick<Config, 'agent' | 'agents' | 'openhands' | 'approvals' | 'dataDir'>;
  /** Tokens the task's earlier runs spent (a re-run continues its budget). */
  tokensSpent(taskId: string): number;
  logger: Pick<Logger, 'warn'>;
  /** Plans: a ticket starts from its base commit and commits its result on its branch (ticket.ts); the planner takes top-level tasks when enabled. */
  team?: Team;
  /** Agent servers started ahead (config openhands.warmPool); without one, each task starts its own. */
  pool?: OpenHandsPool;
  /** The repository's checks, run on a finished task's result and its base (`agent.evidence`). */
  checks?: Pick<TreeChecks, 'run'>;
}

export class OpenHandsAgent implements TaskAgent {
  readonly id = 'openhands';
  /** The last run's figures (benchmarks read them). */
  lastStats: OpenHandsRunStats | undefined;
  private readonly wb: OpenHandsWorkbench;
  private readonly models: OpenHandsAgentDeps['models'];
  private readonly secrets: readonly string[];
  private readonly config: OpenHandsAgentDeps['config'];

  constructor(private readonly deps: OpenHandsAgentDeps) {
    this.wb = deps.workbench;
    this.models = deps.models;
    this.secrets = deps.secrets;
    this.config = deps.config;
  }

  /** The warm pool of agent servers, if configured (status, tests, benchmarks). */
  get pool(): OpenHandsPool | undefined {
    return this.deps.pool;
  }

  canHandle(task: TaskRecord): boolean {
    // With the planner on, a top-level task is planned first; its tickets follow its choice of worker (plans/ticket-agent.ts).
    if (task.parentId === null && this.deps.team?.enabled === true) return false;
    return this.models.configured('coder') && selectedAgent(task, this.config, this.wb.repos) === 'openhands';
  }

  run(ctx: TaskContext): Promise<TaskOutcome> {
    // agent.maxTimeMs counts running time: paused stretches (task_pause) are not counted.
    return withRunningTimeLimit(this.config.agent.maxTimeMs, ctx.pause, (deadline) => this.runWithin(ctx, deadline));
  }

  private async runWithin(ctx: TaskContext, deadline: RunningTimeLimit): Promise<TaskOutcome> {
    const config = this.config;
    const limits = config.agent;
    const taskId = ctx.task.id;
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    const t0 = performance.now();
    const ticket = openHandsTicket(this.deps.team, taskId);
    const { repo, workspace } = await this.wb.prepareWorkspace(ctx, ticket?.start);
    await this.wb.releaseHeldSandbox(taskId);
    await this.wb.start();
    if (this.wb.sandboxProblem) return failed('sandbox_unavailable', this.wb.sandboxProblem);
    const deps = this.wb.commandToolDeps(repo.id, taskId, workspace.path);
    const redact = (s: string) => redactSecrets(s, this.secrets);
    const decisions = new Map<string, BrokerDecision>();
    const shell = new ShellCwd(OH_WORKSPACE); // where the terminal's one shell is, for the policy
    const budget = new TokenBudget(limits.tokenBudget, this.deps.tokensSpent(taskId));
    const client = this.models.client('coder', { onCall: auditModelCalls(this.wb.audit, { taskId, actor: this.id }) });
    // eslint-disable-next-line prefer-const -- the mapper needs the decisions the broker's review fills in
    let mapper: EventMapper;
    const review = async (call: ParsedToolCall & { error?: undefined }): Promise<Review> => {
      // The actions the agent was allowed so far (not finish/think): their events first.
      const before = [...decisions].filter(([, d]) => !d.refused && (d.judgment.tool === 'run_command' || d.judgment.tool === 'file_editor')).map(([id]) => id);
      await mapper.settled(before, 5000);
      return this.review(ctx, call, deps, decisions, shell);
    };
    const broker = new ModelBroker({ client, budget, review: (c) => review(c as ParsedToolCall & { error?: undefined }), signal, hold: () => ctx.pause?.wait(signal) ?? Promise.resolve() });
    const objects = this.wb.sharedObjectsOfCopy(workspace.path);
    const slot = this.deps.pool?.take();
    const container = slot ?? new OpenHandsContainer({ sandboxes: this.wb.sandboxes, image: config.openhands.image, taskId, workspaceHostPath: workspace.path, socketDir: join(config.dataDir, 'openhands', taskId), ...(objects ? { sharedObjects: objects } : {}) });
    const run = { status: 'idle' as ExecutionStatus };
    let wake: () => void = () => {};
    mapper = new EventMapper({
      ctx,
      journal: this.wb.journal,
      audit: this.wb.audit,
      secrets: this.secrets,
      decisions,
      onObservation: (id, obs) => shell.observed(id, observedWorkingDir(obs)),
      onStatus: (s) => {
        run.status = s;
        wake();
      },
    });
    let ws: WebSocket | undefined;
    let offPause: (() => void) | undefined;
    const stats: OpenHandsRunStats = { pooled: slot !== undefined, startMs: 0, readyMs: 0, conversationMs: 0, modelCalls: 0, reviewMs: 0 };
    try {
      ctx.progress('Starting the OpenHands agent server', { step: 'sandbox' });
      const tStart = performance.now();
      if (slot) {
        // A warm slot: its server is up; the working copy and objects are mounted into it now, the broker is this task's own.
        await slot.bindTask(workspace.path, objects);
        await broker.listen(container.modelSocket);
      } else {
        container.prepareDirs();
        await broker.listen(container.modelSocket);
        await container.start();
        await container.waitReady(config.openhands.readyTimeoutMs, signal);
      }
      stats.readyMs = performance.now() - tStart;
      stats.startMs = performance.now() - t0;
      const api = (method: string, path: string, body?: unknown) => udsRequest(container.agentSocket, container.uid, method, `/api${path}`, { headers: { 'X-Session-API-Key': container.sessionKey }, body, timeoutMs: 60_000 });
      const created = await api('POST', '/conversations', this.conversationRequest());
      if (created.status >= 300) throw new PushPalsError('sandbox_unavailable', `the agent server refused the conversation (HTTP ${created.status}): ${created.body.slice(0, 1000)}`);
      const convId = created.json<{ id: string }>().id;

      ws = udsWebSocket(container.agentSocket, container.uid, `/sockets/events/${convId}?resend_mode=all`);
      const socket = ws;
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      socket.send(JSON.stringify({ type: 'auth', session_api_key: container.sessionKey }));
      socket.on('message', (data) => {
        try {
          const ev: unknown = JSON.parse(String(data));
          if (typeof ev === 'object' && ev !== null) mapper.handle(ev as Record<string, unknown>);
        } catch (e) {
          if (e instanceof SyntaxError) return; // not an event
          throw e;
        }
      });
      let streamClosed = false;
      socket.on('close', () => {
        streamClosed = true;
        wake();
      });
      let died: { exitCode: number; oomKilled: boolean } | undefined;
      void container.exited?.then((x) => {
        died = x;
        wake();
      });
      signal.addEventListener('abort', () => wake(), { once: true });

      // Pause: the server stops after its current step (POST …/pause) and the broker holds model calls
      // and replies meanwhile, so nothing advances. Resume: the loop below runs the conversation again
      // once the server reports `paused` (a /run sent while the step still finishes would be ignored).
      offPause = ctx.pause?.onChange((paused) => (paused ? void api('POST', `/conversations/${convId}/pause`).catch(() => undefined) : wake()));
      let resuming = false;
      const tConv = performance.now();
      const sent = await api('POST', `/conversations/${convId}/events`, { role: 'user', run: true, content: [{ type: 'text', text: this.taskMessage(ctx.task, ticket?.request()) }] });
      if (sent.status >= 300) throw new PushPalsError('sandbox_unavailable', `the agent server refused the task message (HTTP ${sent.status}): ${sent.body.slice(0, 1000)}`);
      ctx.progress(`OpenHands is working on ${repo.name}`, { step: 'model' });
      // Status updates come from the stream; heartbeat while waiting (approvals park the job separately).
      while (!DONE.has(run.status) && !signal.aborted && !died && !streamClosed) {
        if (run.status === 'paused' && ctx.pause?.paused === false && !resuming) {
          resuming = true;
          void api('POST', `/conversations/${convId}/run`)
            .catch(() => undefined)
            .finally(() => (resuming = false));
        }
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 5_000).unref();
        });
        ctx.heartbeat();
      }
      stats.conversationMs = performance.now() - tConv;
      stats.modelCalls = broker.calls;
      stats.reviewMs = broker.reviewMs;
      this.lastStats = stats;

      if (ctx.signal.aborted) {
        mapper.interruptAll('the task was stopped'); // first: what the interrupt makes the server report comes too late
        await api('POST', `/conversations/${convId}/interrupt`).catch(() => undefined);
        return failed('cancelled', 'the task was stopped');
      }
      if (deadline.signal.aborted) {
        await this.emitDiff(ctx, container, repo);
        mapper.interruptAll('the time limit was reached');
        return failed('timeout', `the task hit its time limit (${limits.maxTimeMs} ms, agent.maxTimeMs) before OpenHands finished`);
      }
      if (died || (streamClosed && !DONE.has(run.status))) {
        const d = died ?? (await Promise.race([container.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000).unref())]));
        mapper.interruptAll('the OpenHands container stopped');
        return failed('sandbox_unavailable', `the OpenHands container stopped during the task${d ? ` (exit code ${d.exitCode}${d.oomKilled ? ', killed for using too much memory (sandbox.memoryMb)' : ''})` : ''}; nothing of it is left running`);
      }
      mapper.interruptAll(`the conversation ended (${run.status})`);
      if (run.status === 'finished') return await this.complete(ctx, container, mapper.finalMessage || 'OpenHands finished without a summary.', repo, ticket);
      await this.emitDiff(ctx, container, repo);
      const err = broker.lastError;
      if (err) return failed(err.code, redact(err.message), { ...err.details, tokensUsed: budget.used });
      return failed('internal', `OpenHands stopped with status ${run.status}${mapper.lastError ? `: ${redact(mapper.lastError)}` : ''}`);
    } catch (e) {
      mapper.interruptAll(e instanceof Error ? e.message : String(e));
      if (ctx.signal.aborted) throw e;
      if (e instanceof PushPalsError) return failed(e.code, redact(e.message), e.details);
      throw e;
    } finally {
      deadline.dispose();
      offPause?.();
      ws?.terminate();
      await broker.close();
      await container.remove().catch((e: unknown) => this.deps.logger.warn('removing the OpenHands container failed', { taskId, error: e }));
    }
  }

  /**
   * One tool call of a model reply, before the agent sees it: allowed as is; `ask` waits for a person
   * (the reply is held meanwhile); denied or not approved → recorded as refused, and replaced by a
   * `think` call carrying the refusal and its reason for the model to read.
   */
  private async review(ctx: TaskContext, call: ParsedToolCall & { error?: undefined }, deps: CommandToolDeps, decisions: Map<string, BrokerDecision>, shell: ShellCwd): Promise<Review> {
    const j = await judgeToolCall(deps.classifier, call.name, call.arguments, deps.policy, deps.policy.autoCommit === true, shell.judgeDirs(call.arguments), deps.workspaceHostPath);
    const cwd = call.arguments.is_input === true ? '(input to the running program)' : (shell.current ?? '(unknown)');
    let why: string | undefined;
    let approvalId: string | undefined;
    if (j.verdict === 'deny') why = `denied by policy: ${j.reason}`;
    else if (j.verdict === 'ask') {
      const approval = await ctx.requestApproval({ key: `openhands:${call.id}`, kind: 'command', title: `Run: ${j.summary.slice(0, 400)}`, reason: j.reason, risk: j.risk, command: j.summary, details: { verdict: j.verdict, tool: call.name } });
      approvalId = approval.id;
      if (approval.state !== 'approved') why = `not run: approval ${approval.id} was ${approval.state}${approval.reason ? ` (${approval.reason})` : ''}`;
    }
    decisions.set(call.id, { judgment: j, refused: why !== undefined, cwd, ...(approvalId ? { approvalId } : {}) });
    if (why === undefined) {
      shell.ran(call.id, call.name, call.arguments);
      return { keep: true };
    }
    this.recordRefusal(ctx, j, why, approvalId, deps, cwd);
    return { keep: false, replacement: { name: 'think', arguments: { thought: refusalThought(j, why) } } };
  }

  private recordRefusal(ctx: TaskContext, j: ToolJudgment, why: string, approvalId: string | undefined, deps: CommandToolDeps, cwd: string): void {
    const taskId = ctx.task.id;
    const toolCallId = newId('tc');
    const redact = (s: string) => redactSecrets(s, deps.secrets);
    deps.journal.open({ toolCallId, taskId, sessionId: ctx.task.sessionId, agentId: ctx.agentId, tool: j.tool }, () =>
      ctx.emit('tool_call', { taskId, toolCallId, tool: j.tool, args: j.tool === 'run_command' ? { command: redact(j.summary).slice(0, 16_384), cwd } : { summary: redact(j.summary).slice(0, 16_384) }, policy: { verdict: j.verdict, reason: j.reason.slice(0, 2000) } }),
    );
    deps.journal.close(toolCallId, { taskId, actor: ctx.agentId, action: 'command', command: j.summary.slice(0, 8192), cwd, verdict: j.verdict === 'deny' ? 'deny' : 'ask', approvalId: approvalId ?? null, data: { refused: why, requestedBy: ctx.task.sessionId, toolCallId, sandbox: 'openhands' } }, () =>
      ctx.emit('tool_result', { taskId, toolCallId, tool: j.tool, ok: false, output: why.slice(0, 2000), truncated: false, durationMs: 0 }),
    );
  }

  private conversationRequest(): Record<string, unknown> {
    const limits = this.config.agent;
    return {
      agent: {
        kind: 'Agent',
        llm: {
          // Any name without gpt-5/codex in it keeps the SDK on chat completions; the broker picks the real model.
          model: 'openai/pushpals-broker',
          base_url: MODEL_URL_INSIDE,
          api_key: 'none', // the real key stays with the broker, outside the container
          usage_id: 'agent',
          num_retries: 0, // the broker retries against the real model
          // A reply can be held for a person's approval: as long as an approval may wait.
          timeout: Math.max(600, Math.ceil((this.config.approvals.timeoutMs || 7 * 24 * 3600_000) / 1000) + 60),
          input_cost_per_token: 0,
          output_cost_per_token: 0,
        },
        tools: [{ name: 'terminal' }, { name: 'file_editor' }],
        tool_concurrency_limit: 1, // one command at a time, in one shell: the terminal's place (shell-cwd.ts) follows them in order
      },
      workspace: { kind: 'LocalWorkspace', working_dir: OH_WORKSPACE },
      confirmation_policy: { kind: 'NeverConfirm' }, // PushPals' approvals happen in the broker, outside the container
      max_iterations: limits.maxSteps,
      autotitle: false,
    };
  }

  private taskMessage(task: TaskRecord, request = task.request): string {
    const c = task.context;
    const extra = [c?.file ? `The person is looking at ${c.file}.` : '', c?.selection ? `Selected text:\n${c.selection}` : ''].filter(Boolean).join('\n');
    return `${request}\n\nThe repository is checked out at ${OH_WORKSPACE} (no network). Work there; when done, finish with a short summary of what you changed and verified.${extra ? `\n\n${extra}` : ''}`;
  }

  /** The working copy's changes against its HEAD, read by git inside the container (diff.ts). */
  private async takeDiff(ctx: TaskContext, container: OpenHandsContainer, repo: Repo): Promise<EventPayload<'diff_ready'> | undefined> {
    try {
      return await workingCopyDiff(ctx.task.id, {
        exec: (script) => container.exec(['bash', '-c', script], 16 * 1024 * 1024),
        mirror: repo.mirrorPath,
        warn: (message) => ctx.emit('log', { level: 'warn', taskId: ctx.task.id, message: message.slice(0, MAX_MESSAGE_LENGTH) }),
      });
    } catch (e) {
      ctx.emit('log', { level: 'warn', taskId: ctx.task.id, message: `The diff could not be taken (the working copy keeps the changes): ${(e as Error).message}`.slice(0, MAX_MESSAGE_LENGTH) });
      return undefined; // the container is gone, or git failed there
    }
  }

  private async emitDiff(ctx: TaskContext, container: OpenHandsContainer, repo: Repo): Promise<string[]> {
    const payload = await this.takeDiff(ctx, container, repo);
    if (!payload) return [];
    await this.wb.proposeDiff(ctx, payload); // against the working copy's HEAD: the task branch's start
    return payload.files;
  }

  private async complete(ctx: TaskContext, container: OpenHandsContainer, summary: string, repo: Repo, ticket?: OpenHandsTicket): Promise<TaskOutcome> {
    if (ticket) {
      const tail = await ticket.finish(ctx, repo, await this.takeDiff(ctx, container, repo));
      return { status: 'completed', summary: `${redactSecrets(summary, this.secrets)}${tail}`.slice(0, 8192) };
    }
    const diff = await this.takeDiff(ctx, container, repo);
    if (!diff) return { status: 'completed', summary: redactSecrets(summary, this.secrets).slice(0, 8192) };
    // The same evidence as the built-in agent's: the checks on exactly base + diff, and on the base.
    const tail = await proposeWithEvidence(this.wb, { runner: this.deps.checks, enabled: this.config.agent.evidence }, ctx, repo, diff);
    return { status: 'completed', summary: `${redactSecrets(summary, this.secrets)}${tail}`.slice(0, 8192) };
  }
}
