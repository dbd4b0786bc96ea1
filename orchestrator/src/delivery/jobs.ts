/**
 * The delivery jobs (one attempt each; a restart re-runs them and finds their approvals again by key):
 * `delivery.push` — the push step; `delivery.pr` — the push step when the branch is not on the remote
 * yet (its own `push` approval), then the pull request step (pr-step.ts: open one, or update the open one).
 * Without a forge token (or a remote the forge cannot be told from) the branch is pushed and a log says
 * that no pull request was opened: that is not a failure of the push.
 */
import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import { PushPalsError, toErrorInfo } from '../errors';
import type { JobRecord } from '../queue/types';
import type { JobContext } from '../queue/worker';
import { makeTaskContext } from '../tasks/task-runner';
import type { DeliveryDeps } from './deps';
import { forgeRepoConfig, readForgeToken } from './forge-config';
import { pullRequestWithApproval } from './pr-step';
import { ACTOR, pushWithApproval } from './push-step';
import { parseForgeRemote, type ForgeRepo, type PushRemote } from './remote';

export const PUSH_QUEUE = 'delivery.push';
export const PR_QUEUE = 'delivery.pr';

export interface PushJobPayload {
  taskId: string;
  remote?: string;
}
export interface PrJobPayload {
  taskId: string;
  title?: string;
  body?: string;
  base?: string;
}

/** Runs a delivery job's body with the task's context; a failure becomes the task's `error` event. */
async function asTaskJob(deps: DeliveryDeps, job: JobRecord, jctx: JobContext, what: string, run: (ctx: TaskContext) => Promise<void>): Promise<void> {
  const taskId = (job.payload as { taskId?: unknown } | null)?.taskId;
  if (typeof taskId !== 'string') throw new PushPalsError('invalid_message', `${job.queue} job ${job.id} has no taskId`);
  const task = deps.services.tasks.get(taskId);
  if (!task) return;
  const ctx = makeTaskContext(deps.services, task, ACTOR, job, jctx);
  try {
    await run(ctx);
  } catch (e) {
    if (jctx.signal.aborted) throw e;
    const info = e instanceof PushPalsError ? e.toInfo() : toErrorInfo(e);
    deps.services.logger.warn(`${what} failed`, { taskId, error: info.message });
    ctx.emit('error', { taskId, error: { ...info, message: `${what} failed: ${info.message}`.slice(0, MAX_MESSAGE_LENGTH) } });
  }
}

export function runPushJob(deps: DeliveryDeps, job: JobRecord, jctx: JobContext): Promise<void> {
  const p = job.payload as PushJobPayload;
  return asTaskJob(deps, job, jctx, 'Push', async (ctx) => {
    await pushWithApproval(deps, ctx, job.id, p.remote);
  });
}

/** Where the pull request goes: config `forge.repos.<repo>` over what the remote URL says. */
export function forgeOf(deps: DeliveryDeps, repo: { id: string; name: string }, remote: PushRemote): ForgeRepo | undefined {
  const cfg = forgeRepoConfig(deps.services.config.forge, repo);
  const parsed = remote.target.kind === 'http' ? parseForgeRemote(remote.target.url) : undefined;
  const [owner, name] = cfg.repository?.split('/') ?? [parsed?.owner, parsed?.repo];
  const apiBaseUrl = cfg.apiBaseUrl ?? parsed?.apiBaseUrl;
  return owner && name && apiBaseUrl ? { owner, repo: name, apiBaseUrl } : undefined;
}

export function runPrJob(deps: DeliveryDeps, job: JobRecord, jctx: JobContext): Promise<void> {
  const p = job.payload as PrJobPayload;
  return asTaskJob(deps, job, jctx, 'Pull request', async (ctx) => {
    const { services, wb } = deps;
    const task = ctx.task;
    const repo = wb.resolveRepo(task.repoId);
    const note = (message: string, level: 'info' | 'warn' = 'info'): void => void ctx.emit('log', { level, message: message.slice(0, MAX_MESSAGE_LENGTH), taskId: task.id });
    const pushed = await pushWithApproval(deps, ctx, job.id, undefined);
    if (!pushed) {
      note('No pull request was opened: its branch was not pushed.');
      return;
    }
    const forge = forgeOf(deps, repo, pushed.remote);
    const token = readForgeToken(services.config.dataDir, services.config.forge, repo, deps.env);
    if (!forge || !token.value) {
      const why = !forge
        ? `${pushed.remote.shown} is not a GitHub URL and forge.repos.${repo.name} names no "repository" and "apiBaseUrl" in the config`
        : `no forge token for ${repo.name} (set one with "pushpals forge token set --repo ${repo.name}", or the env variable ${forgeRepoConfig(services.config.forge, repo).tokenEnv ?? services.config.forge.tokenEnv})`;
      note(`${pushed.branch} was pushed to ${pushed.remote.name}; no pull request was opened: ${why}.`);
      wb.audit.append({ taskId: task.id, actor: ACTOR, action: 'pr_skipped', data: { reason: why, branch: pushed.branch, sha: pushed.sha } });
      return;
    }
    wb.audit.addSecret(token.value);
    await pullRequestWithApproval(deps, ctx, job.id, pushed, forge, { ...token, value: token.value }, p);
  });
}
