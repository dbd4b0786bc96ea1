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

/** Where a text was cut to fit the body (visible in the pull request). */
export const CUT_MARKER = '… (cut)';

/** `text` in at most `max` characters (the marker included) when longer: cut at a line end when one is near. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - CUT_MARKER.length - 1);
  const nl = text.lastIndexOf('\n', room);
  return `${text.slice(0, nl > room * 0.8 ? nl : room).trimEnd()}\n${CUT_MARKER}`;
}

interface BodyParts {
  extra: string;
  request: string;
  plan: string;
  checks: string[];
}

function assemble(p: BodyParts, taskId: string, commit: { sha: string; message: string }): string {
  return [
    p.extra ? `${p.extra}\n` : '',
    '## Request',
    '',
    p.request,
    '',
    ...(p.plan ? ['## Plan', '', p.plan, ''] : []),
    '## Commit',
    '',
    `- ${commit.sha} ${commit.message.split('\n')[0]?.slice(0, 500) ?? ''}`,
    '',
    '## Checks',
    '',
    ...(p.checks.length ? p.checks : ['- none were run on this change']),
    '',
    '## Audit',
    '',
    `Every tool call of this task is in PushPals' hash-chained audit trail; its receipt: \`${receiptLine(taskId)}\``,
    '',
  ]
    .join('\n')
    .trimStart();
}

/**
 * The body, at most MAX_BODY characters. Over it, the free text gives way — the extra text a
 * `pr_request` brought, then the plan's summary, then the request, each cut with a visible marker —
 * never the commit, the audit receipt or (unless they alone are too many) the check lines.
 */
export function pullRequestBody(db: Db, task: TaskRecord, commit: { sha: string; message: string }, extra?: string): string {
  const plan = planSummary(db, task.id);
  const parts: BodyParts = { extra: extra ?? '', request: task.request.split('\n').map((l) => `> ${l}`).join('\n'), plan: plan ?? '', checks: checkLines(db, task.id) };
  let body = assemble(parts, task.id, commit);
  for (const k of ['extra', 'plan', 'request'] as const) {
    const over = body.length - MAX_BODY;
    if (over <= 0) return body;
    if (!parts[k]) continue;
    parts[k] = clip(parts[k], parts[k].length - over);
    body = assemble(parts, task.id, commit);
  }
  // Still over: thousands of check results. The first ones stay, then how many more there were.
  const over = body.length - MAX_BODY;
  if (over > 0) {
    const all = parts.checks;
    const more = (n: number) => `- ${CUT_MARKER}: ${n} more check results (all of them are in the receipt)`;
    let keep = all.length;
    let freed = 0;
    while (keep > 0 && freed < over + more(all.length).length + 1) freed += (all[--keep]?.length ?? 0) + 1;
    parts.checks = [...all.slice(0, keep), more(all.length - keep)];
    body = assemble(parts, task.id, commit);
  }
  return body;
}
