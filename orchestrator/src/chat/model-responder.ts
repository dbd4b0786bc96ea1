/**
 * The chat assistant when a chat model is configured: "status", "help" and "/task ..." are still
 * answered at once by the built-in responder (no model); anything else goes to the chat model with
 * the session's recent conversation and a snapshot of the tasks. Runs after the ack like every
 * responder, so the chat never waits; a model failure becomes a typed `error` event for the turn.
 * The reply streams: its pieces go to the session's clients as transient `assistant_delta`s
 * (chat/drafts.ts, coalesced), and only the finished reply is stored, as one `assistant_message`
 * whose id the pieces announced.
 */
import { MAX_TEXT_LENGTH } from '@pushpals/protocol';
import type { AuditLog } from '../audit';
import { auditModelCalls } from '../model/audit';
import type { ChatMessage } from '../model/client';
import type { ModelRegistry } from '../model/registry';
import { PushPalsError } from '../errors';
import { builtinResponder, isBuiltinChatCommand, statusText, type ChatResponder, type ChatServices } from './responder';

const HISTORY_TURNS = 20;

const SYSTEM = [
  'You are PushPals, a coding team that works on the person\'s repository: agents in sandboxes make changes and ask before anything risky.',
  'Answer briefly. To start work on the code, the person sends "/task <what to do>" (or uses "PushPals: New Task"); say so when they ask for a change.',
  'You cannot see the code from this chat. Current tasks:',
].join('\n');

/** The session's last user/assistant messages, oldest first (the current message included). */
function recentConversation(services: Pick<ChatServices, 'db'>, sessionId: string): ChatMessage[] {
  const rows = services.db
    .prepare(`SELECT type, json FROM events WHERE session_id = ? AND type IN ('user_message', 'assistant_message') ORDER BY seq DESC LIMIT ?`)
    .all(sessionId, HISTORY_TURNS) as Array<{ type: string; json: string }>;
  return rows.reverse().map((r) => {
    const text = (JSON.parse(r.json) as { payload?: { text?: string } }).payload?.text ?? '';
    return r.type === 'user_message' ? { role: 'user', content: text } : { role: 'assistant', content: text };
  });
}

export function modelChatResponder(models: ModelRegistry, audit: AuditLog | undefined): ChatResponder {
  return async (turn, services) => {
    if (isBuiltinChatCommand(turn.text)) return builtinResponder(turn, services);
    const client = models.client('chat', audit ? { onCall: auditModelCalls(audit, { actor: 'orchestrator' }) } : {});
    const draft = services.chat.drafts.start({ sessionId: turn.sessionId, turnId: turn.turnId, from: 'orchestrator' });
    try {
      const reply = await client.chat({
        messages: [{ role: 'system', content: `${SYSTEM}\n${statusText(services)}` }, ...recentConversation(services, turn.sessionId)],
        stream: true,
        onText: (piece) => draft.push(piece),
      });
      const text = reply.text.trim() || '(the model gave an empty answer)';
      draft.close(); // no piece may follow the stored reply
      services.events.append({ id: draft.messageId, type: 'assistant_message', sessionId: turn.sessionId, turnId: turn.turnId, from: 'orchestrator', payload: { text: text.slice(0, MAX_TEXT_LENGTH), format: 'markdown' } });
    } catch (e) {
      draft.close();
      const info = e instanceof PushPalsError ? e.toInfo() : { code: 'model_error' as const, message: 'the chat model failed (see the orchestrator log)' };
      services.logger.warn('chat model failed', { error: info.message });
      services.events.append({ type: 'error', sessionId: turn.sessionId, turnId: turn.turnId, payload: { error: { ...info, message: info.message.slice(0, 4096) } } });
    }
    services.events.append({ type: 'done', sessionId: turn.sessionId, turnId: turn.turnId, payload: {} });
  };
}
