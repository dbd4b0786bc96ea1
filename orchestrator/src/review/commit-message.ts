/**
 * The proposed commit message: written by the chat model when one is configured (audited like every
 * model call), else made from the task. Either way the person sees it in the approval and may edit it.
 */
import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import { auditModelCalls } from '../model/audit';
import type { TaskRecord } from '../tasks/task-store';
import type { CommitPlan } from './commit-plan';
import type { ReviewDeps } from './deps';

const MAX_DIFF_CHARS = 24_000;

export async function proposeCommitMessage(deps: ReviewDeps, task: TaskRecord, plan: CommitPlan): Promise<string> {
  const fallback = messageFromTask(task, plan);
  if (!deps.models?.configured('chat')) return fallback;
  try {
    const client = deps.models.client('chat', { onCall: auditModelCalls(deps.wb.audit, { actor: 'orchestrator', taskId: task.id }) });
    const reply = await client.chat({
      messages: [
        { role: 'system', content: 'Write a git commit message for the diff: a subject line of at most 72 characters in the imperative mood, a blank line, then at most 5 short lines saying why. Output only the message.' },
        { role: 'user', content: `Task: ${task.request.slice(0, 2000)}\n\nDiff:\n${plan.diff.slice(0, MAX_DIFF_CHARS)}` },
      ],
    });
    const text = reply.text.trim().replace(/^```\w*\n?|\n?```$/g, '').trim();
    return text ? text.slice(0, MAX_MESSAGE_LENGTH) : fallback;
  } catch (e) {
    deps.services.logger.warn('the chat model could not propose a commit message: using the task', { taskId: task.id, error: e });
    return fallback;
  }
}

/** Subject: the task's title (at most 72 characters); body: what was asked and what is in the commit. */
export function messageFromTask(task: TaskRecord, plan: CommitPlan): string {
  const title = task.title.split('\n')[0]!.trim() || 'PushPals change';
  const subject = title.length > 72 ? `${title.slice(0, 71)}…` : title;
  const total = plan.accepted.length + plan.rejected;
  const body = [
    task.request.trim() !== title ? `Requested: ${task.request.trim().split('\n')[0]!.slice(0, 200)}` : undefined,
    `${plan.accepted.length} of ${total} proposed hunk(s), in ${plan.files.join(', ')}.`,
    `Task ${task.id} (PushPals).`,
  ].filter((l): l is string => l !== undefined);
  return `${subject}\n\n${body.join('\n')}`.slice(0, MAX_MESSAGE_LENGTH);
}
