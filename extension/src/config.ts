/**
 * Typed configuration: every `pushpals.*` setting is read here and nowhere else.
 */
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface PushPalsConfig {
  /** Orchestrator URL from the settings; '' = discover it from the data dir. */
  serverUrl: string;
  /** Data dir holding server.json and token (resolved: setting, else $PUSHPALS_HOME, else ~/.pushpals). */
  dataDir: string;
  autoConnect: boolean;
  reconnectMaxDelayMs: number;
  approvalNotifications: boolean;
  registerWorkspaceRepo: boolean;
  /** New tasks take the person's uncommitted changes along (task_new includeUncommitted). */
  includeUncommitted: boolean;
  /** Approving a commit or a pull request opens its text in an editor tab (off: one-line input boxes). */
  editApprovalsInEditor: boolean;
}

export const SECTION = 'pushpals';

export function resolveDataDir(setting: string, env: NodeJS.ProcessEnv = process.env): string {
  if (setting.trim()) return setting.trim().replace(/^~(?=$|\/)/, homedir());
  if (env.PUSHPALS_HOME) return env.PUSHPALS_HOME;
  return join(homedir(), '.pushpals');
}

export function readConfig(): PushPalsConfig {
  const c = vscode.workspace.getConfiguration(SECTION);
  return {
    serverUrl: c.get<string>('serverUrl', '').trim(),
    dataDir: resolveDataDir(c.get<string>('dataDir', '')),
    autoConnect: c.get<boolean>('autoConnect', true),
    reconnectMaxDelayMs: Math.max(200, c.get<number>('reconnect.maxDelayMs', 10000)),
    approvalNotifications: c.get<boolean>('notifications.approvals', true),
    registerWorkspaceRepo: c.get<boolean>('registerWorkspaceRepo', true),
    includeUncommitted: c.get<boolean>('includeUncommitted', true),
    editApprovalsInEditor: c.get<boolean>('approvals.editInEditor', true),
  };
}

/** True when a change event touches a setting the connection depends on. */
export function affectsConnection(e: vscode.ConfigurationChangeEvent): boolean {
  return ['serverUrl', 'dataDir', 'autoConnect'].some((k) => e.affectsConfiguration(`${SECTION}.${k}`));
}
