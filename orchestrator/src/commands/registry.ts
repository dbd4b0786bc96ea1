/**
 * Command handlers: one function per protocol command, looked up by type. Others plug in (or
 * replace) handlers with `services.commands.register(type, handler)` — e.g. repo_add, audit_get.
 * Handlers see only `CommandServices`, the part of the services they use (the composition root,
 * services.ts, hands over the real ones): this module imports no services, so no import circle.
 */
import type { CommandMessage, CommandResult, CommandType } from '@pushpals/protocol';
import type { ApprovalService } from '../approvals/approvals';
import type { ChatService } from '../chat/responder';
import type { EventFilter, EventLog } from '../events/event-log';
import type { Logger } from '../log';
import type { JobQueue } from '../queue/job-queue';
import type { SessionStore, TaskCommands } from '../ports';
import type { TaskStore } from '../tasks/task-store';
import type { Clock } from '../util/clock';

/** What command handlers use of the services. */
export interface CommandServices extends TaskCommands {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: Pick<EventLog, 'append' | 'head' | 'committed'>;
  readonly tasks: Pick<TaskStore, 'require' | 'summaries'>;
  readonly queue: Pick<JobQueue, 'depth'>;
  readonly approvals: Pick<ApprovalService, 'decide' | 'get'>;
  readonly chat: Pick<ChatService, 'respondLater'>;
  readonly sessions: SessionStore;
}

/** What a live connection offers to the subscribe/unsubscribe handlers. */
export interface ConnectionControl {
  /** Replays stored events after `afterSeq` (matching `filter`), then streams live ones (and drafts of replies, with `drafts`), as protocol minor `minor` knows them. */
  subscribe(afterSeq: number, filter: EventFilter, opts?: { drafts: boolean; minor: number }): void;
  unsubscribe(): void;
}

export interface CommandContext {
  services: CommandServices;
  /** Connection (or HTTP request) id, for logs. */
  clientId: string;
  /** Non-secret fingerprint of the token the client authenticated with. */
  tokenFingerprint: string;
  transport: 'ws' | 'http';
  /** Present on WebSocket connections only. */
  connection?: ConnectionControl;
  /** Runs `fn` right after the ack was sent (e.g. start a replay, answer a chat turn). */
  afterResponse(fn: () => void): void;
}

export type CommandHandler<K extends CommandType> = (cmd: CommandMessage<K>, ctx: CommandContext) => CommandResult<K> | Promise<CommandResult<K>>;

type HandlerMap = { [K in CommandType]?: CommandHandler<K> };

export class CommandRegistry {
  private readonly handlers: HandlerMap = {};

  register<K extends CommandType>(type: K, handler: CommandHandler<K>): void {
    (this.handlers as Record<string, unknown>)[type] = handler;
  }

  get<K extends CommandType>(type: K): CommandHandler<K> | undefined {
    return this.handlers[type] as CommandHandler<K> | undefined;
  }
}
