/**
 * The pull request of a pushed task branch, behind its own approval of kind `pr`: the branch's pull
 * requests are looked up first (a refused token is known before anyone is asked), the approval proposes
 * the title and body (editable when approving) and says whether it opens one or updates the open one;
 * approved → create or update → `pr_opened` (`updated` when it was updated) and an audit row with the
 * text that was sent. A forge failure after the approval is audited (`pr_failed`) and thrown; the
 * pushed branch stays as it is.
 */
import { MAX_MESSAGE_LENGTH, MAX_PR_TITLE_LENGTH, MAX_TITLE_LENGTH, pullRequestTextProblem } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import { PushPalsError } from '../errors';
import { loadReview } from '../review/review-state';
import type { DeliveryDeps } from './deps';
import { forgeRepoConfig, type ForgeToken } from './forge-config';
import { isAlreadyExists, type TokenOrigin } from './forge-errors';
import { GitHubPulls, type PullRequestInfo, type PullRequestText } from './github';
import { pullRequestBody } from './pr-body';
import { ACTOR, type PushDone } from './push-step';
import type { ForgeRepo } from './remote';

export interface PrOptions {
  title?: string;
  body?: string;
  base?: string;
}

/** A title GitHub takes: the commit's subject may be longer than 256 characters. */
const clipTitle = (t: string): string => (t.length > MAX_PR_TITLE_LENGTH ? `${t.slice(0, MAX_PR_TITLE_LENGTH - 1)}…` : t);

/** How to replace a token from where it came from, for the forge's errors. */
export function tokenOrigin(deps: DeliveryDeps, repo: { id: string; name: string }, token: ForgeToken): TokenOrigin {
  const env = forgeRepoConfig(deps.services.config.forge, repo).tokenEnv ?? deps.services.config.forge.tokenEnv;
  const fix = token.source.startsWith('env ')
    ? `set a valid token in the ${token.source.slice(4)} environment variable of the orchestrator (it is read before the token file)`
    : `store a valid one with "pushpals forge token set --repo ${repo.name}" (or set the ${env} environment variable)`;
  return { source: token.source, fix, repoName: repo.name };
}

/** The approved text: the person's edits over the proposal, checked once more against GitHub's limits. */
function approvedText(proposed: PullRequestText, decision: Record<string, unknown> | undefined): PullRequestText & { edited: boolean } {
  const title = typeof decision?.title === 'string' ? decision.title.trim() : proposed.title;
  const body = typeof decision?.body === 'string' ? decision.body : proposed.body;
  const problem = pullRequestTextProblem({ title, body });
  if (problem) throw new PushPalsError('invalid_message', `${problem}: nothing was sent to the forge`);
  return { title, body, edited: title !== proposed.title || body !== proposed.body };
}

export async function pullRequestWithApproval(deps: DeliveryDeps, ctx: TaskContext, jobId: string, pushed: PushDone, forge: ForgeRepo, token: ForgeToken & { value: string }, p: PrOptions): Promise<void> {
  const { services, wb } = deps;
  const task = ctx.task;
  const repo = wb.resolveRepo(task.repoId);
  const note = (message: string, level: 'info' | 'warn' = 'info'): void => void ctx.emit('log', { level, message: message.slice(0, MAX_MESSAGE_LENGTH), taskId: task.id });
  const where = `${forge.owner}/${forge.repo}`;
  const base = p.base ?? repo.defaultBranch;
  const pulls = await GitHubPulls.connect(forge, token.value, tokenOrigin(deps, repo, token), ctx.signal);

  const committed = loadReview(services, task.id)?.committed;
  const proposed: PullRequestText = {
    title: clipTitle(p.title ?? committed?.message.split('\n')[0] ?? task.title),
    body: pullRequestBody(services.db, task, { sha: pushed.sha, message: committed?.message ?? '' }, p.body),
  };
  const found = await pulls.ofBranch(pushed.branch).catch((e: unknown) => {
    throw stays(e, pushed, 'nothing was asked');
  });
  const existing = found.open;
  if (found.closed) note(`Pull request #${found.closed.number} of ${pushed.branch} is ${found.closed.merged ? 'merged' : 'closed'} (${found.closed.url}): a new one is proposed.`);
  const moveBase = existing && existing.base !== base ? base : undefined;

  const what = existing ? `Update pull request #${existing.number} on ${where}` : `Open a pull request on ${where}`;
  const approval = await ctx.requestApproval({
    key: `pr:${pushed.sha}:${base}:${jobId}`,
    kind: 'pr',
    title: `${what}: ${pushed.branch} → ${base}`.slice(0, MAX_TITLE_LENGTH),
    reason: (existing
      ? `Updates the open pull request #${existing.number} (${existing.url}) of ${pushed.branch} (now at ${pushed.sha.slice(0, 12)}) on ${where} (API ${forge.apiBaseUrl}): its title and body become the ones below${moveBase ? `, and its base moves from ${existing.base} to ${base}` : ''}.`
      : `Opens a pull request "${proposed.title}" on ${where} (API ${forge.apiBaseUrl}) from ${pushed.branch} (${pushed.sha.slice(0, 12)}) into ${base}.`) +
      ` With the forge token (${token.source}). The title and body can be edited when approving. Nothing is merged; no branch moves.`,
    risk: 'low',
    message: `${proposed.title}\n\n${proposed.body}`.slice(0, MAX_MESSAGE_LENGTH),
    pullRequest: { ...proposed, ...(existing ? { number: existing.number } : {}) },
  });
  if (approval.state !== 'approved') {
    wb.audit.append({ taskId: task.id, actor: approval.decidedBy ?? ACTOR, action: 'pr_denied', approvalId: approval.id, data: { state: approval.state, repository: where, head: pushed.branch, base } });
    note(`Pull request ${approval.state}: ${existing ? `#${existing.number} was not updated` : 'none was opened'} (${pushed.branch} stays pushed).`);
    return;
  }
  // A restarted job finds the approval by its key: the text it proposed then is the one approved.
  const text = approvedText(approval.pullRequest ? { title: approval.pullRequest.title, body: approval.pullRequest.body } : proposed, approval.decisionDetails);
  const actor = approval.decidedBy ?? ACTOR;
  const auditData = { repository: where, apiBaseUrl: forge.apiBaseUrl, head: pushed.branch, base, sha: pushed.sha, title: text.title, body: text.body, edited: text.edited };
  let pr: PullRequestInfo;
  let updated: boolean;
  try {
    // Looked up again: what is open now decides (the approval may have waited for hours).
    const open = (await pulls.ofBranch(pushed.branch)).open;
    if (open && existing && open.number !== existing.number) note(`Pull request #${open.number} is now the open one of ${pushed.branch}: it is the one updated.`, 'warn');
    if (!open && existing) note(`Pull request #${existing.number} was closed meanwhile: a new one is opened.`, 'warn');
    [pr, updated] = open ? [await pulls.update(open.number, { ...text, ...(open.base !== base ? { base } : {}) }), true] : await createOrUpdate(pulls, pushed.branch, base, text);
  } catch (e) {
    const err = stays(e, pushed, 'approved, but the forge did not take it');
    wb.audit.append({ taskId: task.id, actor, action: 'pr_failed', approvalId: approval.id, data: { ...auditData, code: err.code, reason: err.message, forge: err.details?.forge ?? null } });
    throw err;
  }
  wb.audit.append({ taskId: task.id, actor, action: updated ? 'pr_updated' : 'pr_opened', approvalId: approval.id, data: { ...auditData, number: pr.number, url: pr.url } });
  ctx.emit('pr_opened', { taskId: task.id, url: pr.url, number: pr.number, title: text.title, ...(updated ? { updated: true } : {}) });
}

/** Opens it; if GitHub says one exists (opened meanwhile by someone), that one is updated. */
async function createOrUpdate(pulls: GitHubPulls, head: string, base: string, text: PullRequestText): Promise<[PullRequestInfo, boolean]> {
  try {
    return [await pulls.create({ head, base, ...text }), false];
  } catch (e) {
    const open = isAlreadyExists(e) ? (await pulls.ofBranch(head)).open : undefined;
    if (!open) throw e;
    return [await pulls.update(open.number, { ...text, ...(open.base !== base ? { base } : {}) }), true];
  }
}

/** A forge failure, saying that the pushed branch is unaffected and how to go on. */
function stays(e: unknown, pushed: PushDone, what: string): PushPalsError {
  const err = e instanceof PushPalsError ? e : new PushPalsError('internal', e instanceof Error ? e.message : String(e));
  return new PushPalsError(err.code, `${err.message} (${what}; ${pushed.branch} stays pushed to ${pushed.remote.name}: ask again with "Open PR" once it is fixed)`, err.details, err.path);
}
