/** Shared helpers of the in-host suites: the real orchestrator, the extension's debug snapshot, polling. */
import * as vscode from 'vscode';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../connection';

export interface Orchestrator {
  url: string;
  token: string;
  home: string;
  port: number;
  pid: number;
  start(): Promise<Orchestrator>;
  stop(signal?: string): Promise<void>;
  restart(signal?: string): Promise<Orchestrator>;
  cleanup(): Promise<void>;
  log(): string;
}

interface OrchestratorModule {
  spawnOrchestrator(o?: { home?: string; port?: number; env?: Record<string, string>; config?: Record<string, unknown> }): Promise<Orchestrator>;
  makeGitWorkspace(dir?: string): string;
}

/** out/test/helpers.js → <repo>/test/e2e/orchestrator.mjs */
const MODULE = path.join(__dirname, '..', '..', '..', 'test', 'e2e', 'orchestrator.mjs');

/** `config` goes to the orchestrator's `<dataDir>/config.json` (e.g. short approval timeouts). */
export async function spawnOrchestrator(env: Record<string, string> = {}, config?: Record<string, unknown>): Promise<Orchestrator> {
  const m = (await import(pathToFileURL(MODULE).href)) as OrchestratorModule;
  return m.spawnOrchestrator({ env, ...(config ? { config } : {}) });
}

export interface DebugInfo {
  activationMs: number;
  memory: NodeJS.MemoryUsage;
  status: { state: string; fatal?: string; detail?: string };
  statusBar?: { text: string; background?: string; busy: boolean };
  statusBarText: string;
  statusBarHistory: string[];
  counts: { running: number; awaiting: number; failed: number; total: number };
  history: number;
  seqs?: number[];
  lastSeq: number;
  stats: { received: number; delivered: number; duplicatesDropped: number; connects: number };
  pendingApprovals: string[];
  approvals: { approvalId: string; taskId: string; status: string; by?: string }[];
  /** The Approvals view's items (approval ids). */
  approvalsView: string[];
  /** Every grant announced (grant_added, revokedAt once revoked). */
  grants: { grantId: string; scope: string; repoId?: string; taskId?: string; actions: string[]; expiresAt: string; revokedAt?: string }[];
  /** The Grants view's items (grant ids): the active ones. */
  grantsView: string[];
  tasks: { taskId: string; title: string; state: string; repoId?: string; base?: { commit: string; branch?: string; uncommitted: boolean; files?: number; note?: string } }[];
  /** The repository new tasks from this window go to, once bound. */
  repo?: { repoId: string; name: string; folder: string };
}

export const EXT_ID = 'pushpals.pushpals';

export async function activateExtension(): Promise<void> {
  const ext = vscode.extensions.getExtension(EXT_ID);
  if (!ext) throw new Error(`extension ${EXT_ID} is not loaded`);
  await ext.activate();
}

export async function debugInfo(seqs = false): Promise<DebugInfo> {
  return (await vscode.commands.executeCommand('pushpals._debugInfo', { seqs })) as DebugInfo;
}

/** Thrown inside a waitFor() predicate: stop waiting and fail now (e.g. the task failed). */
export class Fatal extends Error {}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30000, everyMs = 50): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const memoryLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const add = (l: string) => (m: string) => void lines.push(`${l} ${m}`);
  return { lines, trace: add('trace'), debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
};

/** Points the running extension at a data dir (zero config) and waits until it is connected. */
export async function pointExtensionAt(home: string): Promise<void> {
  const cfg = vscode.workspace.getConfiguration('pushpals');
  await cfg.update('serverUrl', '', vscode.ConfigurationTarget.Global);
  await cfg.update('dataDir', home, vscode.ConfigurationTarget.Global);
  await waitFor('the extension to connect', async () => (await debugInfo()).status.state === 'connected', 30000);
}

/**
 * A suite's live set-up, registered as its `before`/`after` hooks (call it inside the `describe`): a
 * real orchestrator spawned (`config` → its config.json), the extension activated and, unless
 * `point: false`, pointed at that orchestrator and connected; the orchestrator cleaned up after.
 * Returns the orchestrator (for suites that restart it or connect to it themselves).
 */
export function liveOrchestrator(o: { config?: Record<string, unknown>; point?: boolean } = {}): () => Orchestrator {
  let orch: Orchestrator | undefined;
  before(async () => {
    orch = await spawnOrchestrator({}, o.config);
    await activateExtension();
    if (o.point !== false) await pointExtensionAt(orch.home);
  });
  after(async () => {
    await orch?.cleanup();
  });
  return () => {
    if (!orch) throw new Error('no orchestrator: the suite set-up failed');
    return orch;
  };
}
