/**
 * The ONE contract between the chat webview and its host (the VS Code extension; a phone page's
 * adapter later). Both sides import these types; the guards below check what crosses the boundary at run
 * time (postMessage is untyped). Server events travel as protocol `EventMessage`s, already validated
 * by the host with the protocol's validators.
 */
import type { DraftView, EventMessage, TransientMessage } from '@pushpals/protocol/client';

export type ConnectionView = {
  state: 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed';
  detail?: string;
  url?: string;
};

/** Host → webview. */
export type HostToWebview =
  /** Answer to `ready`: the whole history so far and the replies being written (the webview rebuilds its view from them). */
  | { type: 'init'; events: EventMessage[]; drafts?: DraftView[]; connection: ConnectionView; sessionId: string }
  /** New events, in seq order, each exactly once. */
  | { type: 'events'; events: EventMessage[] }
  /** A transient message: a piece of a chat reply being written (validated by the host, never replayed). */
  | { type: 'transient'; message: TransientMessage }
  /** The server's log was reset (new data dir): drop everything. */
  | { type: 'reset' }
  | { type: 'connection'; connection: ConnectionView }
  /** Outcome of a webview request (`requestId` echoes the webview's). */
  | { type: 'result'; requestId: string; ok: boolean; error?: string }
  | { type: 'focusTask'; taskId: string };

/** Webview → host. */
export type WebviewToHost =
  | { type: 'ready'; lastSeq: number }
  | { type: 'chat'; requestId: string; text: string }
  | { type: 'newTask'; requestId: string; request: string }
  | { type: 'decide'; requestId: string; approvalId: string; decision: 'approve' | 'deny' }
  | { type: 'cancel'; requestId: string; taskId: string }
  /** Pause or resume a task (task_pause / task_resume). */
  | { type: 'pause' | 'resume'; requestId: string; taskId: string }
  | { type: 'audit'; taskId: string }
  /** Open the task's diff for review (inline, with Accept/Reject per hunk). */
  | { type: 'review'; taskId: string }
  /** Push the committed task branch / open a pull request (each waits for its own approval). */
  | { type: 'push'; taskId: string }
  | { type: 'pullRequest'; taskId: string }
  | { type: 'connect' }
  /** Performance probe (benchmarks/tests): first paint and render timings. */
  | { type: 'metrics'; name: string; ms: number; detail?: Record<string, number> };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Run-time check of a message from the host (shape only; events were validated by the host). */
export function isHostToWebview(v: unknown): v is HostToWebview {
  if (!isObj(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'init':
      return Array.isArray(v.events) && isObj(v.connection) && typeof v.sessionId === 'string' && (v.drafts === undefined || Array.isArray(v.drafts));
    case 'events':
      return Array.isArray(v.events);
    case 'transient':
      return isObj(v.message) && typeof v.message.type === 'string';
    case 'reset':
      return true;
    case 'connection':
      return isObj(v.connection);
    case 'result':
      return typeof v.requestId === 'string' && typeof v.ok === 'boolean';
    case 'focusTask':
      return typeof v.taskId === 'string';
    default:
      return false;
  }
}
