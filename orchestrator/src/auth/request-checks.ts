/**
 * Transport checks shared by HTTP and the WebSocket upgrade: where the token may come from, which
 * Host names are accepted (DNS-rebinding defence) and which browser Origins may open the socket.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost, type Config } from '../config';

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

/** Host name without the port; IPv6 literals keep their brackets stripped. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

export function hostAllowed(hostHeader: string | undefined, config: Pick<Config, 'allowedHosts' | 'host'>): boolean {
  if (!hostHeader) return false;
  const name = hostName(hostHeader);
  if (isLoopbackHost(name) || name.endsWith('.localhost')) return true;
  if (config.host !== '0.0.0.0' && config.host !== '::' && name === config.host.toLowerCase()) return true;
  return config.allowedHosts.some((h) => h.toLowerCase() === name);
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
