/**
 * The orchestrator's copy of a repository registered by http(s) URL: cloned once, fetched again when
 * a task starts or on `repo sync`. isomorphic-git's http client under the clone limits
 * (clone-http.ts). Credentials in the URL (`https://user:token@host/x`) are used for the first
 * clone only and never stored: every later fetch goes to the stored URL without them, so it works
 * for public repositories and fails as `forbidden` (saying so) for private ones.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { guardedTransfer, type CloneLimits } from './clone-http';
import type { SyncOutcome } from './local-mirror';
import { redactUrl, userInfoOf } from './sources';

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The URL without user info, for the fetches after the first clone (`https://***@host/x` → `https://host/x`). */
export function anonymousUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1');
}

/** How long a transfer a limit aborted may take to give up before its failure is reported anyway. */
const SETTLE_MS = 2000;

/** Runs one transfer under the limits; every message names the URL redacted and scrubs its secret. */
async function transfer(verb: 'clone' | 'fetch', url: string, limits: CloneLimits, run: (http: ReturnType<typeof guardedTransfer>['client']) => Promise<unknown>): Promise<void> {
  const shown = redactUrl(url);
  if (!/^https?:\/\//i.test(url)) {
    throw new PushPalsError('invalid_message', `unsupported repository URL "${shown}": the host clones over http(s) only (ssh would run core.sshCommand/ssh on the host); use an https URL or a local path`);
  }
  const secret = userInfoOf(url);
  const scrub = (s: string): string => {
    let out = s.split(url).join(shown);
    for (const part of secret ? [secret, ...secret.split(':'), decodeURIComponentSafe(secret)] : []) if (part.length >= 3) out = out.split(part).join('***');
    return out;
  };
  const guard = guardedTransfer(`${verb === 'clone' ? 'cloning' : 'fetching'} ${shown}`, limits);
  const running = run(guard.client);
  try {
    await Promise.race([running, guard.failed]);
  } catch (err) {
    // A limit aborted the transfer (its sockets closed): let isomorphic-git's own clean-up run first,
    // so none of its writes lands after the caller removed the directory (bounded: it should not hang).
    await Promise.race([running.catch(() => undefined), new Promise<void>((r) => setTimeout(r, SETTLE_MS).unref())]);
    if (err instanceof PushPalsError) throw new PushPalsError(err.code, scrub(err.message), err.details);
    const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
    const msg = scrub(e.message ?? String(err));
    const status = e.data?.statusCode;
    if (e.code === 'HttpError' && (status === 401 || status === 403 || /\b(401|403)\b/.test(msg))) {
      const why = verb === 'fetch' ? ' (PushPals does not store credentials: only a public repository can be fetched again; register a local clone instead)' : '';
      throw new PushPalsError('forbidden', `cannot ${verb} ${shown}: authentication required or refused${why} (${msg})`);
    }
    if (e.code === 'ETIMEDOUT' || e.code === 'ESOCKETTIMEDOUT') throw new PushPalsError('timeout', `cannot ${verb} ${shown}: the connection timed out (${msg})`);
    throw new PushPalsError('not_found', `cannot ${verb} ${shown}: the remote is unreachable or not a git repository (${msg})`, { cause: e.code ?? 'error' });
  } finally {
    guard.dispose();
  }
}

/** Local branches = the remote's branches (refs/remotes/origin/*), HEAD at its default branch. */
async function branchesFromRemote(mirror: string, defaultRef: string | undefined | null): Promise<SyncOutcome> {
  const remote = await git.listBranches({ fs, gitdir: mirror, remote: 'origin' });
  const names = remote.filter((b) => b !== 'HEAD');
  for (const b of names) {
    const oid = await git.resolveRef({ fs, gitdir: mirror, ref: `refs/remotes/origin/${b}` });
    await git.writeRef({ fs, gitdir: mirror, ref: `refs/heads/${b}`, value: oid, force: true });
  }
  for (const b of await git.listBranches({ fs, gitdir: mirror })) if (!names.includes(b)) await git.deleteRef({ fs, gitdir: mirror, ref: `refs/heads/${b}` });
  const wanted = defaultRef?.replace(/^refs\/heads\//, '');
  const branch = wanted && names.includes(wanted) ? wanted : (['main', 'master'].find((b) => names.includes(b)) ?? names[0]);
  if (!branch) throw new PushPalsError('invalid_message', 'the repository has no branches (empty repository?)');
  await git.writeRef({ fs, gitdir: mirror, ref: 'HEAD', value: `refs/heads/${branch}`, symbolic: true, force: true });
  const commit = await git.resolveRef({ fs, gitdir: mirror, ref: `refs/heads/${branch}` });
  await git.readCommit({ fs, gitdir: mirror, oid: commit }).catch((err: Error) => {
    throw new PushPalsError('invalid_message', `the repository's ${branch} commit ${commit} cannot be read (${err.message})`);
  });
  return { head: { branch, commit }, defaultBranch: branch, rootCommits: [], remotes: [] };
}

/**
 * First clone of `url` (may carry user info) into `mirror`, which must not exist yet. The clone is
 * written inside a scratch dir `scratchParent/.clone-*` (on the same file system) and renamed to
 * `mirror` only once complete: a clone cut off (limits, refusal, the process killed) never leaves a
 * half-written `mirror`, only a scratch dir, removed here or by the start-up leftovers sweep.
 */
export async function cloneInto(url: string, mirror: string, scratchParent: string, limits: CloneLimits): Promise<SyncOutcome> {
  const scratch = fs.mkdtempSync(path.join(scratchParent, '.clone-'));
  const gitdir = path.join(scratch, 'mirror.git');
  try {
    let defaultRef: string | undefined;
    await transfer('clone', url, limits, async (http) => {
      await git.clone({ fs, http, dir: path.join(scratch, 'work'), gitdir, url, noCheckout: true, singleBranch: false, noTags: false });
      defaultRef = (await git.currentBranch({ fs, gitdir, fullname: true }).catch(() => undefined)) ?? undefined;
    });
    // isomorphic-git wrote a config with the remote (credentials included); replace it: nothing else, no secret.
    fs.writeFileSync(path.join(gitdir, 'config'), `[core]\n\trepositoryformatversion = 0\n\tbare = true\n[remote "origin"]\n\turl = ${redactUrl(url).replace(/[\n\r"\\]/g, '')}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
    const synced = await branchesFromRemote(gitdir, defaultRef);
    fs.renameSync(gitdir, mirror);
    return synced;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Fetches the stored URL (no credentials) into `mirror`: new branches, moved ones, deleted ones. */
export async function fetchInto(storedUrl: string, mirror: string, limits: CloneLimits): Promise<SyncOutcome> {
  const url = anonymousUrl(storedUrl);
  let defaultRef: string | null | undefined;
  await transfer('fetch', url, limits, async (http) => {
    const r = await git.fetch({ fs, http, gitdir: mirror, url, remote: 'origin', singleBranch: false, tags: true, prune: true });
    defaultRef = r.defaultBranch;
  });
  return branchesFromRemote(mirror, defaultRef);
}
