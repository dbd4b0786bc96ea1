/**
 * Zero configuration when co-located: the orchestrator writes `server.json` ({url, pid, version})
 * and `token` (mode 0600) into its data dir; we read both. No vscode import: unit-testable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ServerInfo {
  url: string;
  pid?: number;
  version?: string;
}

export interface Endpoint {
  /** http(s) base URL of the orchestrator. */
  url: string;
  token: string;
  /** Where the URL/token came from, for the log and the status bar tooltip. */
  source: 'settings' | 'dataDir';
}

export async function readServerInfo(dataDir: string): Promise<ServerInfo | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(dataDir, 'server.json'), 'utf8')) as unknown;
    if (typeof raw !== 'object' || raw === null) return undefined;
    const r = raw as Record<string, unknown>;
    if (typeof r.url !== 'string' || !r.url) return undefined;
    return {
      url: r.url,
      ...(typeof r.pid === 'number' ? { pid: r.pid } : {}),
      ...(typeof r.version === 'string' ? { version: r.version } : {}),
    };
  } catch {
    return undefined;
  }
}

export async function readTokenFile(dataDir: string): Promise<string | undefined> {
  try {
    const t = (await readFile(join(dataDir, 'token'), 'utf8')).trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

/** `http://h:p[/base]` → `ws://h:p[/base]/ws`; ws(s) URLs are taken as the base too. */
export function wsUrl(base: string): string {
  const u = new URL(base);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`unsupported URL scheme ${u.protocol} (use http(s):// or ws(s)://)`);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith('/ws') ? path : `${path}/ws`;
  return u.toString();
}

/** Normalises what a person types or pastes: adds http:// when no scheme is given. */
export function normaliseServerUrl(input: string): string {
  const s = input.trim();
  if (!s) return s;
  const withScheme = /^[a-z]+:\/\//i.test(s) ? s : `http://${s}`;
  const u = new URL(withScheme);
  return u.toString().replace(/\/+$/, '');
}

/**
 * Accepts what `pushpals token` prints: a URL with `#token=…` / `?token=…`, or `URL TOKEN`, or a bare
 * token. Returns what it found.
 */
export function parsePairing(input: string): { url?: string; token?: string } {
  const s = input.trim();
  if (!s) return {};
  const parts = s.split(/\s+/);
  if (parts.length >= 2 && /^[a-z]+:\/\//i.test(parts[0] ?? '')) return { url: normaliseServerUrl(parts[0] ?? ''), token: parts[1] ?? '' };
  if (/^[a-z]+:\/\//i.test(s)) {
    const u = new URL(s);
    const fromHash = new URLSearchParams(u.hash.replace(/^#/, '')).get('token');
    const token = fromHash ?? u.searchParams.get('token') ?? undefined;
    u.hash = '';
    u.searchParams.delete('token');
    return { url: u.toString().replace(/\/+$/, ''), ...(token ? { token } : {}) };
  }
  return { token: s };
}
