/**
 * The chat side: a responder answers each user message asynchronously (the command is acked
 * first), so the chat never waits for tasks. The built-in responder knows "status", "help" and
 * "/task <request>". `services.chat.setResponder` replaces it (a planner could, once there is one).
 */
import type { ApprovalService } from '../approvals/approvals';
import type { EventLog } from '../events/event-log';
import { PushPalsError } from '../errors';
import type { Logger } from '../log';
import type { TaskCommands } from '../ports';
import type { JobQueue } from '../queue/job-queue';
import type { Db } from '../store/db';
import { isTerminal, type TaskStore } from '../tasks/task-store';
import { DraftHub } from './drafts';

/** What chat responders use of the services (services.ts hands over the real ones). */
export interface ChatServices extends Pick<TaskCommands, 'createTask'> {
  /** Read-only use: the conversation so far (model-responder.ts). */
  readonly db: Db;
  readonly logger: Logger;
  readonly events: Pick<EventLog, 'append'>;
  readonly tasks: Pick<TaskStore, 'list' | 'countByState'>;
  readonly queue: Pick<JobQueue, 'depth'>;
  readonly approvals: Pick<ApprovalService, 'countPending'>;
  /** Replies being written (model-responder.ts streams into a draft). */
  readonly chat: { readonly drafts: Pick<DraftHub, 'start'> };
}

export interface ChatTurn {
  sessionId: string;
  text: string;
  /** The user_message event id: replies carry it as turnId. */
  turnId: string;
}

export type ChatResponder = (turn: ChatTurn, services: ChatServices) => Promise<void> | void;

export class ChatService {
  private responder: ChatResponder = builtinResponder;
  /** Replies being written, sent live to the session's connections (never stored). */
  readonly drafts = new DraftHub();

  constructor(private readonly services: () => ChatServices) {}

  setResponder(r: ChatResponder): void {
    this.responder = r;
  }

  /** Runs the responder on a later turn of the event loop; failures become `error` events. */
  respondLater(turn: ChatTurn): void {
    setImmediate(() => {
      const s = this.services();
      Promise.resolve()
        .then(() => this.responder(turn, s))
        .catch((e: unknown) => {
          s.logger.error('chat responder failed', { error: e });
          s.events.append({ type: 'error', sessionId: turn.sessionId, turnId: turn.turnId, payload: { error: { code: 'internal', message: 'the chat responder failed (see the orchestrator log)' } } });
        });
    });
  }
}

/** Shown per task at most (a plan's tickets); the rest are counted. */
const MAX_SUBTASKS_SHOWN = 30;

/**
 * A human summary of all tasks and their states, each task with its subtasks (a plan's tickets)
 * indented under it. Reads the store only (no model): answered at once while agents run.
 */
export function statusText(services: Pick<ChatServices, 'tasks' | 'queue' | 'approvals'>): string {
  const tasks = services.tasks.list();
  const depth = services.queue.depth();
  if (tasks.length === 0) return `No tasks yet. Queue depth: ${depth}.`;
  const counts = services.tasks.countByState();
  const head = Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ');
  const ids = new Set(tasks.map((t) => t.id));
  const children = new Map<string, typeof tasks>();
  for (const t of tasks) {
    if (t.parentId === null || !ids.has(t.parentId)) continue;
    const list = children.get(t.parentId) ?? [];
    list.push(t);
    children.set(t.parentId, list);
  }
  const roots = tasks.filter((t) => t.parentId === null || !ids.has(t.parentId));
  const live = roots.filter((t) => !isTerminal(t.state));
  const recent = [...live, ...roots.filter((t) => isTerminal(t.state)).slice(-Math.max(0, 20 - live.length))].slice(0, 50);
  const line = (t: (typeof tasks)[number], indent: string): string => {
    const pending = services.approvals.countPending(t.id);
    return `${indent}- ${t.id} [${t.state}${pending ? `, ${pending} approval${pending > 1 ? 's' : ''} pending` : ''}] ${t.title}`;
  };
  const lines: string[] = [];
  const walk = (t: (typeof tasks)[number], indent: string) => {
    lines.push(line(t, indent));
    const subs = children.get(t.id) ?? [];
    for (const c of subs.slice(0, MAX_SUBTASKS_SHOWN)) walk(c, `${indent}  `);
    if (subs.length > MAX_SUBTASKS_SHOWN) lines.push(`${indent}  … and ${subs.length - MAX_SUBTASKS_SHOWN} more`);
  };
  for (const t of recent) walk(t, '');
  return `${tasks.length} task${tasks.length > 1 ? 's' : ''}: ${head}. Queue depth: ${depth}.\n${lines.join('\n')}`;
}

const HELP = [
  'I am the PushPals orchestrator. You can:',
  '- say "status" for a summary of all tasks;',
  '- start a task with "/task <what to do>" (or "PushPals: New Task" in VS Code);',
  '- approve or deny pending approvals from the task cards.',
].join('\n');

/** What the built-in responder answers at once, without any model: status, help, /task. */
export function isBuiltinChatCommand(text: string): boolean {
  const t = text.trim();
  return /^\/?status\b|^what('s| is) (the )?status\b/i.test(t) || /^\/task\s+\S/i.test(t) || /^\/?help\b/i.test(t);
}

export const builtinResponder: ChatResponder = (turn, services) => {
  const text = turn.text.trim();
  const reply = (t: string) =>
    services.events.append({ type: 'assistant_message', sessionId: turn.sessionId, turnId: turn.turnId, payload: { text: t, format: 'plain' } });
  const task = /^\/task\s+([\s\S]+)$/i.exec(text);
  if (/^\/?status\b|^what('s| is) (the )?status\b/i.test(text)) {
    reply(statusText(services));
  } else if (task?.[1]) {
    let created: ReturnType<ChatServices['createTask']>;
    try {
      created = services.createTask({ request: task[1].trim(), sessionId: turn.sessionId });
    } catch (e) {
      if (!(e instanceof PushPalsError)) throw e;
      reply(`I did not create the task: ${e.message}`); // e.g. several repositories and none named
      services.events.append({ type: 'done', sessionId: turn.sessionId, turnId: turn.turnId, payload: {} });
      return;
    }
    services.events.append({ type: 'assistant_message', sessionId: turn.sessionId, turnId: turn.turnId, payload: { text: `Created task ${created.id}: ${created.title}`, format: 'plain', taskId: created.id } });
  } else if (/^\/?help\b/i.test(text)) {
    reply(HELP);
  } else {
    reply(`I got your message. I cannot hold a conversation yet (no chat model is configured).\n${HELP}`);
  }
  services.events.append({ type: 'done', sessionId: turn.sessionId, turnId: turn.turnId, payload: {} });
};
