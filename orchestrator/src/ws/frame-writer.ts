/**
 * Fast path for server → client frames. A server frame is unmasked (RFC 6455 §5.1), so the bytes
 * of one event's frame are the same for every client: they are encoded ONCE per event and shared.
 * Each connection queues its frames during the current tick and writes them with ONE socket write
 * (instead of one syscall and one header buffer per frame), in order with every other frame it
 * sends (responses go through the same queue). Falls back to ws.send when the raw socket is not
 * reachable (ws keeps it as `_socket`, stable in ws 8 but untyped).
 */
import type { WebSocket } from 'ws';

/** A complete, unmasked, final text frame: header + payload in one buffer. */
export function encodeTextFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const headerLen = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(headerLen + n);
  out[0] = 0x81; // FIN + opcode 1 (text)
  if (n < 126) {
    out[1] = n;
  } else if (n < 65536) {
    out[1] = 126;
    out.writeUInt16BE(n, 2);
  } else {
    out[1] = 127;
    out.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    out.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(out, headerLen);
  return out;
}

interface RawSocket {
  write(b: Buffer): boolean;
  destroyed?: boolean;
  writableLength: number;
  once(event: 'drain' | 'close', fn: () => void): void;
  off(event: 'drain' | 'close', fn: () => void): void;
}

/** How a wait for the socket to drain ended. */
export type DrainResult = 'drained' | 'stalled' | 'closed';

/** How often a drain wait re-checks (the socket's 'drain' event wakes it sooner). */
const DRAIN_POLL_MS = 50;

export class FrameWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private readonly sock: RawSocket | undefined;

  constructor(private readonly ws: WebSocket) {
    const s = (ws as unknown as { _socket?: RawSocket })._socket;
    this.sock = s && typeof s.write === 'function' ? s : undefined;
  }

  /** Bytes accepted but not yet sent to the peer (ours + the socket's + ws's own buffer). */
  get bufferedAmount(): number {
    return this.queuedBytes + this.ws.bufferedAmount;
  }

  /** Queues one encoded frame (see encodeTextFrame); it is written at the end of this tick. */
  write(frame: Buffer): void {
    if (!this.sock) {
      this.ws.send(frame.subarray(frame[1]! < 126 ? 2 : frame[1] === 126 ? 4 : 10), { binary: false });
      return;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  /**
   * Resolves once at most `lowWater` bytes are unsent ('drained'); 'stalled' when the unsent bytes
   * did not shrink for `stallMs` (the peer stopped reading); 'closed' if the socket went away.
   * Wakes on the socket's 'drain' event, with a slow poll as a safety net (drain only fires when
   * a write had been refused).
   */
  async waitForDrain(lowWater: number, stallMs: number): Promise<DrainResult> {
    this.flush();
    let best = this.bufferedAmount;
    let progressAt = Date.now();
    while (this.bufferedAmount > lowWater) {
      if (this.sock ? this.sock.destroyed : this.ws.readyState !== this.ws.OPEN) return 'closed';
      await (this.sock ? this.nextDrainOrPoll(this.sock) : new Promise((r) => setTimeout(r, DRAIN_POLL_MS)));
      const now = this.bufferedAmount;
      if (now < best) {
        best = now;
        progressAt = Date.now();
      } else if (Date.now() - progressAt >= stallMs) {
        return 'stalled';
      }
    }
    return this.sock?.destroyed === true ? 'closed' : 'drained';
  }

  private nextDrainOrPoll(sock: RawSocket): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sock.off('drain', done);
        sock.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, DRAIN_POLL_MS);
      sock.once('drain', done);
      sock.once('close', done);
    });
  }

  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || !this.sock || this.sock.destroyed) {
      this.queue = [];
      this.queuedBytes = 0;
      return;
    }
    const data = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue, this.queuedBytes);
    this.queue = [];
    this.queuedBytes = 0;
    this.sock.write(data);
  }
}
