/**
 * Pull requests through the GitHub REST API (github.com or GitHub Enterprise) with `@octokit/rest`:
 * the pull requests of a branch, open one, update one. The package is ESM-only and the orchestrator
 * CommonJS: it is loaded with a dynamic import, once, on the first pull request (start-up never pays).
 * Every failure is a typed PushPalsError (forge-errors.ts); every request has a deadline.
 */
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import { forgeError, type TokenOrigin } from './forge-errors';
import type { ForgeRepo } from './remote';

const REQUEST_TIMEOUT_MS = 30_000;
/** octokit logs each failed request to the console; the failure is reported as a typed error instead. */
const QUIET = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export interface PullRequestInfo {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  base: string;
  title: string;
}

export interface PullRequestText {
  title: string;
  body: string;
}

export interface BranchPullRequests {
  /** The open pull request whose head is the branch (GitHub allows one per head and base; the newest). */
  open?: PullRequestInfo;
  /** The newest closed (or merged) one, when none is open. */
  closed?: PullRequestInfo;
}

interface RawPull {
  number: number;
  html_url: string;
  state: string;
  merged_at?: string | null;
  merged?: boolean;
  base: { ref: string };
  title: string;
}

const info = (p: RawPull): PullRequestInfo => ({ number: p.number, url: p.html_url, state: p.state === 'open' ? 'open' : 'closed', merged: Boolean(p.merged_at ?? p.merged), base: p.base.ref, title: p.title });

export class GitHubPulls {
  private constructor(
    private readonly octokit: Octokit,
    private readonly forge: ForgeRepo,
    private readonly token: string,
    private readonly origin: TokenOrigin,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async connect(forge: ForgeRepo, token: string, origin: TokenOrigin, signal?: AbortSignal): Promise<GitHubPulls> {
    const { Octokit } = await import('@octokit/rest');
    const octokit = new Octokit({ auth: token, baseUrl: forge.apiBaseUrl.replace(/\/+$/, ''), userAgent: 'pushpals', request: { retries: 0 }, log: QUIET });
    return new GitHubPulls(octokit, forge, token, origin, signal);
  }

  /** Each request ends at its deadline or with the job. */
  private request(): { signal: AbortSignal } {
    const deadline = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return { signal: this.signal ? AbortSignal.any([this.signal, deadline]) : deadline };
  }

  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw forgeError(e, this.forge, this.token, this.origin, action);
    }
  }

  /** The pull requests whose head is `branch` of the same repository: `GET /repos/{o}/{r}/pulls?head=o:branch&state=all`. */
  async ofBranch(branch: string): Promise<BranchPullRequests> {
    const { owner, repo } = this.forge;
    const res = await this.call(`looking up the pull requests of ${branch}`, () => this.octokit.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'all', sort: 'created', direction: 'desc', per_page: 100, request: this.request() }));
    const all = (res.data as RawPull[]).map(info);
    const open = all.find((p) => p.state === 'open');
    const closed = open ? undefined : all.find((p) => p.state === 'closed');
    return { ...(open ? { open } : {}), ...(closed ? { closed } : {}) };
  }

  /** `POST /repos/{o}/{r}/pulls`. */
  async create(pr: PullRequestText & { head: string; base: string }): Promise<PullRequestInfo> {
    const { owner, repo } = this.forge;
    const res = await this.call('opening the pull request', () => this.octokit.rest.pulls.create({ owner, repo, head: pr.head, base: pr.base, title: pr.title, body: pr.body, request: this.request() }));
    return info(res.data as RawPull);
  }

  /** `PATCH /repos/{o}/{r}/pulls/{number}`: the title and body, and the base when it is another. */
  async update(number: number, pr: PullRequestText & { base?: string }): Promise<PullRequestInfo> {
    const { owner, repo } = this.forge;
    const res = await this.call(`updating pull request #${number}`, () => this.octokit.rest.pulls.update({ owner, repo, pull_number: number, title: pr.title, body: pr.body, ...(pr.base ? { base: pr.base } : {}), request: this.request() }));
    return info(res.data as RawPull);
  }
}
