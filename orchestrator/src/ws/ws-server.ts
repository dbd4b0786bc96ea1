/**
 * The WebSocket endpoint (`/ws`) on the app's HTTP server. Every upgrade is checked BEFORE the
 * handshake completes: Host (DNS rebinding), Origin (browsers), bearer token (constant time).
 * Refusals are plain HTTP responses (400/401/403/404) so clients can tell why.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { extractToken, hostAllowed, originAllowed, PUSHPALS_PROTOCOL } from '../auth/request-checks';
import { tokenFingerprint } from '../auth/token';
import type { Config } from '../config';
import { httpStatusOf } from '../errors';
import type { Services } from '../services';
import { ClientConnection } from './connection';
import { CloseCode, type ErrorCode } from '@pushpals/protocol';

export const WS_PATH = '/ws';

export interface WsEndpoint {
  clients(): number;
  connections(): ReadonlySet<ClientConnection>;
  /** Closes every connection (1001 going away) and stops accepting upgrades. */
  close(): Promise<void>;
}

function refuse(socket: Duplex, code: ErrorCode, message: string): void {
  const status = httpStatusOf(code);
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${code}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.destroy();
}

export function attachWebSocket(server: Server, services: Services, config: Config, tokenOk: (t: string | undefined) => boolean): WsEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxMessageBytes,
    perMessageDeflate: false,
    // Browsers that offered subprotocols need one echoed; never echo the one carrying the token.
    handleProtocols: (protocols) => (protocols.has(PUSHPALS_PROTOCOL) ? PUSHPALS_PROTOCOL : false),
  });
  const conns = new Set<ClientConnection>();
  let accepting = true;
  let counter = 0;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== WS_PATH) return refuse(socket, 'not_found', `no WebSocket endpoint at ${path}; use ${WS_PATH}`);
    if (!accepting) return refuse(socket, 'sandbox_unavailable', 'the orchestrator is shutting down');
    if (!hostAllowed(req.headers.host, config)) return refuse(socket, 'forbidden', 'Host header not allowed (DNS-rebinding protection); add it to allowedHosts');
    if (!originAllowed(req.headers.origin, req.headers.host, config)) return refuse(socket, 'forbidden', 'Origin not allowed; add it to allowedOrigins');
    const token = extractToken(req.headers, req.url, true);
    if (!tokenOk(token)) return refuse(socket, 'unauthorized', token === undefined ? 'missing bearer token' : 'invalid token');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ClientConnection(`ws${++counter}`, ws, services, tokenFingerprint(token!), {
        maxBufferedBytes: config.maxBufferedBytes,
        sendStallTimeoutMs: config.sendStallTimeoutMs,
        rateLimit: config.rateLimit,
      });
      conns.add(conn);
      ws.on('close', () => conns.delete(conn));
    });
  };
  server.on('upgrade', onUpgrade);

  const pinger = setInterval(() => {
    for (const c of conns) if (!c.ping()) conns.delete(c);
  }, config.pingIntervalMs);
  pinger.unref();

  return {
    clients: () => conns.size,
    connections: () => conns,
    close: async () => {
      accepting = false;
      clearInterval(pinger);
      server.off('upgrade', onUpgrade);
      for (const c of conns) c.close(CloseCode.goingAway, 'server shutting down');
      conns.clear();
      await new Promise<void>((res) => wss.close(() => res()));
    },
  };
}
