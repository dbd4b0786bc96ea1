/**
 * The event log: every event is validated, stored (getting its `seq`), and only then broadcast.
 *
 * Ordering guarantee for listeners: events are delivered in strictly increasing `seq` with no gap.
 * SQLite serialises writers, so when a row with seq S is committed every row below S is committed
 * too; if a listener would see S after S-k, the missing rows (written by another process, or inside
 * a transaction whose broadcast was deferred) are read back from the DB and delivered first.
 */
import {
  PROTOCOL_VERSION,
  newId,
  validateServerMessage,
  type EventMessage,
  type EventPayload,
  type EventType,
} from '@pushpals/protocol';
import type Database from 'better-sqlite3';
import { PushPalsError } from '../errors';
import type { Db } from '../store/db';
import type { Clock } from '../util/clock';

/** Session id used for events that belong to no client session (jobs without a task, system logs). */
export const SYSTEM_SESSION = 'orchestrator';

/** What a producer supplies; the log fills in id, ts, protocolVersion and seq. */
export type EventInput<K extends EventType = EventType> = {
  [T in K]: {
    type: T;
    payload: EventPayload<T>;
    /** The envelope id, when announced before the event is stored (a streamed reply's drafts name it); default: a new id. */
    id?: string;
    sessionId?: string;
    /** Defaults to payload.taskId when the payload has one. Used for filtering. */
    taskId?: string;
    from?: string;
    to?: string;
    correlationId?: string;
    parentId?: string;
    turnId?: string;
  };
}[K];

/** EventInput without the type/payload pairing, for the log's internals. */
interface LooseEventInput {
  type: EventType;
  payload: unknown;
  id?: string;
  sessionId?: string;
  taskId?: string;
  from?: string;
  to?: string;
  correlationId?: string;
  parentId?: string;
  turnId?: string;
}

/** A stored event as listeners see it: routing columns plus the ready-to-send frame. */
export interface StoredEvent {
  seq: number;
  type: string;
  sessionId: string;
  taskId: string | null;
  /** The full JSON envelope including seq, serialised once for every client. */
  frame: string;
  /** The WebSocket frame bytes, encoded once by the first connection that sends it. */
  encoded?: Buffer;
  /** This event as older minors see it (ws/downgrade.ts), built once per minor and shared by their clients; null: not sent to that minor. */
  byMinor?: Map<number, StoredEvent | null>;
}

export interface EventFilter {
  sessionId?: string;
  taskId?: string;
}

export type EventListener = (e: StoredEvent) => void;

interface Row {
  seq: number;
  type: string;
  session_id: string;
  task_id: string | null;
  json: string;
}

const toFrame = (seq: number, json: string): string => `{"seq":${seq},${json.slice(1)}`;
const rowToStored = (r: Row): StoredEvent => ({ seq: r.seq, type: r.type, sessionId: r.session_id, taskId: r.task_id, frame: toFrame(r.seq, r.json) });

export function matchesFilter(e: { sessionId: string; taskId: string | null }, f: EventFilter | undefined): boolean {
  if (!f) return true;
  if (f.sessionId !== undefined && e.sessionId !== f.sessionId) return false;
  if (f.taskId !== undefined && e.taskId !== f.taskId) return false;
  return true;
}

export interface EventLogOptions {
  /** Validate every event against the protocol before storing (catches producer bugs early). */
  validate?: boolean;
  /**
   * Group commit (default on): appends made outside any transaction during one turn of the event
   * loop share ONE transaction, committed in that turn's check phase (setImmediate) or by
   * `flush()`, then broadcast. So every frame read from every socket in one poll phase — many
   * clients' commands — costs one commit and, per subscriber, one socket write. A commit per
   * event costs ~50-100 µs on a VM disk; a shared one, a few µs per event. Whoever acknowledges a
   * write to a client awaits `committed()` first (the command dispatcher does), so nothing is
   * acked before it is committed.
   */
  groupCommit?: boolean;
}

export class EventLog {
  private readonly listeners = new Set<EventListener>();
  private lastBroadcast: number;
  private pumpScheduled = false;
  private readonly groupCommit: boolean;
  /** True while a group-commit transaction opened by this log is open. */
  private batchOpen = false;
  /** What this batch appended, broadcast from memory once it commits (see deliverBatch). */
  private batchEvents: StoredEvent[] = [];
  /** Settles when the open group-commit transaction commits (or fails to). */
  private batchDone: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  private readonly insert: Database.Statement;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectAfterSession: Database.Statement;
  private readonly selectAfterTask: Database.Statement;
  private readonly selectAfterBoth: Database.Statement;
  private readonly selectHead: Database.Statement;
  private readonly validate: boolean;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    opts: EventLogOptions = {},
  ) {
    this.validate = opts.validate ?? true;
    this.groupCommit = opts.groupCommit ?? true;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.insert = db.prepare('INSERT INTO events (id, type, session_id, task_id, ts, json) VALUES (?, ?, ?, ?, ?, ?)');
    const cols = 'SELECT seq, type, session_id, task_id, json FROM events';
    this.selectAfter = db.prepare(`${cols} WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.selectAfterSession = db.prepare(`${cols} WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.selectAfterTask = db.prepare(`${cols} WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.selectAfterBoth = db.prepare(`${cols} WHERE session_id = ? AND task_id = ? AND seq > ? ORDER BY seq LIMIT ?`);
    this.selectHead = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck();
    // Start broadcasting after what is already stored: those are served by replay.
    this.lastBroadcast = this.head();
  }

  /** The highest stored seq (0 when empty). */
  head(): number {
    return this.selectHead.get() as number;
  }

  /** Highest seq handed to listeners. */
  broadcastHead(): number {
    return this.lastBroadcast;
  }

  /**
   * Stores one event. It is broadcast once committed: with group commit, at the end of this turn
   * of the event loop (or the caller's `flush()`); inside a caller's transaction, after that
   * transaction commits (see `pump`); with group commit off and no transaction, before this returns.
   */
  append<K extends EventType>(input: EventInput<K>): EventMessage<K> {
    const loose = input as LooseEventInput;
    const { msg, json } = this.build(loose);
    const taskId = this.taskIdOf(loose);
    if (this.groupCommit && !this.db.inTransaction) this.openBatch();
    const seq = Number(this.insert.run(msg.id, msg.type, msg.sessionId, taskId, msg.ts, json).lastInsertRowid);
    const stored: StoredEvent = { seq, type: msg.type, sessionId: msg.sessionId, taskId, frame: toFrame(seq, json) };
    if (this.batchOpen) this.batchEvents.push(stored);
    else if (this.db.inTransaction) this.schedulePump();
    else this.deliver(stored);
    return { ...msg, seq } as unknown as EventMessage<K>;
  }

  /** Stores a burst of events in ONE transaction (one commit), then broadcasts them in order. */
  appendMany(inputs: readonly EventInput[]): EventMessage[] {
    const built = (inputs as readonly LooseEventInput[]).map((i) => ({ ...this.build(i), taskId: this.taskIdOf(i) }));
    const stored: StoredEvent[] = [];
    const out: EventMessage[] = [];
    const run = this.db.transaction(() => {
      for (const b of built) {
        const seq = Number(this.insert.run(b.msg.id, b.msg.type, b.msg.sessionId, b.taskId, b.msg.ts, b.json).lastInsertRowid);
        stored.push({ seq, type: b.msg.type, sessionId: b.msg.sessionId, taskId: b.taskId, frame: toFrame(seq, b.json) });
        out.push({ ...b.msg, seq } as unknown as EventMessage);
      }
    });
    if (this.db.inTransaction) {
      run(); // nested: a savepoint; the outer commit triggers the pump
      if (this.batchOpen) this.batchEvents.push(...stored);
      else this.schedulePump();
    } else {
      run.immediate();
      for (const s of stored) this.deliver(s);
    }
    return out;
  }

  /**
   * Commits the open group-commit transaction (if any) and broadcasts what it held. Rows a
   * caller's savepoint rolled back inside it are simply not there: delivery reads the DB.
   */
  flush(): void {
    if (!this.batchOpen) return;
    this.batchOpen = false;
    const done = this.batchDone;
    this.batchDone = undefined;
    try {
      if (this.db.open && this.db.inTransaction) this.commit.run();
    } catch (e) {
      done?.reject(e);
      throw e;
    }
    const events = this.batchEvents;
    this.batchEvents = [];
    if (this.db.open) this.deliverBatch(events);
    done?.resolve();
  }

  /**
   * Resolves once everything appended so far is committed: at once when no group-commit
   * transaction is open; else when it commits (rejects if the commit fails).
   */
  committed(): Promise<void> {
    if (!this.batchOpen) return Promise.resolve();
    if (!this.batchDone) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => undefined); // a failed commit is reported to whoever awaits it, never unhandled
      this.batchDone = { promise, resolve, reject };
    }
    return this.batchDone.promise;
  }

  private openBatch(): void {
    this.begin.run();
    this.batchOpen = true;
    setImmediate(() => {
      try {
        this.flush();
      } catch {
        // reported through committed(); the rows of a failed commit were never acked
      }
    });
  }

  /** Reads stored events after `afterSeq` (replay), oldest first. */
  readAfter(afterSeq: number, filter: EventFilter | undefined, limit: number): StoredEvent[] {
    return (this.selectFor(filter).all(...this.argsFor(afterSeq, filter, limit)) as Row[]).map(rowToStored);
  }

  /**
   * One replay page: events after `afterSeq`, oldest first, stopping after `maxEvents` or once the
   * page holds `maxBytes` of JSON (always at least one event), so a page of large events stays
   * small. `more` is false when the page reached the end of the log. Undefined while a write
   * transaction is open on this connection: its rows are visible here but not committed (and may
   * still roll back), so the caller tries again on a later turn.
   */
  readPage(afterSeq: number, filter: EventFilter | undefined, maxEvents: number, maxBytes: number): { events: StoredEvent[]; more: boolean } | undefined {
    if (this.db.inTransaction) return undefined;
    const events: StoredEvent[] = [];
    let bytes = 0;
    // Rows are pulled one at a time and the iterator is closed as soon as the budget is spent.
    const it = this.selectFor(filter).iterate(...this.argsFor(afterSeq, filter, maxEvents + 1)) as IterableIterator<Row>;
    try {
      for (const r of it) {
        if (events.length === maxEvents || (events.length > 0 && bytes >= maxBytes)) return { events, more: true };
        events.push(rowToStored(r));
        bytes += r.json.length;
      }
    } finally {
      it.return?.();
    }
    return { events, more: false };
  }

  private selectFor(filter: EventFilter | undefined): Database.Statement {
    if (filter?.sessionId !== undefined && filter.taskId !== undefined) return this.selectAfterBoth;
    if (filter?.sessionId !== undefined) return this.selectAfterSession;
    if (filter?.taskId !== undefined) return this.selectAfterTask;
    return this.selectAfter;
  }

  private argsFor(afterSeq: number, filter: EventFilter | undefined, limit: number): unknown[] {
    const keys = [filter?.sessionId, filter?.taskId].filter((k): k is string => k !== undefined);
    return [...keys, afterSeq, limit];
  }

  /** Subscribes to live events (in seq order, no gaps). Returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Delivers every committed event not yet broadcast: rows written by other processes on the same
   * DB file, and events appended inside a transaction (delivered once it committed; rolled-back
   * rows are simply not there). Called after transactions, on a timer, and on gaps.
   */
  pump(): void {
    if (!this.db.open) return; // closed (shutdown) before a deferred pump ran
    if (this.db.inTransaction) {
      // Someone holds a transaction open across an await: try again on a later turn.
      setTimeout(() => this.pump(), 1);
      return;
    }
    for (;;) {
      const rows = this.readAfter(this.lastBroadcast, undefined, 1000);
      for (const r of rows) this.emit(r);
      if (rows.length < 1000) return;
    }
  }

  /**
   * Broadcasts a committed batch from memory, without reading it back, when it is exactly the
   * rows after the last broadcast up to the head. Anything else — rows other processes committed
   * meanwhile, or rows a caller's savepoint rolled back (a rolled-back seq is reused or missing) —
   * falls back to reading the DB.
   */
  private deliverBatch(events: StoredEvent[]): void {
    const contiguous = events.every((e, i) => e.seq === this.lastBroadcast + 1 + i);
    if (!contiguous || (events.length > 0 && events[events.length - 1]!.seq !== this.head())) return this.pump();
    for (const e of events) this.emit(e);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private deliver(e: StoredEvent): void {
    if (e.seq <= this.lastBroadcast) return;
    if (e.seq > this.lastBroadcast + 1) this.pumpUntil(e.seq);
    if (e.seq > this.lastBroadcast) this.emit(e);
  }

  /** Fills a gap below `seq` from the DB. */
  private pumpUntil(seq: number): void {
    while (this.lastBroadcast < seq - 1) {
      const rows = this.readAfter(this.lastBroadcast, undefined, Math.min(1000, seq - 1 - this.lastBroadcast));
      if (rows.length === 0) return;
      for (const r of rows) if (r.seq < seq) this.emit(r);
    }
  }

  private emit(e: StoredEvent): void {
    this.lastBroadcast = e.seq;
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A failing listener must not stop the others; connections handle their own errors.
      }
    }
  }

  private taskIdOf(input: LooseEventInput): string | null {
    if (input.taskId !== undefined) return input.taskId;
    const p = input.payload as { taskId?: unknown };
    return typeof p.taskId === 'string' ? p.taskId : null;
  }

  private build(input: LooseEventInput): { msg: Omit<EventMessage, 'seq'>; json: string } {
    const msg: Record<string, unknown> = {
      protocolVersion: PROTOCOL_VERSION,
      id: input.id ?? newId('e'),
      ts: new Date(this.clock.now()).toISOString(),
      sessionId: input.sessionId ?? SYSTEM_SESSION,
      type: input.type,
      from: input.from ?? 'orchestrator',
    };
    if (input.to !== undefined) msg.to = input.to;
    if (input.correlationId !== undefined) msg.correlationId = input.correlationId;
    if (input.parentId !== undefined) msg.parentId = input.parentId;
    if (input.turnId !== undefined) msg.turnId = input.turnId;
    msg.payload = input.payload;
    if (this.validate) {
      const r = validateServerMessage({ ...msg, seq: 1 });
      if (!r.ok) throw new PushPalsError('internal', `refusing to store an invalid ${input.type} event: ${r.error.message}`, { path: r.error.path });
    }
    return { msg: msg as unknown as Omit<EventMessage, 'seq'>, json: JSON.stringify(msg) };
  }
}
