/**
 * A small protocol client for tests: connects with the bearer token, sends typed commands, awaits
 * their ack/command_error by correlationId, and records every event so tests can wait for sequences.
 */
import {
  makeCommand,
  newId,
  parseFrame,
  validateServerMessage,
  type AckMessage,
  type CommandPayload,
  type CommandResult,
  type CommandType,
  type ErrorInfo,
  type EventMessage,
  type EventPayload,
  type EventType,
} from '@pushpals/protocol';
import WebSocket from 'ws';

export class CommandFailed extends Error {
  constructor(readonly info: ErrorInfo) {
    super(`${info.code}: ${info.message}`);
  }
}

export class TestClient {
  readonly events: EventMessage[] = [];
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly ws: WebSocket,
    readonly sessionId: string,
  ) {
    ws.on('message', (data) => this.onFrame(String(data)));
  }

  static async connect(wsUrl: string, token: string, sessionId = 'test-session'): Promise<TestClient> {
    const ws = new WebSocket(wsUrl, { headers: { Authorization: `Bearer ${token}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WS upgrade refused: HTTP ${res.statusCode}`)));
    });
    return new TestClient(ws, sessionId);
  }

  private onFrame(raw: string): void {
    const r = parseFrame(raw, validateServerMessage);
    if (!r.ok) throw new Error(`server sent an invalid frame: ${r.error.message}\n${raw.slice(0, 500)}`);
    const msg = r.value;
    if (msg.type === 'ack' || msg.type === 'command_error') {
      const p = msg.correlationId ? this.pending.get(msg.correlationId) : undefined;
      if (!p) return;
      this.pending.delete(msg.correlationId!);
      if (msg.type === 'ack') p.resolve((msg as AckMessage).payload.result);
      else p.reject(new CommandFailed(msg.payload as ErrorInfo));
      return;
    }
    this.events.push(msg as EventMessage);
    for (const w of this.waiters.splice(0)) w();
  }

  send<K extends CommandType>(type: K, payload: CommandPayload<K>): Promise<CommandResult<K>> {
    const id = newId('c');
    const cmd = makeCommand(type, payload, { sessionId: this.sessionId, from: 'user', id });
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

  /** Waits until an event of `type` whose payload satisfies `pred` was received; returns it. */
  async waitFor<T extends EventType>(
    type: T,
    pred: (payload: EventPayload<T>) => boolean = () => true,
    timeoutMs = 60000,
  ): Promise<EventMessage & { payload: EventPayload<T> }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find((e) => e.type === type && pred(e.payload as EventPayload<T>));
      if (hit) return hit as EventMessage & { payload: EventPayload<T> };
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.events.map((e) => e.type).join(' → ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${type}; events so far: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until any received event satisfies `pred`; returns it. `what` names it in the timeout error. */
  async waitForEvent(pred: (e: EventMessage) => boolean, what: string, timeoutMs = 60000): Promise<EventMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.events.map((e) => e.type).join(' → ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events so far: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Events of one task, in seq order. */
  forTask(taskId: string): EventMessage[] {
    return this.events.filter((e) => (e.payload as { taskId?: string }).taskId === taskId);
  }

  close(): void {
    this.ws.close();
  }
}
