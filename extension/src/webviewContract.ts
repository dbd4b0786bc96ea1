/**
 * Run-time guard for messages from the chat webview; the types are the shared contract in
 * webview-ui/src/messages.ts (imported as types only: the webview is bundled separately).
 */
import type { ConnectionView, HostToWebview, WebviewToHost } from '../../webview-ui/src/messages';

export type { ConnectionView, HostToWebview, WebviewToHost };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max = 65536): v is string => typeof v === 'string' && v.length <= max;
const nonEmpty = (v: unknown, max = 65536): v is string => str(v, max) && v.trim().length > 0;

/** Run-time check of a message from the webview (the host never trusts it blindly). */
export function isWebviewToHost(v: unknown): v is WebviewToHost {
  if (!isObj(v) || typeof v.type !== 'string') return false;
  switch (v.type) {
    case 'ready':
      return typeof v.lastSeq === 'number' && Number.isInteger(v.lastSeq) && v.lastSeq >= 0;
    case 'chat':
      return str(v.requestId, 128) && nonEmpty(v.text);
    case 'newTask':
      return str(v.requestId, 128) && nonEmpty(v.request);
    case 'decide':
      return str(v.requestId, 128) && nonEmpty(v.approvalId, 128) && (v.decision === 'approve' || v.decision === 'deny');
    case 'cancel':
    case 'pause':
    case 'resume':
      return str(v.requestId, 128) && nonEmpty(v.taskId, 128);
    case 'audit':
    case 'review':
    case 'push':
    case 'pullRequest':
      return nonEmpty(v.taskId, 128);
    case 'connect':
      return true;
    case 'metrics':
      return str(v.name, 128) && typeof v.ms === 'number';
    default:
      return false;
  }
}

