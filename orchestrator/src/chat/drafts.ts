/**
 * Chat replies being written: the live pieces (`assistant_delta`, protocol 1.1) that preview an
 * `assistant_message` before it is stored. They are never stored — a reply costs one event in the log,
 * however many pieces it streamed. Subscribed connections get each piece as it is sent; a subscription
 * that goes live in the middle of a reply gets the text so far as one piece at offset 0 (`snapshot`).
 * Pieces are coalesced: a model streaming token by token costs one frame per `minIntervalMs`, or sooner
 * once `minChars` wait, not one per token.
 */
import { MAX_TEXT_LENGTH, PROTOCOL_VERSION, newId, validateServerMessage } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { matchesFilter, type EventFilter } from '../events/event-log';

/** One piece as every connection sends it: the JSON frame, encoded once by the first sender. */
export interface DraftFrame {
  sessionId: string;
  messageId: string;
  frame: string;
  encoded?: Buffer;
  /** This piece as older protocol minors see it (ws/downgrade.ts). */
  byMinor?: Map<number, DraftFrame | null>;
}

export type DraftListener = (f: DraftFrame) => void;

export interface DraftOptions {
  /** A piece waits until this long after the previous one ... */
  minIntervalMs: number;
  /** ... unless this many characters wait. */
  minChars: number;
}

export const DEFAULT_DRAFT_OPTIONS: DraftOptions = { minIntervalMs: 30, minChars: 64 };

export interface DraftStart {
  sessionId: string;
  turnId?: string;
  from?: string;
}

export class DraftHub {
  private readonly drafts = new Set<Draft>();
  private readonly listeners = new Set<DraftListener>();

  constructor(readonly opts: DraftOptions = DEFAULT_DRAFT_OPTIONS) {}

  /** A new draft; its `messageId` is the id the stored `assistant_message` must carry. */
  start(input: DraftStart): Draft {
    const d = new Draft(input, this.opts, (f) => this.emit(f), () => this.drafts.delete(d));
    this.drafts.add(d);
    return d;
  }

  /** Live pieces of every session (a connection filters by its subscription). Returns the unsubscribe. */
  onDelta(l: DraftListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The open drafts matching `filter` with what they sent so far, each as one piece at offset 0. */
  snapshot(filter: EventFilter): DraftFrame[] {
    const out: DraftFrame[] = [];
    for (const d of this.drafts) {
      if (d.sentText && matchesFilter({ sessionId: d.sessionId, taskId: null }, filter)) out.push(d.frameAt(0, d.sentText));
    }
    return out;
  }

  get openCount(): number {
    return this.drafts.size;
  }

  private emit(f: DraftFrame): void {
    for (const l of this.listeners) {
      try {
        l(f);
      } catch {
        // A failing connection must not stop the others; connections handle their own errors.
      }
    }
  }
}

export class Draft {
  readonly messageId = newId('e');
  readonly sessionId: string;
  private sent = '';
  private pending = '';
  private lastSentAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly start: DraftStart,
    private readonly opts: DraftOptions,
    private readonly send: (f: DraftFrame) => void,
    private readonly onClose: () => void,
  ) {
    this.sessionId = start.sessionId;
  }

  /** What connections have been sent (a snapshot's text). */
  get sentText(): string {
    return this.sent;
  }

  /** More text of the reply; sent at once, or within `minIntervalMs` together with what follows. */
  push(text: string): void {
    if (this.closed || !text) return;
    // The stored reply is clipped to the text limit: a draft never grows past it either.
    const room = MAX_TEXT_LENGTH - this.sent.length - this.pending.length;
    if (room <= 0) return;
    this.pending += text.slice(0, room);
    const wait = this.opts.minIntervalMs - (performance.now() - this.lastSentAt);
    if (this.pending.length >= this.opts.minChars || wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait).unref();
  }

  /** Sends what waits, now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed || !this.pending) return;
    const f = this.frameAt(this.sent.length, this.pending);
    this.sent += this.pending;
    this.pending = '';
    this.lastSentAt = performance.now();
    this.send(f);
  }

  /**
   * No more pieces: call it right before the stored reply is appended (or when the model failed).
   * What still waits is dropped — the stored message replaces the draft anyway.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onClose();
  }

  /** One `assistant_delta` frame of this draft, validated like every message the server sends. */
  frameAt(offset: number, text: string): DraftFrame {
    const msg = {
      protocolVersion: PROTOCOL_VERSION,
      id: newId('d'),
      ts: new Date().toISOString(),
      sessionId: this.sessionId,
      type: 'assistant_delta',
      from: this.start.from ?? 'orchestrator',
      ...(this.start.turnId !== undefined ? { turnId: this.start.turnId } : {}),
      payload: { messageId: this.messageId, offset, text },
    };
    const r = validateServerMessage(msg);
    if (!r.ok) throw new PushPalsError('internal', `refusing to send an invalid assistant_delta: ${r.error.message}`, { path: r.error.path });
    return { sessionId: this.sessionId, messageId: this.messageId, frame: JSON.stringify(msg) };
  }
}
