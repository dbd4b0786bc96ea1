/**
 * The status bar's logic as a pure function (tested inside the extension host): what the item shows
 * for given task counts and connection state. statusBar.ts only applies it to a StatusBarItem.
 */
import type { ConnStatus } from './connection';
import type { TaskCounts } from '@pushpals/protocol/client';

export interface StatusView {
  text: string;
  tooltip: string;
  /** ThemeColor id for the background, or undefined for the default. */
  background?: 'statusBarItem.warningBackground' | 'statusBarItem.errorBackground';
  busy: boolean;
}

/** `repo`: the name of the repository new tasks from this window go to, once bound. */
export function statusView(conn: ConnStatus, c: TaskCounts, repo?: string): StatusView {
  if (conn.state === 'failed') {
    const fix = conn.fatal === 'auth' ? 'run "PushPals: Connect…" with a fresh token' : conn.fatal === 'version' ? 'update the extension or the orchestrator' : 'check the settings';
    return { text: '$(error) PushPals', tooltip: `PushPals: ${conn.detail ?? 'connection failed'} — ${fix}`, background: 'statusBarItem.errorBackground', busy: false };
  }
  if (conn.state === 'idle') return { text: '$(debug-disconnect) PushPals', tooltip: 'PushPals: not connected — click to connect', busy: false };
  if (conn.state === 'connecting' || conn.state === 'reconnecting') {
    return { text: '$(sync~spin) PushPals', tooltip: `PushPals: ${conn.state}${conn.detail ? ` — ${conn.detail}` : ''}`, busy: true };
  }
  const busy = c.running + c.queued > 0 || c.busyAgents > 0;
  // Live work only: what runs, waits to run, or waits for you. Finished tasks (failed ones included)
  // are history — a window opened on a long history would otherwise say "12 failed" for ever; the
  // tooltip and the task list have them.
  const parts: string[] = [];
  if (c.running) parts.push(`${c.running} running`);
  if (c.queued) parts.push(`${c.queued} queued`);
  if (c.awaiting) parts.push(`${c.awaiting} awaiting approval`);
  const icon = c.awaiting ? '$(bell-dot)' : busy ? '$(sync~spin)' : '$(check)';
  const text = `${icon} PushPals${parts.length ? `: ${parts.join(', ')}` : ': idle'}${repo ? ` · ${repo}` : ''}`;
  const where = repo ? ` New tasks go to repository ${repo}.` : '';
  const tooltip = `PushPals — ${c.total} task(s): ${c.running} running, ${c.queued} queued, ${c.awaiting} awaiting approval, ${c.failed} failed, ${c.completed} completed.${where} Click for the task list.`;
  return c.awaiting ? { text, tooltip, background: 'statusBarItem.warningBackground', busy } : { text, tooltip, busy };
}
