/**
 * A failed forge request as one typed PushPalsError that says what to fix: a refused token (which
 * setting holds it), missing access, an unknown repository (which config names it), GitHub's own
 * validation message, a forge that cannot be reached. The token is scrubbed from every message.
 */
import { PushPalsError } from '../errors';
import { redactSecret, type ForgeRepo } from './remote';

/** Where the token came from and how to replace it, for the messages. */
export interface TokenOrigin {
  /** `env NAME`, `file <path>`. */
  source: string;
  /** What to run or set to fix it. */
  fix: string;
  /** The repository's name in PushPals (its config is `forge.repos.<name>`). */
  repoName: string;
}

/** What kind of failure it was (also in the error's `details.forge.kind`). */
export type ForgeFailure = 'bad_token' | 'no_permission' | 'rate_limited' | 'not_found' | 'exists' | 'rejected' | 'server_error' | 'timeout' | 'unreachable';

interface OctokitLikeError {
  status?: number;
  name?: string;
  message?: string;
  response?: { data?: { message?: string; errors?: Array<{ message?: string; code?: string } | string> }; headers?: Record<string, string | undefined> };
}

/** GitHub's message and the messages of its `errors` list, e.g. "Validation Failed: No commits between main and x". */
function forgeMessage(err: OctokitLikeError): string {
  const data = err.response?.data;
  const extra = (data?.errors ?? []).map((x) => (typeof x === 'string' ? x : x.message ?? x.code ?? '')).filter(Boolean);
  return [data?.message ?? err.message ?? 'no message', ...extra].join(': ');
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof PushPalsError && (e.details?.forge as { kind?: string } | undefined)?.kind === 'exists';
}

/** `action`: what was being done, e.g. "opening the pull request". */
export function forgeError(e: unknown, forge: ForgeRepo, token: string, origin: TokenOrigin, action: string): PushPalsError {
  if (e instanceof PushPalsError) return e;
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as OctokitLikeError;
  const where = `${forge.owner}/${forge.repo} at ${forge.apiBaseUrl}`;
  const fail = (code: ConstructorParameters<typeof PushPalsError>[0], kind: ForgeFailure, message: string): PushPalsError =>
    new PushPalsError(code, redactSecret(message, token), { forge: { kind, status: err.response ? err.status ?? null : null, repository: `${forge.owner}/${forge.repo}`, apiBaseUrl: forge.apiBaseUrl } });
  if (!err.response) {
    // No HTTP answer at all (octokit reports those as status 500 without a response).
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError' || /timed? ?out|aborted/i.test(err.message ?? '');
    return timedOut
      ? fail('timeout', 'timeout', `${action} on ${where}: the forge did not answer in time (${err.message ?? 'timeout'}); nothing was changed there, try again`)
      : fail('command_failed', 'unreachable', `${action} on ${where}: the forge could not be reached (${err.message ?? 'network error'}); check forge.repos.${origin.repoName}.apiBaseUrl in the config and the network, then try again`);
  }
  const why = forgeMessage(err);
  const status = err.status ?? 0;
  if (status === 401) return fail('forbidden', 'bad_token', `${action} on ${where}: the forge refused the token (${origin.source}) with 401 ${why}: ${origin.fix}`);
  if (status === 403 && (/rate limit/i.test(why) || err.response.headers?.['x-ratelimit-remaining'] === '0')) return fail('rate_limited', 'rate_limited', `${action} on ${where}: the forge's rate limit for this token is used up (403 ${why}); try again later`);
  if (status === 403) return fail('forbidden', 'no_permission', `${action} on ${where}: the token (${origin.source}) may not do that (403 ${why}); it needs read and write access to the repository's pull requests (classic token: scope "repo"; fine-grained: "Pull requests: Read and write"): ${origin.fix}`);
  if (status === 404) return fail('not_found', 'not_found', `${action} on ${where}: 404 ${why}: the repository does not exist there, or the token (${origin.source}) cannot see it; check forge.repos.${origin.repoName}.repository and apiBaseUrl in the config, and the token's access`);
  if (status === 422 && /already exists/i.test(why)) return fail('conflict', 'exists', `${action} on ${where}: ${why}`);
  if (status === 422) return fail('conflict', 'rejected', `${action} on ${where}: the forge refused it (422 ${why})`);
  return fail('command_failed', 'server_error', `${action} on ${where}: the forge answered ${status} (${why}); try again later`);
}
