/**
 * One WebSocket client: commands in (in order, rate limited, taking turns with other clients:
 * `inbound-queue.ts`), responses and events out (the subscription: `event-stream.ts`).
 *
 * Memory: a client that does not read cannot grow the server's memory without bound. Events wait
 * for the socket to drain (at most ~`streamHighWater` unsent per client, whatever the history
 * size); any frame finding more than `maxBufferedBytes` unsent drops the client, and so does a
 * socket whose unsent data has not shrunk for `sendStallTimeoutMs` (close 4008 in both cases: it
 * reconnects and replays from its last seq).
 */
import { CloseCode } from '@pushpals/protocol';
import type { WebSocket } from 'ws';
import { dispatchFrame, refuseFrame } from '../commands/dispatch';
import { rateLimitedError, TokenBucket, type RateLimitConfig } from '../commands/rate-limit';
import type { DraftFrame } from '../chat/drafts';
import type { EventFilter, StoredEvent } from '../events/event-log';
import type { Services } from '../services';
import { EventStream, DEFAULT_STREAM_LIMITS, type EventSink, type StreamLimits, type SubscribeOptions } from './event-stream';
import { encodeTextFrame, FrameWriter, type DrainResult } from './frame-writer';
import { InboundQueue } from './inbound-queue';

export interface ConnectionOptions {
  maxBufferedBytes: number;
  sendStallTimeoutMs: number;
  rateLimit: RateLimitConfig;
  stream?: Partial<StreamLimits>;
}

export class ClientConnection implements EventSink {
  private _closed = false;
  private readonly writer: FrameWriter;
  private readonly stream: EventStream;
  private readonly inbound: InboundQueue;
  private readonly bucket: TokenBucket;
  private readonly unlisten: () => void;
  private readonly unlistenDrafts: () => void;
  alive = true;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    private readonly services: Services,
    private readonly tokenFingerprint: string,
    private readonly opts: ConnectionOptions,
  ) {
    this.writer = new FrameWriter(ws);
    const highWater = Math.min(DEFAULT_STREAM_LIMITS.highWater, Math.floor(opts.maxBufferedBytes / 4));
    this.stream = new EventStream(services.events, this, { ...DEFAULT_STREAM_LIMITS, highWater, ...opts.stream }, services.chat.drafts);
    this.bucket = new TokenBucket(opts.rateLimit);
    this.inbound = new InboundQueue(ws, (raw) => this.handle(raw));
    this.unlisten = services.events.onEvent((e) => this.stream.onLive(e));
    this.unlistenDrafts = services.chat.drafts.onDelta((f) => this.stream.onDraft(f));
    ws.on('message', (data, isBinary) => this.inbound.push(isBinary ? '\u0000binary' : data.toString()));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
  }

  get closed(): boolean {
    return this._closed;
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

  /** Sends a piece of a reply being written; its bytes are encoded once and shared like an event's. */
  sendDraft(f: DraftFrame): boolean {
    return this.sendEncoded((f.encoded ??= encodeTextFrame(Buffer.from(f.frame))));
  }

  async waitForDrain(lowWater: number): Promise<DrainResult> {
    const r = await this.writer.waitForDrain(lowWater, this.opts.sendStallTimeoutMs);
    if (r === 'stalled') this.drop();
    return r;
  }

  private sendEncoded(bytes: Buffer): boolean {
    if (this._closed) return false;
    if (this.writer.bufferedAmount > this.opts.maxBufferedBytes) {
      this.drop();
      return false;
    }
    this.writer.write(bytes);
    return true;
  }

  subscribe(afterSeq: number, filter: EventFilter, opts?: SubscribeOptions): void {
    if (!this._closed) this.stream.subscribe(afterSeq, filter, opts);
  }

  unsubscribe(): void {
    this.stream.unsubscribe();
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
    if (this._closed) return;
    const wait = this.bucket.take();
    if (wait > 0) {
      this.send(JSON.stringify(refuseFrame(raw, rateLimitedError(wait, this.opts.rateLimit))));
      return;
    }
    const d = await dispatchFrame(raw, {
      services: this.services,
      clientId: this.id,
      tokenFingerprint: this.tokenFingerprint,
      transport: 'ws',
      connection: this,
    });
    if (!this.send(JSON.stringify(d.response))) return;
    if (d.response.type === 'command_error' && d.response.payload.code === 'unsupported_version') {
      // Nothing else it sends can be understood (protocol README: the documented close code).
      this.close(CloseCode.unsupportedVersion, 'unsupported protocol version');
      return;
    }
    d.after();
  }

  private drop(): void {
    if (this._closed) return;
    this.services.logger.warn('dropping a client that does not read its socket', { client: this.id, buffered: this.writer.bufferedAmount });
    this.ws.close(CloseCode.tooSlow, 'too slow: reconnect and replay from your last seq');
    // The close frame queues behind unread data; do not wait for a peer that is not reading.
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.dispose();
  }

  private dispose(): void {
    if (this._closed) return;
    this._closed = true;
    this.stream.unsubscribe();
    this.inbound.stop();
    this.unlisten();
    this.unlistenDrafts();
  }
}
