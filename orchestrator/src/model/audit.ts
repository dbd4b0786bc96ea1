/** Model calls into the audit trail: that a call happened, its cost and hashes — never its text or the key. */
import type { AuditLog } from '../audit';
import { MODEL_CALL_ACTION, totalTokens } from './accounting';
import type { ModelCallRecord } from './client';

export function auditModelCalls(audit: AuditLog, who: { taskId?: string | null; actor: string }): (r: ModelCallRecord) => void {
  return (r) => {
    audit.append({
      taskId: who.taskId ?? null,
      actor: who.actor,
      action: MODEL_CALL_ACTION,
      durationMs: r.latencyMs,
      data: {
        role: r.role,
        model: r.model,
        ok: r.ok,
        stream: r.stream,
        attempts: r.attempts,
        promptTokens: r.usage?.promptTokens ?? 0,
        completionTokens: r.usage?.completionTokens ?? 0,
        totalTokens: r.usage ? totalTokens(r.usage) : 0,
        usageEstimated: r.usage?.estimated ?? false,
        promptSha256: r.promptSha256,
        replySha256: r.replySha256 ?? null,
        toolCallSource: r.toolCallSource ?? null,
        toolCalls: r.toolCalls ?? 0,
        error: r.error ?? null,
      },
    });
  };
}
