/**
 * A connection's subscription: replay `seq > cursor` from the DB, then live events, with no gap and
 * no duplicate, and with memory bounded per client whatever the size of the history.
 *
 * Two modes. CATCH-UP reads the log in small pages (by count AND by bytes) and sends event by event,
 * waiting for the socket to drain whenever more than `highWater` bytes are unsent: a replay of
 * 100 MB streams at the client's pace and holds at most one page plus `highWater` of it. LIVE sends
 * each broadcast event as it comes. The switch catch-up → live happens in the same synchronous step
 * as a read that found the end of the log (and sent that page without waiting), so no event can be
 * committed and broadcast in between; live events at or below the cursor are skipped. A live client
 * that falls more than `highWater` behind goes back to catch-up from its cursor: what it has not
 * received is read again from the DB instead of piling up in memory. A client that stops reading is
 * dropped by the sink (close 4008) once its unsent data has not shrunk for the stall timeout.
 *
 * Transient pieces of chat replies being written (`assistant_delta`, chat/drafts.ts) go to live
 * subscriptions that asked for them; on going live, a subscription first gets each open draft's text so far.
 */
import { CURRENT_MINOR } from '@pushpals/protocol';
import type { DraftFrame } from '../chat/drafts';
import { matchesFilter, type EventFilter, type EventLog, type StoredEvent } from '../events/event-log';
import { draftForMinor, eventForMinor } from './downgrade';
import type { DrainResult } from './frame-writer';

/** What the stream needs from the connection. */
export interface EventSink {
  readonly bufferedAmount: number;
  /** False if the frame was not sent (connection closed or dropped): the stream stops. */
  sendEvent(e: StoredEvent): boolean;
  /** A transient piece of a reply being written (never stored, no seq). */
  sendDraft(f: DraftFrame): boolean;
  /** Waits until at most `lowWater` bytes are unsent; drops the client itself when it stalls. */
  waitForDrain(lowWater: number): Promise<DrainResult>;
  readonly closed: boolean;
}

export interface StreamLimits {
  /** Unsent bytes above which the stream waits (catch-up) or falls back to catch-up (live). */
  highWater: number;
  /** A replay page holds at most this many events ... */
  pageEvents: number;
  /** ... and stops growing once it holds this many bytes of JSON. */
  pageBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { highWater: 1024 * 1024, pageEvents: 1000, pageBytes: 512 * 1024 };

/** Where the drafts of replies being written come from (chat/drafts.ts). */
export interface DraftSource {
  snapshot(filter: EventFilter): DraftFrame[];
}

export interface SubscribeOptions {
  /** Send transient `assistant_delta` pieces (the client announced protocol 1.1 or later). */
  drafts: boolean;
  /** The protocol minor the client announced: events are downgraded to it (ws/downgrade.ts); default the current one. */
  minor?: number;
}

interface Subscription {
  filter: EventFilter;
  drafts: boolean;
  minor: number;
  /** Highest seq this subscription has dealt with (sent, or skipped: by the filter, or unknown to its minor). */
  cursor: number;
  live: boolean;
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export class EventStream {
  private sub: Subscription | undefined;

  constructor(
    private readonly events: EventLog,
    private readonly sink: EventSink,
    private readonly limits: StreamLimits,
    private readonly drafts?: DraftSource,
  ) {}

  subscribe(afterSeq: number, filter: EventFilter, opts: SubscribeOptions = { drafts: false }): void {
    const s: Subscription = { filter, drafts: opts.drafts && this.drafts !== undefined, minor: opts.minor ?? CURRENT_MINOR, cursor: afterSeq, live: false };
    this.sub = s; // a previous subscription's loop notices it is no longer current and stops
    void this.catchUp(s);
  }

  unsubscribe(): void {
    this.sub = undefined;
  }

  /** The log's listener: called for every broadcast event, in seq order, with no gap. */
  onLive(e: StoredEvent): void {
    const s = this.sub;
    if (!s || !s.live || e.seq <= s.cursor) return;
    // Not for this client (filter, or a type its minor does not know): nothing is sent and the
    // cursor moves on; no client treats a seq it never got as a gap.
    const out = matchesFilter(e, s.filter) ? eventForMinor(e, s.minor) : undefined;
    if (!out) {
      s.cursor = e.seq;
      return;
    }
    if (this.sink.bufferedAmount > this.limits.highWater) {
      // Behind: stop holding frames in memory; read from the DB once the socket drains.
      s.live = false;
      void this.catchUp(s);
      return;
    }
    if (this.sink.sendEvent(out)) s.cursor = e.seq;
  }

  /**
   * A live piece of a reply being written. Only live subscriptions get it: one still replaying gets
   * the text so far when it goes live (see catchUp). A client too far behind goes back to catch-up,
   * like for events, so it gets a fresh snapshot instead of a gap.
   */
  onDraft(f: DraftFrame): void {
    const s = this.sub;
    if (!s || !s.live || !s.drafts || !matchesFilter({ sessionId: f.sessionId, taskId: null }, s.filter)) return;
    if (this.sink.bufferedAmount > this.limits.highWater) {
      s.live = false;
      void this.catchUp(s);
      return;
    }
    const out = draftForMinor(f, s.minor);
    if (out) this.sink.sendDraft(out);
  }

  private current(s: Subscription): boolean {
    return this.sub === s && !this.sink.closed;
  }

  private async catchUp(s: Subscription): Promise<void> {
    const { highWater, pageEvents, pageBytes } = this.limits;
    while (this.current(s)) {
      const page = this.events.readPage(s.cursor, s.filter, pageEvents, pageBytes);
      if (!page) {
        // A group commit is open (it commits in this turn's check phase, before this immediate
        // runs): read committed rows only.
        await nextTurn();
        continue;
      }
      let waited = false;
      for (const e of page.events) {
        const out = eventForMinor(e, s.minor);
        if (!out) {
          s.cursor = e.seq;
          continue;
        }
        if (this.sink.bufferedAmount > highWater) {
          waited = true;
          if ((await this.sink.waitForDrain(highWater / 2)) !== 'drained' || !this.current(s)) return;
        }
        if (!this.sink.sendEvent(out)) return;
        s.cursor = e.seq;
      }
      if (!page.more && !waited) {
        // At the head, and nothing awaited since the read: go live in this same synchronous step.
        s.cursor = Math.max(s.cursor, this.events.broadcastHead());
        s.live = true;
        // Replies still being written: their text so far, after the events (their stored message is not among them yet).
        if (s.drafts) {
          for (const f of this.drafts?.snapshot(s.filter) ?? []) {
            const out = draftForMinor(f, s.minor);
            if (out && !this.sink.sendDraft(out)) return;
          }
        }
        return;
      }
      if (!waited) await nextTurn(); // let other clients and commands run between pages
    }
  }
}
