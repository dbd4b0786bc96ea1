/**
 * `<dataDir>/server.json`: how local clients (the VS Code extension, the CLI) find a running
 * orchestrator with zero configuration. Together with `<dataDir>/token` it is all they need.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@pushpals/protocol';
import { SERVER_VERSION } from './version';

export const SERVER_INFO_FILE = 'server.json';

export interface ServerInfo {
  url: string;
  wsUrl: string;
  pid: number;
  version: string;
  protocolVersion: string;
  startedAt: string;
}

export const serverInfoPath = (dataDir: string): string => join(dataDir, SERVER_INFO_FILE);

export function writeServerInfo(dataDir: string, url: string, wsUrl: string): ServerInfo {
  const info: ServerInfo = { url, wsUrl, pid: process.pid, version: SERVER_VERSION, protocolVersion: PROTOCOL_VERSION, startedAt: new Date().toISOString() };
  const file = serverInfoPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file); // atomic: readers never see half a file
  return info;
}

export function readServerInfo(dataDir: string): ServerInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(serverInfoPath(dataDir), 'utf8')) as Partial<ServerInfo>;
    return typeof v.url === 'string' && typeof v.pid === 'number' ? (v as ServerInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes server.json if it still describes this process. */
export function removeServerInfo(dataDir: string): void {
  if (readServerInfo(dataDir)?.pid === process.pid) rmSync(serverInfoPath(dataDir), { force: true });
}
