/**
 * The services object: every store and service of the process, built once and passed explicitly
 * (no globals). With app.ts it is the composition root: the only modules that know everything.
 * Consumers get the narrow part they use (command handlers `CommandServices`, chat responders
 * `ChatServices`, the task runner `TaskRunnerServices`, agents their constructor arguments), which
 * `Services` satisfies structurally, so nothing they import leads back here (lint: no-cycle).
 * The plug-in surface for other modules: see orchestrator/README.md ("Plugging in").
 */
import { AgentRegistry } from './agents/registry';
import { noAgent } from './agents/no-agent';
import type { TaskAgent } from './agents/types';
import { ApprovalService } from './approvals/approvals';
import { AuditLog } from './audit/audit-log';
import { AuditHeadPublisher } from './audit/head-publisher';
import { ChatService } from './chat/responder';
import { registerBuiltinCommands } from './commands/handlers/index';
import { CommandRegistry, type CommandHandler } from './commands/registry';
import type { Config } from './config';
import { EventLog } from './events/event-log';
import type { Logger } from './log';
import { JobQueue } from './queue/job-queue';
import { Worker, type JobHandler } from './queue/worker';
import type { SessionStore, TaskCommands } from './ports';
import { openDatabase, type Db } from './store/db';
import { stmt } from './store/statements';
import { TASK_QUEUE, runTaskJob } from './tasks/task-runner';
import { TaskPauses } from './tasks/task-pauses';
import { TaskStore, isTerminal, type CreateTaskInput } from './tasks/task-store';
import { recoverInterruptedToolCalls } from './tools/tool-call-journal';
import { systemClock, type Clock } from './util/clock';
import type { CommandType } from '@pushpals/protocol';

export type { SessionStore } from './ports';

export interface Services extends TaskCommands {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The event log: `events.append({ type, payload, sessionId?, taskId? })` stores, then broadcasts. */
  readonly events: EventLog;
  readonly queue: JobQueue;
  readonly worker: Worker;
  readonly approvals: ApprovalService;
  readonly tasks: TaskStore;
  /** Tells running agents that their task was paused or resumed (tasks/task-pauses.ts). */
  readonly pauses: TaskPauses;
  readonly sessions: SessionStore;
  readonly agents: AgentRegistry;
  readonly commands: CommandRegistry;
  readonly chat: ChatService;
  /** Signs and publishes the audit trail's head (log, /api/status, `<dataDir>/audit-head.json`). */
  readonly auditHead: AuditHeadPublisher;
  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE); its events are broadcast after commit. */
  tx<T>(fn: () => T): T;
  /** Registers the handler of a job queue (this process's worker claims that queue's jobs). */
  registerJobHandler(queue: string, handler: JobHandler): void;
  /** Adds a task agent (tried in registration order; `first` puts it in front). */
  registerAgent(agent: TaskAgent, opts?: { first?: boolean }): void;
  /** Adds or replaces the handler of a protocol command. */
  registerCommandHandler<K extends CommandType>(type: K, handler: CommandHandler<K>): void;
  /** Sets the check every new task passes first: it throws a PushPalsError, or returns the input completed (the workbench resolves the repository). */
  setTaskAdmission(admit: (input: CreateTaskInput) => CreateTaskInput): void;
  /** Connected WebSocket clients (set by the app). */
  clientCount(): number;
  /** Adds a section to `/api/status` (e.g. the workbench: sandboxes, disk limit, working copies). */
  registerStatus(name: string, section: () => unknown): void;
  /** The registered status sections, evaluated now. */
  statusSections(): Record<string, unknown>;
}

export interface ServicesOptions {
  clock?: Clock;
  logger: Logger;
  /** An already-open DB (tests); default: openDatabase(config.dbFile). */
  db?: Db;
  workerId?: string;
}

export interface ServicesHandle {
  services: Services;
  /** Recovers interrupted work, starts the worker and the periodic sweeps. */
  start(): void;
  /** Stops the worker (releasing running jobs after `graceMs`), sweeps, and closes the DB. */
  stop(graceMs?: number): Promise<void>;
  setClientCounter(fn: () => number): void;
}

export function createServices(config: Config, opts: ServicesOptions): ServicesHandle {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const db = opts.db ?? openDatabase(config.dbFile);
  const events = new EventLog(db, clock);
  const queue = new JobQueue({ db, events, clock }, config.queue);
  const worker = new Worker(queue, { concurrency: config.queue.concurrency, pollMs: config.queue.pollMs, leaseMs: config.queue.leaseMs, ...(opts.workerId ? { workerId: opts.workerId } : {}) }, logger.child('worker'));
  // The core's own audit rows (approval decisions, tool calls a dead process left open); the workbench has its own, with the secrets it knows.
  const audit = new AuditLog(db, { clock });
  const approvals = new ApprovalService(db, events, clock, { timeoutMs: config.approvals.timeoutMs, audit });
  const tasks = new TaskStore(db, events, clock);
  // A task that failed waits for nobody: its approvals still pending (asked before a time limit, a crash
  // or a lost lease ended it) are denied, so no inbox offers them and no late approval acts on them.
  // After the event is out (the listener runs in the broadcast): the denials are their own transaction.
  events.onEvent((e) => {
    const taskId = e.taskId;
    if (e.type !== 'task_failed' || !taskId) return;
    setImmediate(() => {
      try {
        approvals.denyAllForTask(taskId, 'orchestrator', 'the task failed');
      } catch (err) {
        logger.warn('could not deny the approvals of a failed task', { taskId, error: err });
      }
    });
  });
  const pauses = new TaskPauses((taskId) => tasks.get(taskId)?.pausedAt != null);
  const agents = new AgentRegistry(noAgent);
  const commands = new CommandRegistry();
  registerBuiltinCommands(commands);
  const auditHead = new AuditHeadPublisher({ dataDir: config.dataDir, db, logger: logger.child('audit') });
  let clientCount = () => 0;
  const statusSections = new Map<string, () => unknown>();

  const tx = <T>(fn: () => T): T => {
    if (db.inTransaction) return db.transaction(fn)();
    const out = db.transaction(fn).immediate();
    events.pump();
    return out;
  };

  // last_seen_at is coarse (status lists, pruning): write it at most once a second per session,
  // not on every chat message.
  const touchedAt = new Map<string, number>();
  const sessions: SessionStore = {
    touch: (sessionId, clientName) => {
      const now = clock.now();
      if (clientName === undefined && now - (touchedAt.get(sessionId) ?? -Infinity) < 1000) return;
      if (touchedAt.size > 10_000) touchedAt.clear();
      touchedAt.set(sessionId, now);
      stmt(db, `INSERT INTO sessions (id, client_name, created_at, last_seen_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at, client_name = COALESCE(excluded.client_name, client_name)`).run(sessionId, clientName ?? null, now, now);
    },
  };

  let admit = (input: CreateTaskInput): CreateTaskInput => input;
  const services: Services = {
    config,
    db,
    clock,
    logger,
    events,
    queue,
    worker,
    approvals,
    tasks,
    pauses,
    sessions,
    agents,
    commands,
    chat: new ChatService(() => services),
    auditHead,
    tx,
    registerJobHandler: (q, h) => worker.register(q, h),
    registerAgent: (a, o) => agents.register(a, o),
    registerCommandHandler: (t, h) => commands.register(t, h),
    setTaskAdmission: (fn) => {
      admit = fn;
    },
    createTask: (input) =>
      tx(() => {
        const task = tasks.create(admit(input));
        queue.enqueue({ queue: TASK_QUEUE, payload: { taskId: task.id }, taskId: task.id, sessionId: task.sessionId, key: `task.run:${task.id}` });
        return task;
      }),
    cancelTask: (taskId, by, reason) => {
      const { task, changed } = tx(() => {
        const r = tasks.cancel(taskId, by, reason);
        if (r.changed) queue.cancelTask(taskId);
        return r;
      });
      if (changed) {
        approvals.denyAllForTask(taskId, 'orchestrator', 'task cancelled');
        for (const job of db.prepare(`SELECT id FROM jobs WHERE task_id = ?`).pluck().all(taskId) as string[]) worker.abort(job, 'cancelled');
        // A plan's tickets (subtasks) stop with it: their jobs and sandboxes at once.
        for (const child of tasks.children(taskId)) if (!isTerminal(child.state)) services.cancelTask(child.id, by, 'its parent task was cancelled');
      }
      return task;
    },
    setTaskPaused: (taskId, paused, by) => {
      const { task, changed } = tasks.setPaused(taskId, paused, by);
      if (changed) pauses.notify(taskId, paused);
      return task;
    },
    clientCount: () => clientCount(),
    registerStatus: (name, section) => void statusSections.set(name, section),
    statusSections: () => Object.fromEntries([...statusSections].map(([k, f]) => [k, f()])),
  };

  worker.register(TASK_QUEUE, (job, jctx) => runTaskJob(services, job, jctx));

  // Closing tool calls a dead process left open writes audit rows (tools/tool-call-journal.ts).
  const recoverToolCalls = (): number => recoverInterruptedToolCalls({ db, events, clock, logger, audit });

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => void) => {
    const t = setInterval(() => {
      try {
        fn();
      } catch (e) {
        logger.error('periodic sweep failed', { error: e });
      }
    }, ms);
    t.unref();
    timers.push(t);
  };

  return {
    services,
    setClientCounter: (fn) => {
      clientCount = fn;
    },
    start: () => {
      const dead = queue.recoverDeadLocalWorkers();
      const expired = queue.recoverExpired();
      // After the jobs: a cut-off tool call's result can then say whether its task runs again.
      const cut = recoverToolCalls();
      const abandoned = tasks.failAbandoned(TASK_QUEUE);
      if (dead + expired + cut + abandoned) logger.info('recovered interrupted work', { deadWorker: dead, leaseExpired: expired, toolCallsInterrupted: cut, tasksFailed: abandoned });
      approvals.expireDue();
      every(config.queue.sweepMs, () => {
        queue.recoverExpired();
        recoverToolCalls();
        tasks.failAbandoned(TASK_QUEUE);
      });
      every(config.approvals.sweepMs, () => approvals.expireDue());
      every(config.tailPollMs, () => events.pump());
      worker.start();
      auditHead.start();
    },
    stop: async (graceMs = 5000) => {
      for (const t of timers) clearInterval(t);
      await worker.stop(graceMs);
      await auditHead.stop();
      approvals.close();
      events.flush();
      events.pump();
      if (!opts.db) db.close();
    },
  };
}
