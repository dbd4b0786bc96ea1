/**
 * The pull request's text: the task's request, the plan's summary (if it was planned), the commit,
 * the checks as the event log has them (the latest `diff_ready`'s evidence and the task's
 * `check_result`s: what exists, nothing made up) and how to get the audit receipt.
 */
import type { EventPayload } from '@pushpals/protocol';
import type { Db } from '../store/db';
import type { TaskRecord } from '../tasks/task-store';

type Check = { name: string; command: string; status: string; counts?: { passed: number; failed: number; skipped: number } | undefined; phase?: string | undefined };

const MAX_BODY = 60_000; // GitHub's limit is 65 536 characters

function line(c: Check): string {
  const counts = c.counts ? ` (${c.counts.passed} passed, ${c.counts.failed} failed, ${c.counts.skipped} skipped)` : '';
  return `- ${c.status === 'passed' ? '✅' : '❌'} ${c.name}: \`${c.command.replace(/`/g, "'").slice(0, 200)}\` ${c.status}${counts}${c.phase ? ` — on the ${c.phase} tree` : ''}`;
}

/** The checks of the task: the evidence of its latest diff, then each `check_result` after it. */
export function checkLines(db: Db, taskId: string): string[] {
  const diff = db.prepare("SELECT seq, json FROM events WHERE task_id = ? AND type = 'diff_ready' ORDER BY seq DESC LIMIT 1").get(taskId) as { seq: number; json: string } | undefined;
  const out: string[] = [];
  const evidence = diff ? (JSON.parse(diff.json) as { payload: EventPayload<'diff_ready'> }).payload.evidence : undefined;
  if (evidence) {
    out.push(...evidence.checks.map((c) => line(c)));
    if (evidence.before?.length) out.push(`- before the change, on the base: ${evidence.before.map((c) => `${c.name} ${c.status}${c.counts ? ` (${c.counts.failed} failed)` : ''}`).join(', ')}`);
  }
  const results = db.prepare("SELECT json FROM events WHERE task_id = ? AND type = 'check_result' AND seq > ? ORDER BY seq").all(taskId, diff?.seq ?? 0) as Array<{ json: string }>;
  out.push(...results.map((r) => line((JSON.parse(r.json) as { payload: EventPayload<'check_result'> }).payload)));
  return out;
}

export function planSummary(db: Db, taskId: string): string | undefined {
  try {
    return (db.prepare('SELECT summary FROM plans WHERE task_id = ?').pluck().get(taskId) as string | undefined) ?? undefined;
  } catch {
    return undefined; // a database without the team's tables
  }
}

export const receiptLine = (taskId: string): string => `pushpals audit receipt --task ${taskId}`;

export function pullRequestBody(db: Db, task: TaskRecord, commit: { sha: string; message: string }, extra?: string): string {
  const checks = checkLines(db, task.id);
  const plan = planSummary(db, task.id);
  const parts = [
    extra ? `${extra}\n` : '',
    '## Request',
    '',
    task.request.split('\n').map((l) => `> ${l}`).join('\n'),
    '',
    ...(plan ? ['## Plan', '', plan, ''] : []),
    '## Commit',
    '',
    `- ${commit.sha} ${commit.message.split('\n')[0] ?? ''}`,
    '',
    '## Checks',
    '',
    ...(checks.length ? checks : ['- none were run on this change']),
    '',
    '## Audit',
    '',
    `Every tool call of this task is in PushPals' hash-chained audit trail; its receipt: \`${receiptLine(task.id)}\``,
    '',
  ];
  const body = parts.join('\n').trimStart();
  return body.length > MAX_BODY ? `${body.slice(0, MAX_BODY)}\n…` : body;
}
