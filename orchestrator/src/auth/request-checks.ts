/**
 * Transport checks shared by HTTP and the WebSocket upgrade: where the token may come from, which
 * Host names are accepted (DNS-rebinding defence) and which browser Origins may open the socket.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { Config } from '../config';

/** Subprotocol that carries the token for browsers (which cannot set headers on a WebSocket). */
export const BEARER_PROTOCOL_PREFIX = 'pushpals.bearer.';
/** The subprotocol the server selects; browsers require one to be echoed when they offer any. */
export const PUSHPALS_PROTOCOL = 'pushpals';

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Token from `Authorization: Bearer`, a `pushpals.bearer.<token>` subprotocol, or `?token=`. */
export function extractToken(headers: IncomingHttpHeaders, url: string | undefined, allowQuery: boolean): string | undefined {
  const auth = first(headers.authorization);
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m ? m[1] : undefined;
  }
  const protos = first(headers['sec-websocket-protocol']);
  if (protos) {
    for (const p of protos.split(',')) {
      const t = p.trim();
      if (t.startsWith(BEARER_PROTOCOL_PREFIX)) return t.slice(BEARER_PROTOCOL_PREFIX.length);
    }
  }
  if (allowQuery && url) {
    const q = url.indexOf('?');
    if (q >= 0) return new URLSearchParams(url.slice(q + 1)).get('token') ?? undefined;
  }
  return undefined;
}

/**
 * The Host header per RFC 9110 §7.2: `uri-host [":" port]`, where uri-host is a bracketed IPv6
 * literal, an IPv4 address or a DNS name. Anything else (`127.0.0.1:80@evil`, `a b`, a bare `::1`,
 * a zone id, an empty or 6-digit port) is not a Host header this server answers to. Returns the
 * host in canonical form (lower case, IPv6 without brackets) or undefined.
 */
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?))(?::(\d{1,5}))?$/;
const DNS_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function parseHostHeader(hostHeader: string): { host: string; ipv6: boolean; port?: number } | undefined {
  const m = HOST_HEADER.exec(hostHeader.trim().toLowerCase());
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65535) return undefined;
  if (m[1] !== undefined) return isIPv6(m[1]) ? { host: m[1], ipv6: true, port } : undefined;
  const host = m[2]!;
  if (!isIPv4(host) && (!DNS_NAME.test(host) || /^[\d.]+$/.test(host))) return undefined; // `127.1`, `1.2.3.4.5`: not addresses we accept
  return { host, ipv6: false, port };
}

/** Host name without the port (IPv6 without brackets); undefined for a malformed Host header. */
export function hostName(hostHeader: string): string | undefined {
  return parseHostHeader(hostHeader)?.host;
}

// Literal loopback addresses cannot be rebound by DNS; `::ffff:127.0.0.1` is loopback too.
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const stripBrackets = (h: string): string => (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).toLowerCase();

/**
 * DNS-rebinding defence: a page on `evil.com` whose name was re-pointed at 127.0.0.1 still sends
 * `Host: evil.com`. Accepted: loopback addresses, `localhost` and `*.localhost` (RFC 6761: never
 * resolved through DNS), the configured bind address, and `allowedHosts`. Names compare exactly.
 */
export function hostAllowed(hostHeader: string | undefined, config: Pick<Config, 'allowedHosts' | 'host'>): boolean {
  if (!hostHeader) return false;
  const parsed = parseHostHeader(hostHeader);
  if (!parsed) return false;
  const { host, ipv6 } = parsed;
  if (ipv6 ? loopback.check(host, 'ipv6') : isIPv4(host) && loopback.check(host, 'ipv4')) return true;
  if (!ipv6 && (host === 'localhost' || host.endsWith('.localhost'))) return true;
  const bound = stripBrackets(config.host);
  if (bound !== '0.0.0.0' && bound !== '::' && host === bound) return true;
  return config.allowedHosts.some((h) => stripBrackets(h) === host);
}

/**
 * No Origin: a non-browser client (the extension host, the CLI) — fine, the token authenticates.
 * A browser Origin must be the VS Code webview, a configured origin, or this server itself.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, config: Pick<Config, 'allowedOrigins'>): boolean {
  if (origin === undefined) return true;
  if (origin.startsWith('vscode-webview://')) return true;
  if (config.allowedOrigins.includes(origin) || config.allowedOrigins.includes('*')) return true;
  if (hostHeader) {
    try {
      const u = new URL(origin);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host.toLowerCase() === hostHeader.trim().toLowerCase()) return true;
    } catch {
      return false;
    }
  }
  return false;
}
