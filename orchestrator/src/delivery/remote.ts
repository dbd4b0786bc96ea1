/**
 * Which remote a task branch goes to, and what its URL says: the remotes of a registered repository
 * (a local path: its config's remotes, read as data; a URL: that URL), credentials never kept or shown;
 * a GitHub (Enterprise) remote's owner/repo and API base URL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { readOnlyFs } from '../git/read-only-fs';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from '../git/sources';
import type { Repo } from '../git';

export interface PushRemote {
  /** The remote's name (`origin` for a repository registered by URL). */
  name: string;
  /** Where to push: an http(s) URL without user info, or an absolute git directory. */
  target: { kind: 'http'; url: string } | { kind: 'path'; gitdir: string };
  /** For messages, events and the audit trail: never credentials. */
  shown: string;
}

/** The URL without its user info: credentials in a remote URL are never used, kept or shown. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1');
}

/** Every occurrence of `secret` in `text` replaced by `***` (a secret shorter than 4 characters is left: it would hide ordinary text). */
export function redactSecret(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}

/** The remotes of a registered repository, by name, as its configuration says now. */
export async function remotesOf(repo: Pick<Repo, 'kind' | 'source'>): Promise<Array<{ name: string; url: string }>> {
  if (repo.kind === 'url') return [{ name: 'origin', url: repo.source }];
  const dotGit = path.join(repo.source, '.git');
  const gitdir = fs.lstatSync(dotGit, { throwIfNoEntry: false })?.isDirectory() ? dotGit : repo.source;
  const remotes = await git.listRemotes({ fs: readOnlyFs, gitdir }).catch(() => []);
  return remotes.map((r) => ({ name: r.remote, url: r.url }));
}

/**
 * The remote to push to: `requested` names a remote (or is one of the remotes' URLs); default `origin`,
 * or the only remote there is. ssh remotes are refused (ssh would run on the host).
 */
export async function resolvePushRemote(repo: Pick<Repo, 'kind' | 'source' | 'name'>, requested?: string): Promise<PushRemote> {
  const remotes = await remotesOf(repo);
  const names = remotes.map((r) => r.name);
  const want = requested?.trim();
  const found = want
    ? remotes.find((r) => r.name === want || withoutCredentials(r.url) === withoutCredentials(want))
    : (remotes.find((r) => r.name === 'origin') ?? (remotes.length === 1 ? remotes[0] : undefined));
  if (!found) {
    const what = want ? `no remote "${redactUrl(want).slice(0, 200)}"` : remotes.length ? 'no remote named origin (name one)' : 'no remote';
    throw new PushPalsError('not_found', `${repo.name} has ${what}: its remotes are ${names.length ? names.join(', ') : 'none'} (add one to the repository with git remote add)`, { remotes: names });
  }
  const shown = redactUrl(found.url).slice(0, 256);
  const kind = sourceKind(found.url);
  if (kind === 'ssh') throw new PushPalsError('invalid_message', `remote ${found.name} (${shown}) is an ssh remote. ${SSH_UNSUPPORTED}`);
  if (kind === 'url') {
    if (/^file:\/\//i.test(found.url)) return { name: found.name, target: { kind: 'path', gitdir: gitDirOfPath(decodeURIComponent(new URL(found.url).pathname)) }, shown };
    if (!/^https?:\/\//i.test(found.url)) throw new PushPalsError('invalid_message', `remote ${found.name} (${shown}): only http(s) URLs and local paths can be pushed to`);
    return { name: found.name, target: { kind: 'http', url: withoutCredentials(found.url) }, shown };
  }
  // A relative remote path is relative to the repository, as git reads it.
  return { name: found.name, target: { kind: 'path', gitdir: gitDirOfPath(path.resolve(repo.source, found.url)) }, shown };
}

/** The git directory of a local remote: a bare repository, or a work tree's `.git`. */
function gitDirOfPath(p: string): string {
  const dotGit = path.join(p, '.git');
  const gitdir = fs.lstatSync(dotGit, { throwIfNoEntry: false })?.isDirectory() ? dotGit : p;
  if (!fs.existsSync(path.join(gitdir, 'objects')) || !fs.existsSync(path.join(gitdir, 'refs'))) throw new PushPalsError('not_found', `the remote ${p} is not a git repository`);
  return gitdir;
}

export interface ForgeRepo {
  owner: string;
  repo: string;
  /** The REST API's base URL: https://api.github.com, or `https://<host>/api/v3` for GitHub Enterprise. */
  apiBaseUrl: string;
}

/**
 * A GitHub or GitHub Enterprise remote URL → owner, repo and the API base URL
 * (`https://github.com/o/r(.git)`, `https://ghe.example.com/o/r(.git)`); undefined when the URL does
 * not name an owner and a repository over http(s).
 */
export function parseForgeRemote(url: string): ForgeRepo | undefined {
  let u: URL;
  try {
    u = new URL(withoutCredentials(url.trim()));
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const parts = u.pathname.replace(/\/+$/, '').split('/').filter(Boolean);
  if (parts.length !== 2) return undefined;
  const owner = parts[0] as string;
  const repo = (parts[1] as string).replace(/\.git$/i, '');
  if (!/^[A-Za-z0-9_.-]+$/.test(owner) || !/^[A-Za-z0-9_.-]+$/.test(repo) || !repo) return undefined;
  const host = u.host.toLowerCase();
  const apiBaseUrl = host === 'github.com' || host === 'www.github.com' ? 'https://api.github.com' : `${u.protocol}//${u.host}/api/v3`;
  return { owner, repo, apiBaseUrl };
}
