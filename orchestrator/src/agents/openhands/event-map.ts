/**
 * OpenHands' event stream (agent server WebSocket, one JSON event per frame) onto PushPals' protocol:
 * ActionEvent → task_progress + tool_call (with the verdict the broker reached for that call),
 * ObservationEvent / AgentErrorEvent → tool_result, an agent MessageEvent → assistant_message,
 * `execution_status` updates → the run's status. Every tool call is journaled from its tool_call to
 * its tool_result with audit rows (a terminal command gets `command_started` before its result), as
 * run_command does for the built-in agent. Calls the broker refused are already recorded: the `think`
 * that replaced them is skipped.
 */
import { MAX_MESSAGE_LENGTH, MAX_OUTPUT_LENGTH, MAX_TEXT_LENGTH, newId } from '@pushpals/protocol';
import { redactSecrets, truncateOutput, type AuditLog } from '../../audit';
import type { ToolCallJournal } from '../../tools/tool-call-journal';
import type { TaskContext } from '../types';
import { OH_WORKSPACE, type ToolJudgment } from './tool-judge';

/** What the broker decided for a tool call, by the model's tool_call id. */
export interface BrokerDecision {
  judgment: ToolJudgment;
  approvalId?: string;
  /** Refused (denied, or not approved): replaced by a think call, already recorded as refused. */
  refused: boolean;
  /** Where the terminal's shell most likely was when the call was judged (shell-cwd.ts); `(unknown)` when not known. */
  cwd?: string;
}

export type ExecutionStatus = 'idle' | 'running' | 'paused' | 'waiting_for_confirmation' | 'finished' | 'error' | 'stuck' | 'deleting';

interface OpenCall {
  id: string;
  tool: string;
  summary: string;
  judgment: ToolJudgment | undefined;
  approvalId: string | undefined;
  cwd: string;
  at: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
/** The text of an observation / message: `content` as a string or a list of text parts. */
export const contentText = (c: unknown): string => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((p) => (isObj(p) ? str(p.text) : '')).join('') : '');

export interface EventMapperDeps {
  ctx: TaskContext;
  journal: ToolCallJournal;
  audit: AuditLog;
  secrets: readonly string[];
  decisions: ReadonlyMap<string, BrokerDecision>;
  onStatus: (s: ExecutionStatus, detail?: string) => void;
  /** Each ObservationEvent's observation, by the model's tool_call id (the terminal's reported working directory). */
  onObservation?: (toolCallId: string, observation: unknown) => void;
}

export class EventMapper {
  private readonly open = new Map<string, OpenCall>();
  private readonly seen = new Set<string>();
  /** The message of the agent's `finish`, or its last message. */
  finalMessage = '';
  /** The last error the conversation reported (ConversationErrorEvent / AgentErrorEvent). */
  lastError = '';
  actions = 0;

  constructor(private readonly d: EventMapperDeps) {}

  private redact(s: string): string {
    return redactSecrets(s, this.d.secrets);
  }

  handle(ev: Obj): void {
    const id = str(ev.id);
    if (id) {
      if (this.seen.has(id)) return; // a resend after reconnecting
      this.seen.add(id);
    }
    switch (ev.kind) {
      case 'ActionEvent':
        return this.action(ev);
      case 'ObservationEvent':
      case 'AgentErrorEvent':
      case 'UserRejectObservation':
        return this.observation(ev);
      case 'MessageEvent':
        return this.message(ev);
      case 'ConversationStateUpdateEvent':
        return this.state(ev);
      case 'ConversationErrorEvent':
        this.lastError = `${str(ev.code)} ${str(ev.detail)}`.trim();
        return;
      default:
        return;
    }
  }

  private action(ev: Obj): void {
    const ohId = str(ev.tool_call_id);
    const toolName = str(ev.tool_name);
    const action = isObj(ev.action) ? ev.action : {};
    const decision = this.d.decisions.get(ohId);
    if (decision?.refused) return;
    if (toolName === 'finish') {
      this.finalMessage = str(action.message) || this.finalMessage;
      return;
    }
    if (toolName === 'think') {
      this.d.ctx.progress(`Thinking: ${str(action.thought)}`.slice(0, MAX_MESSAGE_LENGTH), { step: 'think' });
      return;
    }
    this.actions++;
    const { ctx, journal } = this.d;
    const taskId = ctx.task.id;
    const j = decision?.judgment;
    const tool = j?.tool ?? (toolName === 'terminal' ? 'run_command' : toolName.slice(0, 64) || 'unknown');
    const cwd = decision?.cwd ?? OH_WORKSPACE;
    const args: Obj =
      tool === 'run_command'
        ? { command: this.redact(str(action.command)).slice(0, MAX_TEXT_LENGTH), cwd }
        : Object.fromEntries(Object.entries(action).filter(([k]) => k !== 'kind').map(([k, v]) => [k, typeof v === 'string' ? this.redact(v).slice(0, 16_384) : v]));
    const summary = tool === 'run_command' ? str(action.command) : `${toolName} ${str(action.command)} ${str(action.path)}`.trim();
    const call: OpenCall = { id: newId('tc'), tool, summary, judgment: j, approvalId: decision?.approvalId, cwd, at: Date.now() };
    this.open.set(ohId, call);
    ctx.progress(`${tool === 'run_command' ? 'Running' : 'Using'} ${summary}`.slice(0, MAX_MESSAGE_LENGTH), { step: tool });
    journal.open({ toolCallId: call.id, taskId, sessionId: ctx.task.sessionId, agentId: ctx.agentId, tool }, () =>
      ctx.emit('tool_call', { taskId, toolCallId: call.id, tool, args, ...(j ? { policy: { verdict: j.verdict, reason: j.reason.slice(0, MAX_MESSAGE_LENGTH) } } : {}) }),
    );
    if (tool === 'run_command') {
      journal.started(call.id, { taskId, actor: ctx.agentId, command: summary, cwd, verdict: j?.verdict ?? null, approvalId: call.approvalId ?? null, data: { toolCallId: call.id, sandbox: 'openhands', policyReason: j?.reason ?? null } });
    }
  }

  /** The model's tool_call ids whose result has arrived. */
  private readonly done = new Set<string>();

  /**
   * Resolves once every call in `ids` has its result, or after `timeoutMs`: the stream can lag behind
   * the agent's next model call, and a refusal recorded by the broker should come after the actions
   * (and results) that preceded it.
   */
  async settled(ids: readonly string[], timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (ids.some((id) => !this.done.has(id)) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  private observation(ev: Obj): void {
    if (ev.kind === 'ObservationEvent') this.d.onObservation?.(str(ev.tool_call_id), ev.observation);
    this.done.add(str(ev.tool_call_id));
    const call = this.open.get(str(ev.tool_call_id));
    if (!call) return; // finish/think, a refused call's think, or an error before any action
    this.open.delete(str(ev.tool_call_id));
    const obs = isObj(ev.observation) ? ev.observation : {};
    const text = ev.kind === 'AgentErrorEvent' ? str(ev.error) : ev.kind === 'UserRejectObservation' ? `rejected: ${str(ev.rejection_reason)}` : contentText(obs.content);
    const exitCode = typeof obs.exit_code === 'number' ? obs.exit_code : undefined;
    const ok = ev.kind === 'ObservationEvent' && obs.is_error !== true && (exitCode === undefined || exitCode === 0);
    if (ev.kind === 'AgentErrorEvent') this.lastError = text.slice(0, 2000);
    this.close(call, ok, text, exitCode);
  }

  private close(call: OpenCall, ok: boolean, text: string, exitCode?: number, interrupted = false): void {
    const { ctx, journal } = this.d;
    const taskId = ctx.task.id;
    const durationMs = Math.max(0, Date.now() - call.at);
    const shown = this.redact(text);
    const out = truncateOutput(shown, MAX_OUTPUT_LENGTH);
    const base = { taskId, actor: ctx.agentId, command: call.summary.slice(0, 8192), cwd: call.cwd, verdict: call.judgment?.verdict ?? null, approvalId: call.approvalId ?? null };
    const entry = interrupted
      ? { ...base, action: 'command_interrupted', data: { toolCallId: call.id, reason: text.slice(0, 2000) } }
      : { ...base, action: call.tool === 'run_command' ? 'command' : 'tool_call', exitCode: exitCode ?? (ok ? 0 : 1), durationMs, stdout: text, data: { toolCallId: call.id, tool: call.tool, sandbox: 'openhands', policyReason: call.judgment?.reason ?? null } };
    journal.close(call.id, entry, () =>
      ctx.emit('tool_result', {
        taskId,
        toolCallId: call.id,
        tool: call.tool,
        ok,
        ...(exitCode !== undefined ? { exitCode } : {}),
        ...(call.tool === 'run_command' && !interrupted ? { stdout: out } : { output: out }),
        truncated: out !== shown,
        durationMs,
      }),
    );
  }

  /** Closes every call still open (the container died, the task was cancelled) as interrupted. */
  interruptAll(why: string): void {
    for (const [k, call] of this.open) {
      this.open.delete(k);
      this.done.add(k);
      try {
        this.close(call, false, `interrupted: ${why}`, undefined, true);
      } catch {
        // The DB is closing (shutdown): the next start closes the call as interrupted.
      }
    }
  }

  private message(ev: Obj): void {
    if (ev.source !== 'agent') return;
    const m = isObj(ev.llm_message) ? ev.llm_message : {};
    const text = this.redact(contentText(m.content)).trim();
    if (!text) return;
    this.finalMessage = text;
    this.d.ctx.emit('assistant_message', { text: text.slice(0, MAX_TEXT_LENGTH), format: 'markdown', taskId: this.d.ctx.task.id });
  }

  private state(ev: Obj): void {
    const v = ev.key === 'execution_status' ? ev.value : ev.key === 'full_state' && isObj(ev.value) ? ev.value.execution_status : undefined;
    if (typeof v === 'string') this.d.onStatus(v as ExecutionStatus);
  }
}
