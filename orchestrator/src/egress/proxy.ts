/**
 * The egress proxy: an HTTP proxy that only opens CONNECT tunnels to allowlisted `host:port`, and
 * listens on a Unix socket (one per sandbox: every connection on it belongs to that task). Node's own
 * HTTP server parses the requests (its `connect` event hands over the target and the raw socket); the
 * code here only decides, audits and pipes bytes. The decision is made on the requested NAME before
 * any DNS lookup or connection, so a refused target never leaves the machine. Plain-HTTP proxy
 * requests are refused: registries are reached over TLS, end to end (the proxy never sees content).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Allowlist, AllowEntry } from './allowlist';

export interface EgressDecision {
  host: string;
  port: number;
  allowed: boolean;
  /** Why: the allowlist entry's source, or why it was refused. */
  reason: string;
  /** For a plain-HTTP request, its method (GET, ...); CONNECT otherwise. */
  method: string;
  /**
   * Why a refusal: `allowlist` (the host is not allowed), `plain_http`, `malformed`, or `capacity`
   * (too many tunnels open at once: the client retries; not something the person must act on).
   */
  refusal?: 'allowlist' | 'plain_http' | 'malformed' | 'capacity';
}

export interface EgressProxyOptions {
  allowlist: Allowlist;
  /** Called once per request, at decision time (audit + report). Must not throw. */
  onDecision: (d: EgressDecision) => void;
  /** Opens the upstream TCP connection (tests observe it); default net.connect. */
  dial?: (host: string, port: number) => Socket;
  /**
   * A tunnel with no traffic either way for this long is closed. Default 15 min: a package manager
   * may leave a response unread for minutes while it resolves (a paused reader means no traffic), and
   * cutting it then breaks the install; every tunnel dies with its sandbox anyway.
   */
  idleTimeoutMs?: number;
  /** Tunnels open at once; more are refused with 503. Default 256 (npm alone opens dozens). */
  maxTunnels?: number;
}

const TARGET = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Splits a CONNECT target `host:port` (IPv6 in brackets); undefined when malformed. */
export function parseConnectTarget(target: string): { host: string; port: number } | undefined {
  const m = TARGET.exec(target);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

function refuse(socket: Duplex, status: string, message: string): void {
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export class EgressProxy {
  private readonly server: Server;
  private readonly tunnels = new Set<Duplex>();
  private readonly dial: (host: string, port: number) => Socket;

  constructor(private readonly o: EgressProxyOptions) {
    this.dial = o.dial ?? ((host, port) => netConnect({ host, port }));
    // No request may hold the proxy: headers within 10 s, nothing kept alive.
    this.server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 1_000 });
    this.server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onConnect(req, socket, head));
    this.server.on('request', (req, res) => {
      // An absolute-URI request (plain HTTP through the proxy) or anything else: never forwarded.
      let host = '';
      let port = 80;
      try {
        const u = new URL(req.url ?? '');
        host = u.hostname;
        port = Number(u.port || 80);
      } catch {
        /* not an absolute URI */
      }
      const reason = 'only HTTPS (CONNECT) goes through the PushPals egress proxy';
      this.o.onDecision({ host: host || '(none)', port, allowed: false, reason, method: req.method ?? '?', refusal: 'plain_http' });
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' }).end(`blocked: ${host || req.url}: ${reason}\n`);
    });
    this.server.on('clientError', (_e, socket) => refuse(socket, '400 Bad Request', 'malformed proxy request'));
  }

  /** Listens on a Unix socket path (its directory must exist). */
  listen(socketPath: string): Promise<void> {
    return new Promise((res, rej) => {
      this.server.once('error', rej);
      this.server.listen(socketPath, () => {
        this.server.off('error', rej);
        res();
      });
    });
  }

  /** Stops listening and cuts every open tunnel. */
  async close(): Promise<void> {
    for (const t of this.tunnels) t.destroy();
    this.tunnels.clear();
    await new Promise<void>((res) => this.server.close(() => res()));
  }

  get openTunnels(): number {
    return this.tunnels.size;
  }

  private onConnect(req: IncomingMessage, client: Duplex, head: Buffer): void {
    client.on('error', () => client.destroy());
    const target = parseConnectTarget(req.url ?? '');
    if (!target) {
      this.o.onDecision({ host: String(req.url).slice(0, 255), port: 0, allowed: false, reason: 'malformed CONNECT target', method: 'CONNECT', refusal: 'malformed' });
      refuse(client, '400 Bad Request', `blocked: malformed CONNECT target ${JSON.stringify(req.url)}`);
      return;
    }
    const { host, port } = target;
    const entry: AllowEntry | undefined = this.o.allowlist.match(host, port);
    if (!entry) {
      const reason = `${host}:${port} is not in the egress allowlist (${this.o.allowlist.describe()})`;
      this.o.onDecision({ host, port, allowed: false, reason, method: 'CONNECT', refusal: 'allowlist' });
      refuse(client, '403 Forbidden', `blocked: ${reason}`);
      return;
    }
    if (this.tunnels.size >= (this.o.maxTunnels ?? 256)) {
      this.o.onDecision({ host, port, allowed: false, reason: 'too many open tunnels', method: 'CONNECT', refusal: 'capacity' });
      refuse(client, '503 Service Unavailable', 'blocked: too many open tunnels');
      return;
    }
    this.o.onDecision({ host, port, allowed: true, reason: `allowlisted by ${entry.source}`, method: 'CONNECT' });
    const upstream = this.dial(host, port);
    this.tunnels.add(client);
    const done = (): void => {
      this.tunnels.delete(client);
      upstream.destroy();
      client.destroy();
    };
    let established = false;
    upstream.setTimeout(this.o.idleTimeoutMs ?? 15 * 60_000, done);
    upstream.once('connect', () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (e: Error) => {
      if (established) return done();
      // Not connected yet (no such name, refused, unreachable): the client gets a 502 saying so.
      this.tunnels.delete(client);
      refuse(client, '502 Bad Gateway', `egress proxy could not reach ${host}:${port}: ${e.message}`);
    });
    upstream.once('close', () => {
      if (established) done();
    });
    client.once('close', done);
  }
}
