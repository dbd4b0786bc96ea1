/**
 * The egress allowlist: which `host:port` a sandbox's proxy may open a tunnel to. Decided on the
 * NAME the client asked for, before anything is resolved or connected, so a refused request sends
 * nothing off the machine. Entries: `host` (port 443), `host:port`, `*.suffix[:port]` (any name
 * strictly below suffix). IP literals match only when listed as they are.
 */
import { PushPalsError } from '../errors';

export interface AllowEntry {
  /** Lower-case name without a trailing dot; for a wildcard, the suffix after `*.`. */
  host: string;
  port: number;
  wildcard: boolean;
  /** Where the entry comes from (e.g. `npm config get registry`), for audit rows and messages. */
  source: string;
}

export const DEFAULT_PORT = 443;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A host name as the proxy compares it: lower case, no trailing dot; undefined when not a valid name or IP literal. */
export function normalizeHost(raw: string): string | undefined {
  let h = raw.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.includes(':')) return /^[0-9a-f:.]+$/.test(h) ? h : undefined; // IPv6 literal
  h = h.replace(/\.$/, '');
  if (h.length === 0 || h.length > 253) return undefined;
  return h.split('.').every((l) => LABEL.test(l)) ? h : undefined;
}

/** Parses `host`, `host:port`, `*.suffix`, `[v6]:port`; throws `invalid_message` naming the entry. */
export function parseAllowEntry(text: string, source: string): AllowEntry {
  const m = /^(\*\.)?(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(text.trim());
  const host = m ? normalizeHost(m[2] as string) : undefined;
  const port = m?.[3] ? Number(m[3]) : DEFAULT_PORT;
  if (!m || !host || port < 1 || port > 65535) {
    throw new PushPalsError('invalid_message', `egress allowlist entry ${JSON.stringify(text)} (${source}) is not host, host:port or *.domain[:port]`);
  }
  return { host, port, wildcard: m[1] !== undefined, source };
}

export class Allowlist {
  readonly entries: readonly AllowEntry[];

  constructor(entries: readonly AllowEntry[]) {
    const seen = new Set<string>();
    this.entries = entries.filter((e) => {
      const k = `${e.wildcard ? '*.' : ''}${e.host}:${e.port}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** The entry that allows host:port, or undefined. `host` is what the client sent (normalized here). */
  match(host: string, port: number): AllowEntry | undefined {
    const h = normalizeHost(host);
    if (!h) return undefined;
    return this.entries.find((e) => e.port === port && (e.wildcard ? h.endsWith(`.${e.host}`) : h === e.host));
  }

  with(more: readonly AllowEntry[]): Allowlist {
    return new Allowlist([...this.entries, ...more]);
  }

  /** `host:port` list for messages. */
  describe(): string {
    return this.entries.map((e) => `${e.wildcard ? '*.' : ''}${e.host}:${e.port}`).join(', ') || '(empty)';
  }
}
