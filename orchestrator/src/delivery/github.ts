/**
 * Opening a pull request through the GitHub REST API (github.com or GitHub Enterprise) with
 * `@octokit/rest`. The package is ESM-only and the orchestrator CommonJS: it is loaded with a dynamic
 * import, once, on the first pull request (start-up never pays for it).
 */
import { PushPalsError } from '../errors';
import { redactSecret, type ForgeRepo } from './remote';

export interface OpenedPullRequest {
  number: number;
  url: string;
}

export interface PullRequestInput {
  head: string;
  base: string;
  title: string;
  body: string;
}

export async function openPullRequest(forge: ForgeRepo, token: string, pr: PullRequestInput): Promise<OpenedPullRequest> {
  const { Octokit } = await import('@octokit/rest');
  const octokit = new Octokit({ auth: token, baseUrl: forge.apiBaseUrl.replace(/\/+$/, ''), userAgent: 'pushpals', request: { retries: 0 } });
  try {
    const res = await octokit.rest.pulls.create({ owner: forge.owner, repo: forge.repo, head: pr.head, base: pr.base, title: pr.title, body: pr.body });
    return { number: res.data.number, url: res.data.html_url };
  } catch (e) {
    const err = e as { status?: number; message?: string; response?: { data?: { message?: string; errors?: Array<{ message?: string }> } } };
    const why = redactSecret([err.response?.data?.message ?? err.message ?? String(e), ...(err.response?.data?.errors ?? []).map((x) => x.message ?? '')].filter(Boolean).join(': '), token);
    const where = `${forge.owner}/${forge.repo} at ${forge.apiBaseUrl}`;
    if (err.status === 401 || err.status === 403) throw new PushPalsError('forbidden', `the forge refused the pull request on ${where} (${err.status}): ${why}; check the token's access (pushpals forge token set --repo NAME)`);
    if (err.status === 404) throw new PushPalsError('not_found', `${where} was not found, or the token cannot see it: ${why}`);
    if (err.status === 422) throw new PushPalsError('conflict', `the forge did not open the pull request on ${where}: ${why}`);
    throw new PushPalsError('internal', `opening the pull request on ${where} failed: ${why}`);
  }
}
