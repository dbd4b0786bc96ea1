/**
 * The CLI's view of a running orchestrator: URL from `<dataDir>/server.json` (or PUSHPALS_URL /
 * --url), token from `<dataDir>/token` (or PUSHPALS_TOKEN), then plain HTTP with the bearer token.
 */
import { makeCommand, type CommandPayload, type CommandResult, type CommandType } from '@pushpals/protocol';
import { readToken } from '../auth/token';
import { PushPalsError } from '../errors';
import { readServerInfo } from '../server-info';

export interface Target {
  url: string;
  token: string;
}

export function resolveTarget(dataDir: string, env: NodeJS.ProcessEnv, urlFlag?: string): Target {
  const url = urlFlag ?? env.PUSHPALS_URL ?? readServerInfo(dataDir)?.url;
  if (!url) throw new PushPalsError('not_found', `no running orchestrator found (no ${dataDir}/server.json); start one with "pushpals serve" or pass --url`);
  const token = env.PUSHPALS_TOKEN ?? readToken(dataDir);
  if (!token) throw new PushPalsError('unauthorized', `no token found (${dataDir}/token); set PUSHPALS_TOKEN`);
  return { url: url.replace(/\/+$/, ''), token };
}

async function request(t: Target, method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(t.url + path, { method, headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' }, ...(body !== undefined ? { body } : {}) });
  } catch (e) {
    throw new PushPalsError('not_found', `cannot reach the orchestrator at ${t.url}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = { error: { code: 'internal', message: text.slice(0, 500) } };
  }
  return { status: res.status, json };
}

export async function getJson(t: Target, path: string): Promise<unknown> {
  const r = await request(t, 'GET', path);
  if (r.status !== 200) throw errorFrom(r.json, r.status);
  return r.json;
}

/** Sends one protocol command over POST /api/commands; returns its typed result. */
export async function sendCommand<K extends CommandType>(t: Target, type: K, payload: CommandPayload<K>, sessionId = 'cli'): Promise<CommandResult<K>> {
  const cmd = makeCommand(type, payload, { sessionId, from: 'user' });
  const r = await request(t, 'POST', '/api/commands', JSON.stringify(cmd));
  const msg = r.json as { type?: string; payload?: { result?: unknown } };
  if (r.status === 200 && msg.type === 'ack') return msg.payload?.result as CommandResult<K>;
  throw errorFrom(msg.type === 'command_error' ? { error: msg.payload } : r.json, r.status);
}

function errorFrom(json: unknown, status: number): PushPalsError {
  const e = (json as { error?: { code?: string; message?: string } }).error;
  const code = (e?.code ?? 'internal') as ConstructorParameters<typeof PushPalsError>[0];
  return new PushPalsError(code, e?.message ?? `HTTP ${status}`);
}
