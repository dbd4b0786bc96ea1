/**
 * The live channel to the orchestrator: one WebSocket, `hello` + `subscribe{afterSeq}`, typed
 * request/ack correlation, reconnect with exponential backoff + jitter, and replay from the last seen
 * `seq` with de-duplication (an event is delivered to listeners at most once, in seq order).
 * Transient messages (`assistant_delta`: live only, no seq) go to their own listeners, untouched by
 * the cursor; a subscription of this client's protocol version (1.1+) asks for them. Fields of a known
 * message this version does not know (a newer server's) are ignored, not a reason to drop it.
 * No vscode import: the same class is exercised by unit tests and inside the extension host.
 */
import type WebSocket from 'ws';
import {
  PROTOCOL_VERSION,
  isCompatibleVersion,
  isTransientType,
  makeCommand,
  newId,
  parseFrame,
  validateCommand,
  validateServerMessageTolerant,
  type AckMessage,
  type CommandPayload,
  type CommandResult,
  type CommandType,
  type ErrorInfo,
  type EventMessage,
  type TransientMessage,
} from '@pushpals/protocol/client';
import { wsUrl, type Endpoint } from './discovery';

// `ws` (and the node:http/https/tls/crypto modules it pulls in) is loaded on the first connect, not
// when the extension activates: activation must stay cheap, and without an orchestrator it never connects.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadWebSocket = (): typeof WebSocket => require('ws') as typeof WebSocket;

export type ConnState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed';
/** Failures that backoff cannot fix: a person must act (the notification says how). */
export type FatalKind = 'auth' | 'version' | 'config';

export interface ConnStatus {
  state: ConnState;
  detail?: string;
  fatal?: FatalKind;
  url?: string;
  serverVersion?: string;
  attempt?: number;
  /** Milliseconds until the next attempt, while reconnecting. */
  retryInMs?: number;
}

export interface Logger {
  trace(msg: string): void;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface ConnectionOptions {
  /** Called before every attempt, so a restarted server (new port, new token) is picked up. */
  resolveEndpoint: () => Promise<Endpoint | undefined>;
  clientName: string;
  clientVersion: string;
  sessionId: string;
  logger: Logger;
  minDelayMs?: number;
  maxDelayMs?: number;
  requestTimeoutMs?: number;
  heartbeatMs?: number;
  /** Where events start: the highest seq already seen (0 = replay everything). */
  afterSeq?: number;
}

export class CommandError extends Error {
  constructor(readonly info: ErrorInfo, readonly command: string) {
    super(`${command}: ${info.message} (${info.code})`);
  }
}

interface Pending {
  type: CommandType;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

type Listener<T> = (v: T) => void;

export interface ConnectionStats {
  received: number;
  delivered: number;
  duplicatesDropped: number;
  invalidFrames: number;
  /** Properties removed from server messages because this version does not know them (must-ignore). */
  unknownFieldsIgnored: number;
  connects: number;
}

export class Connection {
  private ws: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Set<Listener<EventMessage>>();
  private readonly transientListeners = new Set<Listener<TransientMessage>>();
  private readonly statusListeners = new Set<Listener<ConnStatus>>();
  private readonly resetListeners = new Set<Listener<number>>();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private attempt = 0;
  private running = false;
  private ready = false;
  private _status: ConnStatus = { state: 'idle' };
  private _lastSeq: number;
  /** The log's head at the last handshake: events up to it are a replay. */
  private replayHead = 0;
  private _sessionId: string;
  readonly stats: ConnectionStats = { received: 0, delivered: 0, duplicatesDropped: 0, invalidFrames: 0, unknownFieldsIgnored: 0, connects: 0 };

  constructor(private readonly opts: ConnectionOptions) {
    this._lastSeq = opts.afterSeq ?? 0;
    this._sessionId = opts.sessionId;
  }

  get status(): ConnStatus {
    return this._status;
  }
  get lastSeq(): number {
    return this._lastSeq;
  }
  /**
   * True while the events of the log's head at the last handshake are still arriving: what arrives now
   * already happened (a window opening replays approvals that were decided long ago).
   */
  get isReplaying(): boolean {
    return this._lastSeq < this.replayHead;
  }
  get sessionId(): string {
    return this._sessionId;
  }
  get isReady(): boolean {
    return this.ready;
  }

  onEvent(l: Listener<EventMessage>): { dispose(): void } {
    this.eventListeners.add(l);
    return { dispose: () => this.eventListeners.delete(l) };
  }
  /** Transient messages (a chat reply being written), as they arrive; none is replayed. */
  onTransient(l: Listener<TransientMessage>): { dispose(): void } {
    this.transientListeners.add(l);
    return { dispose: () => this.transientListeners.delete(l) };
  }
  onStatus(l: Listener<ConnStatus>): { dispose(): void } {
    this.statusListeners.add(l);
    return { dispose: () => this.statusListeners.delete(l) };
  }
  /** The server's event log is behind our cursor (a new data dir): listeners drop their state. */
  onReset(l: Listener<number>): { dispose(): void } {
    this.resetListeners.add(l);
    return { dispose: () => this.resetListeners.delete(l) };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt = 0;
    void this.connect();
  }

  /** Closes the socket and stops reconnecting. Pending requests are rejected. */
  stop(reason = 'stopped'): void {
    this.running = false;
    this.clearTimers();
    this.teardown(reason);
    this.setStatus({ state: 'idle', detail: reason });
  }

  /** Forget the cursor: the next subscribe replays from 0 (a different server or data dir). */
  resetCursor(): void {
    this._lastSeq = 0;
  }

  /** Drops the current socket (if any) and connects again at once, e.g. after the token changed. */
  restart(): void {
    this.stop('restarting');
    this.start();
  }

  dispose(): void {
    this.stop('disposed');
    this.eventListeners.clear();
    this.statusListeners.clear();
    this.resetListeners.clear();
  }

  /** Sends a command and resolves with its typed ack result; rejects with CommandError on command_error. */
  request<K extends CommandType>(type: K, payload: CommandPayload<K>, timeoutMs = this.opts.requestTimeoutMs ?? 15000): Promise<CommandResult<K>> {
    if (!this.ready && type !== 'hello' && type !== 'subscribe') {
      return Promise.reject(new Error(`not connected to the orchestrator (${this._status.detail ?? this._status.state})`));
    }
    return this.send(type, payload, timeoutMs);
  }

  private send<K extends CommandType>(type: K, payload: CommandPayload<K>, timeoutMs: number): Promise<CommandResult<K>> {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return Promise.reject(new Error('not connected to the orchestrator'));
    const id = newId('c');
    const msg = makeCommand(type, payload, { sessionId: this._sessionId, from: 'user', id }); // commands are the person's decisions; the client is named in hello
    const valid = validateCommand(msg);
    if (!valid.ok) return Promise.reject(new CommandError(valid.error, type));
    return new Promise<CommandResult<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type}: no answer from the orchestrator within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { type, resolve: resolve as (r: unknown) => void, reject, timer });
      ws.send(JSON.stringify(msg), (err) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err);
      });
    });
  }

  private setStatus(s: ConnStatus): void {
    this._status = s;
    for (const l of [...this.statusListeners]) l(s);
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.retryTimer = undefined;
    this.heartbeat = undefined;
  }

  private teardown(reason: string): void {
    this.ready = false;
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      try {
        ws.terminate();
      } catch {
        // already closed
      }
    }
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`${p.type}: connection closed (${reason})`));
      this.pending.delete(id);
    }
  }

  private fatal(kind: FatalKind, detail: string): void {
    this.opts.logger.error(`connection failed (${kind}): ${detail}`);
    this.running = false;
    this.clearTimers();
    this.teardown(detail);
    this.setStatus({ state: 'failed', fatal: kind, detail });
  }

  private scheduleRetry(detail: string): void {
    this.clearTimers();
    if (!this.running) return;
    const min = this.opts.minDelayMs ?? 250;
    const max = this.opts.maxDelayMs ?? 10000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    const delay = Math.round(base / 2 + Math.random() * (base / 2)); // "equal jitter"
    this.attempt++;
    this.opts.logger.info(`reconnecting in ${delay} ms (attempt ${this.attempt}): ${detail}`);
    this.setStatus({ state: 'reconnecting', detail, attempt: this.attempt, retryInMs: delay });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private async connect(): Promise<void> {
    if (!this.running) return;
    this.teardown('reconnecting');
    let endpoint: Endpoint | undefined;
    try {
      endpoint = await this.opts.resolveEndpoint();
    } catch (e) {
      return this.fatal('config', (e as Error).message);
    }
    if (!this.running) return;
    if (!endpoint) return this.scheduleRetry('no orchestrator found (is `pushpals serve` running?)');
    let url: string;
    try {
      url = wsUrl(endpoint.url);
    } catch (e) {
      return this.fatal('config', `bad server URL ${endpoint.url}: ${(e as Error).message}`);
    }
    this.setStatus({ state: this.stats.connects ? 'reconnecting' : 'connecting', url: endpoint.url, attempt: this.attempt });
    this.opts.logger.debug(`connecting to ${url} (token from ${endpoint.source})`);
    const ws = new (loadWebSocket())(url, { headers: { Authorization: `Bearer ${endpoint.token}` }, handshakeTimeout: 10000, maxPayload: 64 * 1024 * 1024 });
    this.ws = ws;
    let alive = true;
    ws.on('unexpected-response', (_req, res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      if (code === 401 || code === 403) {
        this.fatal('auth', `the orchestrator at ${endpoint.url} refused the token (HTTP ${code})`);
      } else {
        ws.removeAllListeners('close');
        this.scheduleRetry(`HTTP ${code} on the WebSocket upgrade`);
      }
    });
    ws.on('open', () => {
      this.opts.logger.info(`socket open to ${endpoint.url}`);
      this.heartbeat = setInterval(() => {
        if (!alive) {
          this.opts.logger.warn('no pong within the heartbeat interval: dropping the socket');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.opts.heartbeatMs ?? 15000);
      void this.handshake(endpoint.url);
    });
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data) => this.onFrame(String(data)));
    ws.on('error', (err) => this.opts.logger.debug(`socket error: ${err.message}`));
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      const detail = `connection closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
      this.opts.logger.warn(detail);
      this.teardown(detail);
      this.scheduleRetry(detail);
    });
  }

  private async handshake(url: string): Promise<void> {
    try {
      const hello = await this.send('hello', { clientName: this.opts.clientName, clientVersion: this.opts.clientVersion }, this.opts.requestTimeoutMs ?? 15000);
      if (!isCompatibleVersion(hello.protocolVersion)) {
        return this.fatal('version', `the orchestrator speaks protocol ${hello.protocolVersion}, this extension ${PROTOCOL_VERSION}`);
      }
      this._sessionId = hello.sessionId;
      if (hello.headSeq < this._lastSeq) {
        this.opts.logger.warn(`the orchestrator's event log (head ${hello.headSeq}) is behind our cursor ${this._lastSeq}: a new data dir? starting over`);
        this._lastSeq = 0;
        for (const l of [...this.resetListeners]) l(hello.headSeq);
      }
      this.replayHead = hello.headSeq;
      const sub = await this.send('subscribe', { afterSeq: this._lastSeq }, this.opts.requestTimeoutMs ?? 15000);
      this.ready = true;
      this.attempt = 0;
      this.stats.connects++;
      this.opts.logger.info(`connected to ${url}: server ${hello.serverVersion}, protocol ${hello.protocolVersion}, replay after seq ${sub.afterSeq} (head ${sub.headSeq})`);
      this.setStatus({ state: 'connected', url, serverVersion: hello.serverVersion });
    } catch (e) {
      if (e instanceof CommandError && e.info.code === 'unsupported_version') return this.fatal('version', e.info.message);
      if (e instanceof CommandError && (e.info.code === 'unauthorized' || e.info.code === 'forbidden')) return this.fatal('auth', e.info.message);
      if (!this.running) return;
      this.opts.logger.warn(`handshake failed: ${(e as Error).message}`);
      this.ws?.terminate();
    }
  }

  private onFrame(raw: string): void {
    // Must-ignore: a newer server's field this version does not know is removed, not a reason to drop
    // the event (protocol README: Versioning). Everything else is validated strictly.
    const parsed = parseFrame(raw, validateServerMessageTolerant);
    if (parsed.ok && parsed.ignored) {
      this.stats.unknownFieldsIgnored += parsed.ignored.length;
      this.opts.logger.debug(`ignored fields this version does not know: ${parsed.ignored.join(', ')}`);
    }
    if (!parsed.ok) {
      this.stats.invalidFrames++;
      if (parsed.error.code === 'unsupported_version') return this.fatal('version', parsed.error.message);
      this.opts.logger.warn(`dropped an invalid frame from the server: ${parsed.error.message}`);
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'ack' || msg.type === 'command_error') {
      const id = msg.correlationId;
      const p = id ? this.pending.get(id) : undefined;
      if (!p || !id) {
        this.opts.logger.debug(`${msg.type} for an unknown request ${id ?? '(none)'}`);
        if (msg.type === 'command_error') this.opts.logger.warn(`server error: ${msg.payload.message}`);
        return;
      }
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (msg.type === 'ack') p.resolve((msg as AckMessage).payload.result);
      else p.reject(new CommandError(msg.payload, p.type));
      return;
    }
    if (isTransientType(msg.type)) {
      for (const l of [...this.transientListeners]) {
        try {
          l(msg as TransientMessage);
        } catch (e) {
          this.opts.logger.error(`transient listener failed on ${msg.type}: ${(e as Error).stack ?? String(e)}`);
        }
      }
      return;
    }
    this.stats.received++;
    const ev = msg as EventMessage;
    if (ev.seq <= this._lastSeq) {
      this.stats.duplicatesDropped++;
      this.opts.logger.trace(`duplicate event seq ${ev.seq} dropped (cursor ${this._lastSeq})`);
      return;
    }
    this._lastSeq = ev.seq;
    this.stats.delivered++;
    for (const l of [...this.eventListeners]) {
      try {
        l(ev);
      } catch (e) {
        this.opts.logger.error(`event listener failed on ${ev.type} #${ev.seq}: ${(e as Error).stack ?? String(e)}`);
      }
    }
  }
}
