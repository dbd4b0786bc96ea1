/**
 * A protocol WebSocket client for the orchestrator's tests: typed commands awaiting their
 * ack/command_error, every event recorded, raw frames available for malformed-input tests.
 */
import {
  makeCommand,
  newId,
  type CommandPayload,
  type CommandResult,
  type CommandType,
  type ErrorInfo,
  type EventMessage,
  type EventPayload,
  type EventType,
} from '@pushpals/protocol';
import WebSocket from 'ws';

export type TypedEvent<T extends EventType> = EventMessage & { type: T; payload: EventPayload<T> };

export class CommandError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(`${info.code}: ${info.message}`);
  }
}

interface Frame {
  type: string;
  correlationId?: string;
  seq?: number;
  payload: unknown;
}

export interface ConnectOptions {
  token?: string;
  headers?: Record<string, string>;
  protocols?: string[];
  sessionId?: string;
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

export class Client {
  readonly events: EventMessage[] = [];
  readonly frames: Frame[] = [];
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters = new Set<() => void>();
  closedWith: number | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly sessionId = 's-test',
  ) {
    ws.on('message', (d) => this.onFrame(String(d)));
    ws.on('close', (code) => {
      this.closedWith = code;
      this.wakeAll();
    });
  }

  static async connect(url: string, token: string, sessionId = 's-test'): Promise<Client> {
    return new Client(await openSocket(url, { token }), sessionId);
  }

  private onFrame(raw: string): void {
    const f = JSON.parse(raw) as Frame;
    this.frames.push(f);
    if ((f.type === 'ack' || f.type === 'command_error') && f.correlationId && this.pending.has(f.correlationId)) {
      const p = this.pending.get(f.correlationId)!;
      this.pending.delete(f.correlationId);
      if (f.type === 'ack') p.resolve((f.payload as { result: unknown }).result);
      else p.reject(new CommandError(f.payload as ErrorInfo));
    } else if (f.type !== 'ack' && f.type !== 'command_error') {
      this.events.push(f as unknown as EventMessage);
    }
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  send<K extends CommandType>(type: K, payload: CommandPayload<K>): Promise<CommandResult<K>> {
    const id = newId('c');
    const cmd = makeCommand(type, payload, { sessionId: this.sessionId, id });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify(cmd));
    });
  }

  /** Sends a raw frame and returns the next command_error/ack frame received after it. */
  async sendRaw(data: string): Promise<Frame> {
    const n = this.frames.length;
    this.ws.send(data);
    await this.waitUntil(() => this.frames.slice(n).some((f) => f.type === 'ack' || f.type === 'command_error'), 5000, 'a response');
    return this.frames.slice(n).find((f) => f.type === 'ack' || f.type === 'command_error')!;
  }

  async waitUntil(pred: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} (events: ${this.events.map((e) => e.type).slice(-30).join(', ')})`);
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

  async waitFor<T extends EventType>(type: T, pred: (p: EventPayload<T>) => boolean = () => true, timeoutMs = 10000): Promise<TypedEvent<T>> {
    let hit: EventMessage | undefined;
    await this.waitUntil(() => (hit = this.events.find((e) => e.type === type && pred(e.payload as EventPayload<T>))) !== undefined, timeoutMs, type);
    return hit as TypedEvent<T>;
  }

  seqs(): number[] {
    return this.events.map((e) => e.seq);
  }

  close(): void {
    this.ws.close();
  }
}
