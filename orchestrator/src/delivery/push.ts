/**
 * Pushing a task branch, as data: nothing of the receiving repository runs on the host.
 * - A local remote (a path, `file://`): the commit's objects copied with isomorphic-git (copyObjectsInto)
 *   and the ref moved with git's own lock-file protocol as a compare-and-swap. Not host `git push`:
 *   that runs the receiving repository's hooks (pre-receive, update, post-receive, …) and reads its
 *   config on the host, the very thing git/README.md rules out.
 * - An http(s) remote: isomorphic-git's push (pure JS: no hook, no credential helper, no config of
 *   the repository), the token given through `onAuth` only, under the clone limits.
 * Only `refs/heads/pushpals/<task>` is ever written, never forced: a non-fast-forward is refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import { DEFAULT_CLONE_LIMITS, guardedTransfer } from '../git/clone-http';
import { copyObjectsInto, taskBranch } from '../review/task-branch';
import { redactSecret, type PushRemote } from './remote';

const ZERO = '0000000000000000000000000000000000000000';

/**
 * The one ref a task's push may write: `refs/heads/pushpals/<task>`. Anything else — the default
 * branch above all — is refused, whatever asked for it.
 */
export function deliveryRef(taskId: string, branch: string, defaultBranch: string): string {
  const expected = taskBranch(taskId);
  const name = branch.replace(/^refs\/heads\//, '');
  if (name !== expected || name === defaultBranch || !/^pushpals\/[A-Za-z0-9_.-]+$/.test(name) || name.includes('..')) {
    throw new PushPalsError('forbidden', `refusing to push to ${branch}: a task's branch goes only to ${expected} (never to the default branch ${defaultBranch} or any other)`, { branch, allowed: expected });
  }
  return `refs/heads/${name}`;
}

export interface PushOutcome {
  /** The remote branch's commit before the push (undefined: it did not exist). */
  previous: string | undefined;
  /** True when the remote already had the branch at `sha` (nothing written). */
  upToDate: boolean;
}

/** The remote branch's commit now (undefined: absent). For http remotes, from the ref advertisement. */
export async function remoteHead(remote: PushRemote, ref: string, token: string | undefined): Promise<string | undefined> {
  if (remote.target.kind === 'path') return git.resolveRef({ fs, gitdir: remote.target.gitdir, ref }).catch(() => undefined);
  const url = remote.target.url;
  const guard = guardedTransfer(`reading the branches of ${remote.shown}`, DEFAULT_CLONE_LIMITS);
  try {
    const refs = await Promise.race([git.listServerRefs({ http: guard.client, url, prefix: ref, forPush: true, protocolVersion: 1, ...(token ? { onAuth: () => ({ username: 'x-access-token', password: token }) } : {}) }), guard.failed]);
    return refs.find((r) => r.ref === ref)?.oid;
  } catch (e) {
    throw asPushError(e, remote, token);
  } finally {
    guard.dispose();
  }
}

/** Pushes `sha` (the mirror's `ref`) to the same ref of the remote; refuses a non-fast-forward. */
export async function pushRef(mirror: string, sha: string, ref: string, remote: PushRemote, token: string | undefined): Promise<PushOutcome> {
  if (remote.target.kind === 'path') return pushToGitDir(mirror, sha, ref, remote.target.gitdir, remote.shown);
  const previous = await remoteHead(remote, ref, token);
  if (previous === sha) return { previous, upToDate: true };
  const guard = guardedTransfer(`pushing to ${remote.shown}`, DEFAULT_CLONE_LIMITS);
  try {
    const res = await Promise.race([
      git.push({ fs, http: guard.client, gitdir: mirror, url: remote.target.url, ref, remoteRef: ref, force: false, ...(token ? { onAuth: () => ({ username: 'x-access-token', password: token }) } : {}) }),
      guard.failed,
    ]);
    const status = res.refs[ref];
    if (!res.ok || (status && !status.ok)) throw new PushPalsError('conflict', `${remote.shown} refused ${ref}: ${redactSecret(status?.error ?? res.error ?? 'no reason given', token)}`);
    return { previous, upToDate: false };
  } catch (e) {
    throw asPushError(e, remote, token);
  } finally {
    guard.dispose();
  }
}

function asPushError(e: unknown, remote: PushRemote, token: string | undefined): PushPalsError {
  if (e instanceof PushPalsError) return new PushPalsError(e.code, redactSecret(e.message, token), e.details);
  const err = e as { code?: string; message?: string; data?: { statusCode?: number; reason?: string } };
  const msg = redactSecret(err.message ?? String(e), token);
  if (err.code === 'PushRejectedError' && err.data?.reason === 'not-fast-forward') return notFastForward(remote.shown);
  const status = err.data?.statusCode;
  if (status === 401 || status === 403) return new PushPalsError('forbidden', `${remote.shown} refused the push: authentication required or refused (${token ? 'the forge token was not accepted' : 'no forge token: set one with "pushpals forge token set --repo NAME"'}) (${msg})`);
  return new PushPalsError('not_found', `cannot push to ${remote.shown}: ${msg}`);
}

const notFastForward = (shown: string, current?: string): PushPalsError =>
  new PushPalsError('conflict', `not a fast-forward: the branch on ${shown} is at ${current ? current.slice(0, 12) : 'a commit'} which the task's commit does not contain; nothing was pushed (PushPals never force-pushes: delete or rename the remote branch first)`, current ? { current } : undefined);

/** A local remote: objects copied, then the ref compare-and-swapped under git's `<ref>.lock`. */
async function pushToGitDir(mirror: string, sha: string, ref: string, gitdir: string, shown: string): Promise<PushOutcome> {
  const previous = await git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
  if (previous === sha) return { previous, upToDate: true };
  const head = fs.readFileSync(path.join(gitdir, 'HEAD'), 'utf8').trim();
  if (head === `ref: ${ref}` && path.basename(gitdir) === '.git') throw new PushPalsError('conflict', `${ref} is checked out in ${shown}: git refuses to update a checked-out branch, and so does PushPals`);
  await copyObjectsInto(mirror, sha, gitdir);
  if (previous && !(await git.isDescendent({ fs, gitdir, oid: sha, ancestor: previous, depth: -1 }).catch(() => false))) throw notFastForward(shown, previous);
  compareAndSwapRef(gitdir, ref, previous, sha, shown);
  return { previous, upToDate: false };
}

/** git's lock-file protocol: create `<ref>.lock` exclusively, check the old value, write, rename over. */
function compareAndSwapRef(gitdir: string, ref: string, expected: string | undefined, sha: string, shown: string): void {
  const file = path.join(gitdir, ...ref.split('/'));
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  if (fs.lstatSync(dir).isSymbolicLink() || fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) throw new PushPalsError('forbidden', `${ref} in ${shown} is a symlink: not written`);
  const lock = `${file}.lock`;
  let fd: number;
  try {
    fd = fs.openSync(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new PushPalsError('conflict', `${ref} in ${shown} is being updated by someone else (${lock} exists): try again`);
    throw e;
  }
  try {
    const loose = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined;
    const now = loose ?? packedRef(gitdir, ref);
    if (now !== expected) throw new PushPalsError('conflict', `${ref} in ${shown} moved meanwhile (to ${now?.slice(0, 12) ?? 'nothing'}): nothing was pushed`);
    fs.writeSync(fd, `${sha}\n`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(lock, file);
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
    throw e;
  }
}

function packedRef(gitdir: string, ref: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(gitdir, 'packed-refs'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [oid, name] = line.split(' ');
    if (name === ref && oid && oid !== ZERO && /^[0-9a-f]{40}$/.test(oid)) return oid;
  }
  return undefined;
}
