/**
 * Token accounting: what each model call cost, and a per-task budget that stops the work cleanly
 * (a `budget_exceeded` error) once spent. A task's spending survives restarts: it is summed from the
 * audit trail's `model_call` entries, where every call is recorded anyway.
 */
import { createHash } from 'node:crypto';
import { PushPalsError } from '../errors';
import type { Db } from '../store/db';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** True when the server reported no usage and the counts were estimated from the text. */
  estimated: boolean;
}

export const totalTokens = (u: Usage): number => u.promptTokens + u.completionTokens;

/** A rough count for servers that report no usage: ~4 characters per token. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The audit action of a model call (see model/audit.ts). */
export const MODEL_CALL_ACTION = 'model_call';

/** Tokens already spent on a task (all runs), from the audit trail. */
export function tokensSpentByTask(db: Db, taskId: string): number {
  const n = db
    .prepare(`SELECT COALESCE(SUM(json_extract(data, '$.totalTokens')), 0) FROM audit_log WHERE task_id = ? AND action = ?`)
    .pluck()
    .get(taskId, MODEL_CALL_ACTION) as number;
  return Number(n) || 0;
}

/** A task's token budget. `check()` before a call, `charge()` after it. */
export class TokenBudget {
  constructor(
    readonly limit: number,
    private spent = 0,
  ) {}

  get used(): number {
    return this.spent;
  }

  get remaining(): number {
    return Math.max(0, this.limit - this.spent);
  }

  charge(u: Usage): void {
    this.spent += totalTokens(u);
  }

  /** Throws budget_exceeded when nothing is left: no further model call may start. */
  check(): void {
    if (this.spent >= this.limit) {
      throw new PushPalsError('budget_exceeded', `the task's token budget is spent (${this.spent} of ${this.limit} tokens): raise agent.tokenBudget (or PUSHPALS_AGENT_TOKEN_BUDGET) to let it continue`, {
        used: this.spent,
        limit: this.limit,
      });
    }
  }
}
