/**
 * The coding agent's conversation with its model, persisted per task as it grows (migration 005:
 * `agent_messages`, one row per message; `agent_file_originals`, each changed file's content before
 * the first change). A run that a restart cut off resumes from here: the model calls it already
 * made are not made (nor paid for) again.
 */
import type { Db } from '../../store/db';
import { stmt } from '../../store/statements';
import type { ChatMessage } from '../../model/client';

export class Conversation {
  readonly messages: ChatMessage[] = [];

  private constructor(
    private readonly db: Db,
    readonly taskId: string,
  ) {}

  /** The task's stored conversation (empty for a first run) and the originals of the files it changed. */
  static load(db: Db, taskId: string): { conversation: Conversation; originals: Map<string, string | undefined> } {
    const c = new Conversation(db, taskId);
    for (const r of stmt(db, 'SELECT json FROM agent_messages WHERE task_id = ? ORDER BY idx').all(taskId) as Array<{ json: string }>) c.messages.push(JSON.parse(r.json) as ChatMessage);
    const originals = new Map<string, string | undefined>();
    for (const r of stmt(db, 'SELECT path, content FROM agent_file_originals WHERE task_id = ?').all(taskId) as Array<{ path: string; content: string | null }>) originals.set(r.path, r.content ?? undefined);
    return { conversation: c, originals };
  }

  /** Appends and stores at once (one small autocommitted row: a crash right after keeps it). */
  push(...messages: ChatMessage[]): void {
    for (const m of messages) {
      stmt(this.db, 'INSERT INTO agent_messages (task_id, idx, json) VALUES (?, ?, ?)').run(this.taskId, this.messages.length, JSON.stringify(m));
      this.messages.push(m);
    }
  }

  rememberOriginal(rel: string, content: string | undefined): void {
    stmt(this.db, 'INSERT OR IGNORE INTO agent_file_originals (task_id, path, content) VALUES (?, ?, ?)').run(this.taskId, rel, content ?? null);
  }

  /** Model turns taken so far. */
  get steps(): number {
    return this.messages.filter((m) => m.role === 'assistant').length;
  }

  /**
   * Tool calls of the last model turn that have no result yet (the run was cut off while they ran),
   * with their names; answered natively (`tool` messages) or, in JSON mode, as "Result of tool call".
   */
  unanswered(): Array<{ id: string; name: string; arguments: string }> {
    let lastAssistant = this.messages.length - 1;
    while (lastAssistant >= 0 && this.messages[lastAssistant]?.role !== 'assistant') lastAssistant--;
    const turn = this.messages[lastAssistant];
    if (!turn || turn.role !== 'assistant' || !turn.tool_calls?.length) return [];
    const after = this.messages.slice(lastAssistant + 1);
    const answered = (id: string) => after.some((m) => (m.role === 'tool' && m.tool_call_id === id) || (m.role === 'user' && typeof m.content === 'string' && m.content.startsWith(`Result of tool call `) && m.content.includes(`(${id})`)));
    return turn.tool_calls.filter((c) => c.type === 'function' && !answered(c.id)).map((c) => ({ id: c.id, name: c.type === 'function' ? c.function.name : '', arguments: c.type === 'function' ? c.function.arguments : '' }));
  }

  /** Forgets the conversation (the task ended: nothing will resume it). */
  clear(): void {
    stmt(this.db, 'DELETE FROM agent_messages WHERE task_id = ?').run(this.taskId);
    stmt(this.db, 'DELETE FROM agent_file_originals WHERE task_id = ?').run(this.taskId);
  }
}
