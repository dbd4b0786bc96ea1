/**
 * One WebSocket client: commands in, responses and events out.
 *
 * Subscription without gap or duplicate: the connection is always registered as a live listener,
 * but while it replays it ignores live events — they are in the DB and the replay reads them. The
 * replay reads pages of `seq > cursor` until a page comes back short (the head), and switches to
 * live in the same synchronous step: no event can be committed-and-broadcast in between (appends
 * in this process are synchronous; others arrive through the log's ordered pump). Live events at
 * or below the cursor are skipped, so nothing is sent twice.
 *
 * Memory: a client that does not read cannot grow the server's memory without bound. Live sends
 * check the socket's buffered amount and drop the client past `maxBufferedBytes` (close 4008);
 * the replay waits for the socket to drain between pages instead of piling frames up.
 */
import type { WebSocket } from 'ws';
import { dispatchFrame } from '../commands/dispatch';
import { matchesFilter, type EventFilter, type StoredEvent } from '../events/event-log';
import { encodeTextFrame, FrameWriter } from './frame-writer';
import type { Services } from '../services';

export const CLOSE_TOO_SLOW = 4008;
const REPLAY_PAGE = 1000;

interface Subscription {
  filter: EventFilter;
  cursor: number;
  live: boolean;
  /** Bumped on every (re)subscribe: a stale replay loop notices and stops. */
  generation: number;
}

export interface ConnectionOptions {
  maxBufferedBytes: number;
}

export class ClientConnection {
  private sub: Subscription | undefined;
  private generation = 0;
  private closed = false;
  private readonly writer: FrameWriter;
  private readonly unlisten: () => void;
  /** Commands are handled one at a time, in order, so responses keep the client's order. */
  private chain: Promise<void> = Promise.resolve();
  alive = true;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    private readonly services: Services,
    private readonly tokenFingerprint: string,
    private readonly opts: ConnectionOptions,
  ) {
    this.writer = new FrameWriter(ws);
    this.unlisten = services.events.onEvent((e) => this.onLive(e));
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? '\u0000binary' : data.toString();
      this.chain = this.chain.then(() => this.handle(raw));
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
  }

  get bufferedAmount(): number {
    return this.writer.bufferedAmount;
  }

  /** Sends a frame (JSON text) unless the client is too far behind, in which case it is dropped. */
  send(frame: string): boolean {
    return this.sendEncoded(encodeTextFrame(Buffer.from(frame)));
  }

  /** Sends a stored event; its wire bytes are encoded once and shared by every client. */
  sendEvent(e: StoredEvent): boolean {
    return this.sendEncoded((e.encoded ??= encodeTextFrame(Buffer.from(e.frame))));
  }

  private sendEncoded(bytes: Buffer): boolean {
    if (this.closed) return false;
    if (this.writer.bufferedAmount > this.opts.maxBufferedBytes) {
      this.drop();
      return false;
    }
    this.writer.write(bytes);
    return true;
  }

  subscribe(afterSeq: number, filter: EventFilter): void {
    const generation = ++this.generation;
    this.sub = { filter, cursor: afterSeq, live: false, generation };
    void this.replay(this.sub);
  }

  unsubscribe(): void {
    this.generation++;
    this.sub = undefined;
  }

  /** Keep-alive: returns false (and terminates) if the previous ping got no pong. */
  ping(): boolean {
    if (!this.alive) {
      this.ws.terminate();
      return false;
    }
    this.alive = false;
    this.ws.ping();
    return true;
  }

  close(code: number, reason: string): void {
    this.writer.flush();
    this.ws.close(code, reason);
    this.dispose();
  }

  private async handle(raw: string): Promise<void> {
    if (this.closed) return;
    const d = await dispatchFrame(raw, {
      services: this.services,
      clientId: this.id,
      tokenFingerprint: this.tokenFingerprint,
      transport: 'ws',
      connection: this,
    });
    if (!this.send(JSON.stringify(d.response))) return;
    d.after();
  }

  private onLive(e: StoredEvent): void {
    const s = this.sub;
    if (!s || !s.live || e.seq <= s.cursor) return;
    s.cursor = e.seq;
    if (matchesFilter(e, s.filter)) this.sendEvent(e);
  }

  private async replay(s: Subscription): Promise<void> {
    const { events } = this.services;
    for (;;) {
      if (this.closed || s.generation !== this.generation) return;
      const page = events.readAfter(s.cursor, s.filter, REPLAY_PAGE);
      for (const e of page) {
        if (!this.sendEvent(e)) return;
        s.cursor = e.seq;
      }
      if (page.length < REPLAY_PAGE) {
        // Caught up with the head: from now on, live events (synchronously, no await before this).
        s.cursor = Math.max(s.cursor, events.broadcastHead());
        s.live = true;
        return;
      }
      await this.drain();
    }
  }

  /** Waits until the socket's buffer is below half the cap (or a turn of the event loop). */
  private async drain(): Promise<void> {
    const low = this.opts.maxBufferedBytes / 2;
    while (!this.closed && this.writer.bufferedAmount > low) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setImmediate(r));
  }

  private drop(): void {
    if (this.closed) return;
    this.services.logger.warn('dropping a client that does not read its socket', { client: this.id, buffered: this.writer.bufferedAmount });
    this.ws.close(CLOSE_TOO_SLOW, 'too slow: reconnect and replay from your last seq');
    // The close frame queues behind unread data; do not wait for a peer that is not reading.
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.dispose();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.sub = undefined;
    this.unlisten();
  }
}
