/** push_request and pr_request: checked now (a commit exists), then a durable job asks for the approvals. */
import { pullRequestTextProblem } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { loadReview } from '../review/review-state';
import type { TaskRecord } from '../tasks/task-store';
import type { DeliveryDeps } from './deps';
import { PR_QUEUE, PUSH_QUEUE } from './jobs';
import { resolvePushRemote } from './remote';

function requireCommitted(deps: DeliveryDeps, taskId: string): TaskRecord {
  const task = deps.services.tasks.require(taskId);
  if (!loadReview(deps.services, taskId)?.committed) throw new PushPalsError('conflict', `task ${taskId} has no commit yet: review its diff and approve the commit first`);
  return task;
}

/** Enqueues a delivery job unless one of the same queue is active for the task; returns its id. */
function enqueueOnce(deps: DeliveryDeps, queue: string, task: TaskRecord, payload: Record<string, unknown>): string {
  const active = deps.services.db.prepare(`SELECT id FROM jobs WHERE queue = ? AND task_id = ? AND state IN ('queued', 'running') LIMIT 1`).pluck().get(queue, task.id) as string | undefined;
  if (active) return active;
  return deps.services.queue.enqueue({ queue, payload, taskId: task.id, sessionId: task.sessionId, maxAttempts: 1 }).job.id;
}

export function registerDeliveryCommands(deps: DeliveryDeps): void {
  deps.services.registerCommandHandler('push_request', async (cmd) => {
    const { taskId, remote } = cmd.payload;
    const task = requireCommitted(deps, taskId);
    // A refspec or a second argument is not a remote: the target is always pushpals/<task>.
    if (remote !== undefined && (/[\s:^~?*[\\]/.test(remote) || remote.startsWith('-') || remote.startsWith('+'))) {
      throw new PushPalsError('invalid_message', `"${remote.slice(0, 100)}" is not a remote name or URL: a task branch is pushed only as pushpals/${taskId}, never to another branch`, undefined, '/payload/remote');
    }
    await resolvePushRemote(deps.wb.resolveRepo(task.repoId), remote); // an unknown or ssh remote: refused now, with the choices
    return { taskId, jobId: enqueueOnce(deps, PUSH_QUEUE, task, { taskId, ...(remote ? { remote } : {}) }) };
  });
  deps.services.registerCommandHandler('pr_request', (cmd) => {
    const { taskId, title, body, base } = cmd.payload;
    const task = requireCommitted(deps, taskId);
    if (base !== undefined && !/^[A-Za-z0-9_./-]+$/.test(base)) throw new PushPalsError('invalid_message', `"${base.slice(0, 100)}" is not a branch name`, undefined, '/payload/base');
    const problem = pullRequestTextProblem({ title, body });
    if (problem) throw new PushPalsError('invalid_message', problem, undefined, title !== undefined && pullRequestTextProblem({ title }) ? '/payload/title' : '/payload/body');
    return { taskId, jobId: enqueueOnce(deps, PR_QUEUE, task, { taskId, ...(title ? { title } : {}), ...(body ? { body } : {}), ...(base ? { base } : {}) }) };
  });
}
