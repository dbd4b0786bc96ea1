/**
 * THE protocol WebSocket client of the tests (orchestrator/test and the end-to-end suites in test/):
 * typed commands awaiting their ack/command_error, every server frame validated with the protocol's
 * validators and every event recorded (transient messages, which have no seq, apart in `transients`),
 * raw frames for malformed-input tests.
 * test/ imports it compiled: `@pushpals/orchestrator/dist/test/helpers/ws-client`.
 */
import {
  isTransientType,
  makeCommand,
  newId,
  parseFrame,
  validateServerMessage,
  type CommandPayload,
  type CommandResult,
  type CommandType,
  type ErrorInfo,
  type EventMessage,
  type EventPayload,
  type EventType,
  type TransientMessage,
} from '@pushpals/protocol';
import WebSocket from 'ws';

export type TypedEvent<T extends EventType> = EventMessage & { type: T; payload: EventPayload<T> };

/** A command answered with `command_error`: `info` is the typed error. */
export class CommandError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(`${info.code}: ${info.message}`);
  }
}

/** A server frame as received (parsed JSON, before validation). */
export interface Frame {
  type: string;
  correlationId?: string;
  seq?: number;
  payload: unknown;
}

export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
  protocols?: string[];
}

/** Opens a socket; resolves it or rejects with the HTTP status of a refused upgrade. */
export function openSocket(url: string, opts: ConnectOptions = {}): Promise<WebSocket> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
  const ws = new WebSocket(url, opts.protocols ?? [], { headers });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

export class WsTestClient {
  readonly events: EventMessage[] = [];
  /** Transient messages (`assistant_delta`: live only, no seq), in arrival order. */
  readonly transients: TransientMessage[] = [];
  readonly frames: Frame[] = [];
  /** Frames that failed the protocol's validation: any makes every wait fail (the server broke the contract). */
  readonly invalidFrames: string[] = [];
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters = new Set<() => void>();
  closedWith: number | undefined;

  /** `timeoutMs`: the default of every wait (end-to-end suites that run Docker tasks use a long one). */
  constructor(
    readonly ws: WebSocket,
    readonly sessionId = 's-test',
    readonly timeoutMs = 10000,
  ) {
    ws.on('message', (d) => this.onFrame(String(d)));
    ws.on('close', (code) => {
      this.closedWith = code;
      this.wakeAll();
    });
  }

  static async connect(url: string, token: string, sessionId = 's-test', timeoutMs = 10000): Promise<WsTestClient> {
    return new WsTestClient(await openSocket(url, { token }), sessionId, timeoutMs);
  }

  private onFrame(raw: string): void {
    const parsed = parseFrame(raw, validateServerMessage);
    if (!parsed.ok) this.invalidFrames.push(`${parsed.error.message}: ${raw.slice(0, 500)}`);
    const f = JSON.parse(raw) as Frame;
    this.frames.push(f);
    if (f.type === 'ack' || f.type === 'command_error') {
      const p = f.correlationId ? this.pending.get(f.correlationId) : undefined;
      if (p) {
        this.pending.delete(f.correlationId!);
        if (f.type === 'ack') p.resolve((f.payload as { result: unknown }).result);
        else p.reject(new CommandError(f.payload as ErrorInfo));
      }
    } else if (isTransientType(f.type)) {
      this.transients.push(f as unknown as TransientMessage);
    } else {
      this.events.push(f as unknown as EventMessage);
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  /** `protocolVersion`: announce another version than this package's (an older client, in tests). */
  send<K extends CommandType>(type: K, payload: CommandPayload<K>, opts: { protocolVersion?: string } = {}): Promise<CommandResult<K>> {
    const id = newId('c');
    const made = makeCommand(type, payload, { sessionId: this.sessionId, from: 'user', id });
    const cmd = opts.protocolVersion ? { ...made, protocolVersion: opts.protocolVersion } : made;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify(cmd));
    });
  }

  /** hello + subscribe from a cursor. */
  async start(afterSeq = 0): Promise<void> {
    await this.send('hello', { clientName: 'pushpals-tests', clientVersion: '0.0.0' });
    await this.send('subscribe', { afterSeq });
  }

  /** Sends a raw frame and returns the next command_error/ack frame received after it. */
  async sendRaw(data: string): Promise<Frame> {
    const n = this.frames.length;
    this.ws.send(data);
    await this.waitUntil(() => this.frames.slice(n).some((f) => f.type === 'ack' || f.type === 'command_error'), 15_000, 'a response');
    return this.frames.slice(n).find((f) => f.type === 'ack' || f.type === 'command_error')!;
  }

  /** Waits until `pred` holds; fails on timeout or as soon as the server sent an invalid frame. */
  async waitUntil(pred: () => boolean, timeoutMs = this.timeoutMs, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (this.invalidFrames.length) throw new Error(`the server sent an invalid frame: ${this.invalidFrames[0]}`);
      if (pred()) return;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events so far: ${this.events.map((e) => e.type).slice(-30).join(' → ')}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.waiters.add(done);
      });
    }
  }

  /** Waits until an event of `type` whose payload satisfies `pred` was received; returns it. */
  async waitFor<T extends EventType>(type: T, pred: (p: EventPayload<T>) => boolean = () => true, timeoutMs = this.timeoutMs): Promise<TypedEvent<T>> {
    let hit: EventMessage | undefined;
    await this.waitUntil(() => (hit = this.events.find((e) => e.type === type && pred(e.payload as EventPayload<T>))) !== undefined, timeoutMs, type);
    return hit as TypedEvent<T>;
  }

  /** Waits until any received event satisfies `pred`; returns it. `what` names it in the timeout error. */
  async waitForEvent(pred: (e: EventMessage) => boolean, what: string, timeoutMs = this.timeoutMs): Promise<EventMessage> {
    let hit: EventMessage | undefined;
    await this.waitUntil(() => (hit = this.events.find(pred)) !== undefined, timeoutMs, what);
    return hit!;
  }

  /** Events of one task, in seq order. */
  forTask(taskId: string): EventMessage[] {
    return this.events.filter((e) => (e.payload as { taskId?: string }).taskId === taskId);
  }

  seqs(): number[] {
    return this.events.map((e) => e.seq);
  }

  close(): void {
    this.ws.close();
  }
}
