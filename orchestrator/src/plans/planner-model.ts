/**
 * The planner's model calls: a plan (or extra tickets for a split) through a `submit_plan` tool whose
 * parameters are the plan schema, checked on arrival; a malformed plan goes back to the model with
 * the problems, a bounded number of times (config planner.maxAttempts). Questions about the plan
 * get a plain answer.
 */
import { PushPalsError } from '../errors';
import type { ChatMessage, ChatReply, ModelClient, ToolSpec } from '../model/client';
import { PlanSchema, SplitSchema, checkPlan, checkSplit, type Checked, type PlanDraft, type SplitDraft } from './plan-schema';
import type { PlanRecord, TicketRecord } from './plan-store';
import { workersPrompt } from './ticket-agent';
import type { WorkerAgent } from '../config';

export const PLANNER_SYSTEM = [
  'You are the planner of a team of coding agents working on a git repository.',
  'Turn the request into a plan: a few small tickets, each one a coding agent can finish alone in its own copy of the repository.',
  'Give each ticket a scope (the files or areas it may change), acceptance criteria, and checks: shell commands that prove it (they run in a sandbox without network).',
  'Tickets run in parallel unless one depends on another (dependsOn): a dependent ticket starts from the results of the tickets it depends on. Prefer independent tickets with separate scopes.',
  'A trivial request is a plan of one ticket. Call submit_plan with the plan.',
].join('\n');

/** The tool a plan comes through: its parameters are the schema the plan is checked against. */
export const SUBMIT_PLAN: ToolSpec = { name: 'submit_plan', description: 'Submit the plan.', parameters: PlanSchema as unknown as ToolSpec['parameters'] };
const SUBMIT_TICKETS: ToolSpec = { name: 'submit_plan', description: 'Submit the new tickets.', parameters: SplitSchema as unknown as ToolSpec['parameters'] };

/** The plan from a reply: the submit_plan call, else JSON written as the whole text. */
function planJson(reply: ChatReply): { value: unknown } | { error: string } {
  const call = reply.toolCalls.find((c) => c.name === 'submit_plan') ?? reply.toolCalls[0];
  if (call) {
    if (call.error !== undefined) return { error: `the submit_plan arguments are not valid: ${call.error}` };
    if (call.name !== 'submit_plan') return { error: `there is no tool named "${call.name}": call submit_plan` };
    return { value: call.arguments };
  }
  const text = reply.text.trim().replace(/^```(?:json)?\s*|\s*```$/g, '');
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: 'no plan in the reply: call submit_plan with the plan' };
  }
}

export interface PlannerCall {
  client: ModelClient;
  maxAttempts: number;
  signal: AbortSignal;
  /** Called before each model call (the task's token budget: throws when spent). */
  beforeCall?: () => void;
  onAttempt?: (attempt: number, problems: string[] | undefined) => void;
}

/** Asks until `check` accepts the reply's plan or the attempts are spent (`model_error` with the last problems). */
async function askChecked<T>(call: PlannerCall, messages: ChatMessage[], tool: ToolSpec, check: (v: unknown) => Checked<T>): Promise<T> {
  let last: string[] = [];
  for (let attempt = 1; attempt <= call.maxAttempts; attempt++) {
    call.beforeCall?.();
    const reply = await call.client.chat({ messages, tools: [tool], signal: call.signal });
    messages.push(reply.assistantMessage);
    const parsed = planJson(reply);
    const checked: Checked<T> = 'error' in parsed ? { ok: false, problems: [parsed.error] } : check(parsed.value);
    if (checked.ok) return checked.value;
    last = checked.problems;
    call.onAttempt?.(attempt, last);
    const feedback = `The plan was not accepted:\n- ${last.join('\n- ')}\nSend the whole corrected plan with submit_plan.`;
    const answered = reply.toolCalls[0];
    messages.push(answered && reply.toolCallSource !== 'none' ? call.client.toolResultMessage(answered, feedback) : { role: 'user', content: feedback });
  }
  throw new PushPalsError('model_error', `the planner model gave no valid plan in ${call.maxAttempts} attempt(s) (planner.maxAttempts): ${last.join('; ')}`.slice(0, 4000), { problems: last });
}

/** `workers`: the coding agents available for tickets (the planner may pick one per ticket when there are several). */
export function draftPlan(call: PlannerCall, o: { request: string; repoName: string; files: readonly string[]; maxTickets: number; workers?: readonly WorkerAgent[] }): Promise<PlanDraft> {
  const listing = o.files.length ? o.files.join('\n') : '(no files)';
  const workers = workersPrompt(o.workers ?? []);
  const messages: ChatMessage[] = [
    { role: 'system', content: PLANNER_SYSTEM },
    { role: 'user', content: `Plan the following request:\n${o.request}\n\n(Repository: ${o.repoName}. At most ${o.maxTickets} tickets. Files:\n${listing})${workers ? `\n\n${workers}` : ''}` },
  ];
  return askChecked(call, messages, SUBMIT_PLAN, (v) => checkPlan(v, o.maxTickets));
}

/** The plan as the planner and the coders read it: one line per ticket with its state, dependencies and (when not the built-in one) its agent. */
export function describePlan(plan: PlanRecord, tickets: readonly TicketRecord[]): string {
  const keyOf = new Map(tickets.map((t) => [t.taskId, t.key]));
  const lines = tickets.map((t) => `- ${t.key} [${t.state}] ${t.title.replace(/^\S+: /, '')} (scope: ${t.scope.join(', ')}${t.dependsOn.length ? `; after ${t.dependsOn.map((d) => keyOf.get(d) ?? d).join(', ')}` : ''}${t.agent === 'worker:builtin' ? '' : `; agent: ${t.agent}`})`);
  return `Plan: ${plan.summary}\nTickets:\n${lines.join('\n')}`;
}

export function draftSplit(call: PlannerCall, o: { plan: PlanRecord; tickets: readonly TicketRecord[]; asking: TicketRecord; request: string; room: number; workers?: readonly WorkerAgent[] }): Promise<SplitDraft> {
  const workers = workersPrompt(o.workers ?? []);
  const messages: ChatMessage[] = [
    { role: 'system', content: PLANNER_SYSTEM },
    {
      role: 'user',
      content: `Split request from ticket ${o.asking.key}:\n${o.request}\n\n${describePlan(o.plan, o.tickets)}\n\nReturn only the NEW tickets (new ids) for the work to move out of ${o.asking.key}; they start after ${o.asking.key} finishes, from its result. Call submit_plan with {"tickets": [...]}.${workers ? `\n\n${workers}` : ''}`,
    },
  ];
  return askChecked(call, messages, SUBMIT_TICKETS, (v) => checkSplit(v, new Set(o.tickets.map((t) => t.key)), o.room));
}

export async function answerQuestion(call: PlannerCall, o: { plan: PlanRecord; tickets: readonly TicketRecord[]; asking: TicketRecord; question: string; results: string }): Promise<string> {
  call.beforeCall?.();
  const reply = await call.client.chat({
    messages: [
      { role: 'system', content: 'You are the planner of a team of coding agents. Answer the coding agent\'s question about the plan briefly and concretely.' },
      { role: 'user', content: `Question from ticket ${o.asking.key}:\n${o.question}\n\n${describePlan(o.plan, o.tickets)}${o.results ? `\n\nWhat finished tickets reported:\n${o.results}` : ''}` },
    ],
    signal: call.signal,
  });
  return reply.text.trim() || '(the planner gave no answer)';
}
