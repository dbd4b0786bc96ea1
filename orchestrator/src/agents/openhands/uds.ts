/**
 * Talking to the agent server inside the container through its Unix socket, without trusting the
 * directory it lives in: the container can write there, so it could swap `agent.sock` for a symlink to
 * any socket of the host (the Docker API, say). Each connection therefore opens the path with
 * O_PATH|O_NOFOLLOW, checks that THAT inode is a socket owned by the container's uid, and connects
 * through /proc/self/fd/N — the inode checked, whatever the path points to by then.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { PushPalsError } from '../../errors';

/** O_PATH (Linux, every architecture Node runs on): a handle on the inode that opens nothing. */
const O_PATH = 0o10000000;

export interface PinnedSocket {
  /** `/proc/self/fd/N`: connect here. */
  path: string;
  close(): void;
}

/** Opens the socket at `path` if it is a socket owned by `uid` (not a symlink), else throws. */
export function pinSocket(path: string, uid: number): PinnedSocket {
  let fd: number;
  try {
    fd = openSync(path, O_PATH | constants.O_NOFOLLOW);
  } catch (e) {
    throw new PushPalsError('sandbox_unavailable', `the agent server's socket ${path} cannot be opened: ${(e as Error).message}`);
  }
  const st = fstatSync(fd);
  if (!st.isSocket() || st.uid !== uid) {
    closeSync(fd);
    throw new PushPalsError('forbidden', `${path} is not the agent server's socket (a ${st.isSymbolicLink() ? 'symlink' : st.isSocket() ? `socket of uid ${st.uid}` : 'file'}): refusing to connect`);
  }
  let open = true;
  return {
    path: `/proc/self/fd/${fd}`,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

export interface UdsResponse {
  status: number;
  body: string;
  json<T = unknown>(): T;
}

/** One HTTP request over the pinned socket. */
export function udsRequest(socket: string, uid: number, method: string, path: string, o: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<UdsResponse> {
  const pin = pinSocket(socket, uid);
  const data = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  return new Promise<UdsResponse>((resolve, reject) => {
    const req = request(
      {
        socketPath: pin.path,
        method,
        path,
        headers: { ...o.headers, ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}) },
        timeout: o.timeoutMs ?? 30_000,
        ...(o.signal ? { signal: o.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body, json: <T>() => JSON.parse(body) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new PushPalsError('timeout', `the agent server did not answer ${method} ${path}`)));
    req.on('error', reject);
    req.on('close', () => pin.close());
    req.end(data);
  });
}

/** A WebSocket to the agent server over the pinned socket. */
export function udsWebSocket(socket: string, uid: number, path: string): WebSocket {
  const pin = pinSocket(socket, uid);
  const ws = new WebSocket(`ws+unix://${pin.path}:${path}`, { maxPayload: 64 * 1024 * 1024 });
  ws.once('open', () => pin.close());
  ws.once('close', () => pin.close());
  ws.once('error', () => pin.close());
  return ws;
}
