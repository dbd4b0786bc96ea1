/**
 * `pushpals task watch`: one task's events, from its first to its end, over the WebSocket (hello,
 * then subscribe filtered to the task: the stored events replay, then live ones follow), printed as
 * lines a person reads — commands with their output, approvals with the commands that decide them.
 */
import { commandText, errorText, makeCommand, parseFrame, validateServerMessage, type EventMessage } from '@pushpals/protocol';
import WebSocket from 'ws';
import { PushPalsError } from '../errors';
import { SERVER_VERSION } from '../version';
import type { Target } from './client';

const TERMINAL = new Set(['task_completed', 'task_failed', 'task_cancelled']);

const indent = (s: string): string => s.replace(/\n$/, '').replace(/^/gm, '    ');

/** The lines one event prints (none for the bookkeeping ones: jobs, agent status). */
export function formatEvent(e: EventMessage): string | undefined {
  const p = e.payload as Record<string, unknown> & { taskId?: string };
  switch (e.type) {
    case 'task_created':
      return `task ${String(p.taskId)}: ${String(p.title)}`;
    case 'task_base': {
      const b = (e.payload as { base: { commit: string; branch?: string; uncommitted: boolean; files?: number; note?: string } }).base;
      const extra = b.uncommitted ? `, with your uncommitted changes (${b.files ?? 0} file(s))` : ', committed state only';
      return `base: ${b.branch ?? 'detached HEAD'} @ ${b.commit.slice(0, 12)}${extra}${b.note ? `\n    note: ${b.note}` : ''}`;
    }
    case 'task_started':
      return `started (${String(p.agentId)})`;
    case 'task_progress':
      return `… ${String(p.message)}`;
    case 'tool_call': {
      const policy = p.policy as { verdict: string; reason: string } | undefined;
      return `$ ${commandText(String(p.tool), (p.args ?? {}) as Record<string, unknown>)}${policy && policy.verdict !== 'allow' ? `   [policy: ${policy.verdict} — ${policy.reason}]` : ''}`;
    }
    case 'tool_result': {
      const out = ['stdout', 'stderr', 'output'].map((k) => p[k]).filter((v): v is string => typeof v === 'string' && v.length > 0);
      const tail = `[${p.exitCode !== undefined ? `exit ${String(p.exitCode)}` : p.ok ? 'ok' : 'failed'}, ${String(p.durationMs)} ms${p.truncated ? ', output truncated' : ''}]`;
      return [...out.map(indent), `    ${tail}`].join('\n');
    }
    case 'approval_required':
      return [
        `approval needed (${String(p.risk)} risk): ${String(p.title)}`,
        `    ${String(p.reason)}`,
        ...(typeof p.command === 'string' ? [indent(p.command)] : []),
        ...(typeof p.patch === 'string' ? [indent(p.patch)] : []),
        ...(typeof p.message === 'string' ? [indent(p.message)] : []),
        `    decide: pushpals approve ${String(p.approvalId)}${p.kind === 'commit' ? ' [--message TEXT]' : p.kind === 'pr' ? ' [--title TEXT] [--body TEXT | --body-file FILE]' : ''}   or   pushpals deny ${String(p.approvalId)}`,
      ].join('\n');
    case 'approved':
      return `approved ${String(p.approvalId)} by ${String(p.by)}`;
    case 'denied':
      return `denied ${String(p.approvalId)} by ${String(p.by)}${p.reason ? ` (${String(p.reason)})` : ''}`;
    case 'diff_ready':
      return `diff ready (${(p.files as string[]).join(', ')}):\n${indent(String(p.diff))}`;
    case 'log':
      return `[${String(p.level)}] ${String(p.message)}`;
    case 'error':
      return `error: ${errorText(p.error as Parameters<typeof errorText>[0])}`;
    case 'assistant_message':
      return String(p.text);
    case 'task_completed':
      return `completed: ${String(p.summary)}`;
    case 'task_failed':
      return `failed: ${errorText(p.error as Parameters<typeof errorText>[0])}`;
    case 'task_paused':
      return `paused by ${String(p.by)}: nothing new starts until "pushpals task resume"`;
    case 'task_resumed':
      return `resumed by ${String(p.by)}`;
    case 'task_cancelled':
      return `cancelled by ${String(p.by)}${p.reason ? `: ${String(p.reason)}` : ''}`;
    default:
      return undefined;
  }
}

/**
 * Follows task `taskId` until it ends. Resolves with the exit code: 0 completed, 1 failed or
 * cancelled. `json`: every event as one JSON line instead.
 */
export function watchTask(t: Target, taskId: string, out: (s: string) => void, json = false): Promise<number> {
  const wsUrl = `${t.url.replace(/^http/i, 'ws')}/ws`;
  const ws = new WebSocket(wsUrl, [], { headers: { Authorization: `Bearer ${t.token}` } });
  const sessionId = 'cli';
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (code: number | Error): void => {
      if (done) return;
      done = true;
      ws.close(1000);
      if (code instanceof Error) reject(code);
      else resolve(code);
    };
    const send = (type: 'hello' | 'subscribe', payload: object): void => {
      ws.send(JSON.stringify(makeCommand(type, payload as never, { sessionId, from: 'user', id: `cli-${type}` })));
    };
    ws.once('open', () => send('hello', { clientName: 'pushpals-cli', clientVersion: SERVER_VERSION }));
    ws.once('unexpected-response', (_req, res) => finish(new PushPalsError(res.statusCode === 401 ? 'unauthorized' : 'internal', `the orchestrator at ${t.url} refused the WebSocket (HTTP ${res.statusCode})`)));
    ws.once('error', (e) => finish(new PushPalsError('not_found', `cannot reach the orchestrator at ${wsUrl}: ${e.message}`)));
    ws.once('close', (code) => finish(new PushPalsError('internal', `the orchestrator closed the connection (${code}) before task ${taskId} ended`)));
    ws.on('message', (data) => {
      const parsed = parseFrame(String(data), validateServerMessage);
      if (!parsed.ok) return finish(new PushPalsError('invalid_message', `the orchestrator sent a malformed frame: ${parsed.error.message}`));
      const m = parsed.value as { type: string; correlationId?: string; payload: unknown };
      if (m.type === 'command_error') return finish(new PushPalsError('internal', `the orchestrator refused ${m.correlationId}: ${JSON.stringify(m.payload)}`));
      if (m.type === 'ack') {
        if (m.correlationId === 'cli-hello') send('subscribe', { afterSeq: 0, taskId });
        return;
      }
      const e = m as EventMessage;
      if ((e.payload as { taskId?: string }).taskId !== taskId) return;
      const line = json ? JSON.stringify(e) : formatEvent(e);
      if (line !== undefined) out(line);
      if (TERMINAL.has(e.type)) finish(e.type === 'task_completed' ? 0 : 1);
    });
  });
}
