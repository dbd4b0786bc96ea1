/**
 * The http(s) client isomorphic-git clones through, with the limits git's own `http.lowSpeedLimit` /
 * `http.lowSpeedTime` give and an overall deadline: a server that never answers, or trickles a byte
 * a second, must not hold a `repo add` (and the person waiting on it) for minutes.
 */
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { PushPalsError } from '../errors';

export interface CloneLimits {
  /** The whole clone must finish within this (ms). */
  deadlineMs: number;
  /** Below this many bytes per second, sustained for lowSpeedTimeMs, the clone is aborted. */
  lowSpeedBytesPerSec: number;
  /** Window of the low-speed check (ms); waiting for a response that never comes counts as 0 bytes. */
  lowSpeedTimeMs: number;
}

export const DEFAULT_CLONE_LIMITS: CloneLimits = { deadlineMs: 10 * 60_000, lowSpeedBytesPerSec: 1024, lowSpeedTimeMs: 30_000 };

/**
 * A transfer under the limits: `client` for isomorphic-git, `failed` rejects with a `timeout`
 * PushPalsError when a limit is hit (race it against the clone: isomorphic-git may not notice an
 * aborted body), `dispose()` stops the timers.
 */
export interface GuardedTransfer {
  client: HttpClient;
  failed: Promise<never>;
  dispose(): void;
}

export function guardedTransfer(what: string, limits: CloneLimits): GuardedTransfer {
  const abort = new AbortController();
  let fail!: (e: PushPalsError) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // observed through the race; never an unhandled rejection
  const stop = (message: string): void => {
    const e = new PushPalsError('timeout', message, { limits });
    fail(e);
    abort.abort(e); // closes the sockets
  };
  let bytes = 0;
  let lastBytes = 0;
  const deadline = setTimeout(() => stop(`${what} did not finish within ${Math.round(limits.deadlineMs / 1000)} s`), limits.deadlineMs);
  const lowSpeed = setInterval(() => {
    const got = bytes - lastBytes;
    lastBytes = bytes;
    const min = (limits.lowSpeedBytesPerSec * limits.lowSpeedTimeMs) / 1000;
    if (got < min) {
      stop(`${what} stalled: ${got} bytes in the last ${Math.round(limits.lowSpeedTimeMs / 1000)} s (minimum ${limits.lowSpeedBytesPerSec} bytes/s); the server is not answering or too slow`);
    }
  }, limits.lowSpeedTimeMs);
  deadline.unref();
  lowSpeed.unref();

  async function* counted(body: AsyncIterableIterator<Uint8Array>): AsyncIterableIterator<Uint8Array> {
    for await (const chunk of body) {
      if (abort.signal.aborted) return;
      bytes += chunk.byteLength;
      yield chunk;
    }
  }

  const client: HttpClient = {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      if (abort.signal.aborted) throw abort.signal.reason as Error;
      const res = await http.request({ ...req, signal: abort.signal });
      return res.body ? { ...res, body: counted(res.body) } : res;
    },
  };
  return {
    client,
    failed,
    dispose() {
      clearTimeout(deadline);
      clearInterval(lowSpeed);
    },
  };
}
