/**
 * Repositories and per-task workspaces, done on the host WITHOUT running anything a repository
 * controls: all git work here is isomorphic-git (pure JS: it runs no hooks, no core.fsmonitor, no
 * filter/diff drivers, no pager, no ssh) plus plain file copies of git objects. The source's config,
 * hooks, info/ and alternates are never copied. See README.md.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import type { Db } from '../store/db';
import { isoAt, systemClock, type Clock } from '../util/clock';
import { DEFAULT_CLONE_LIMITS, guardedTransfer, type CloneLimits } from './clone-http';
import { SSH_UNSUPPORTED, redactUrl, sourceKind, userInfoOf } from './sources';
import { POOL_BRANCH, SHARED_OBJECTS_DIR, alternatesEntry, ensureSharedObjectsLink, retargetSkeleton, sharedObjectsFs, writeSkeleton } from './working-copy';

export interface Repo {
  id: string;
  name: string;
  /** As given to add(): an absolute local path or a URL. */
  source: string;
  /** The orchestrator's own bare clone: `<dataDir>/repos/<id>`. */
  mirrorPath: string;
  defaultBranch: string;
  addedAt: string;
}

export interface Workspace {
  /** `<dataDir>/workspaces/<taskId>`: a working copy (checkout + its own .git sharing the clone's objects). */
  path: string;
  /** `pushpals/<taskId>`, checked out, at the repo's default branch head. */
  branch: string;
  /** The commit the branch starts from. */
  baseCommit: string;
}

export interface RepoRegistryOptions {
  clock?: Clock;
  /**
   * Limits for cloning a URL: overall deadline (default 10 min) and git-style low-speed limit
   * (default below 1 KiB/s for 30 s); hitting one fails `add` with `timeout`.
   */
  clone?: Partial<CloneLimits>;
}

interface RepoRow {
  id: string;
  name: string;
  source: string;
  mirror_path: string;
  default_branch: string;
  added_at: string;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const toRepo = (r: RepoRow): Repo => ({ id: r.id, name: r.name, source: r.source, mirrorPath: r.mirror_path, defaultBranch: r.default_branch, addedAt: r.added_at });


/** Copies regular files and directories only: symlinks and special files are skipped, never followed. */
function copyTree(src: string, dst: string, skip: (rel: string) => boolean, rel = ''): void {
  fs.mkdirSync(dst, { recursive: true });
  for (const ent of fs.readdirSync(src, { withFileTypes: true })) {
    const r = rel ? `${rel}/${ent.name}` : ent.name;
    if (skip(r)) continue;
    const s = path.join(src, ent.name);
    const d = path.join(dst, ent.name);
    if (ent.isDirectory()) copyTree(s, d, skip, r);
    else if (ent.isFile()) fs.copyFileSync(s, d);
  }
}

/**
 * Refs are read with isomorphic-git, which follows symlinks: a ref that is a symlink would make the
 * host read whatever file it points at (and fail with a confusing "not an oid"). git never creates
 * one (except a legacy symlinked HEAD), so a symlink under refs/, as packed-refs or as HEAD is
 * refused as hostile or unsupported.
 */
function assertNoSymlinkedRefs(gitdir: string): void {
  const refuse = (rel: string): never => {
    throw new PushPalsError('invalid_message', `hostile or unsupported repository: ${rel} is a symlinked ref (git never creates one); replace it with a regular ref file and register again`, { ref: rel });
  };
  for (const f of ['HEAD', 'packed-refs', 'refs']) {
    const st = fs.lstatSync(path.join(gitdir, f), { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) refuse(f);
  }
  const walk = (rel: string): void => {
    for (const ent of fs.readdirSync(path.join(gitdir, rel), { withFileTypes: true })) {
      const r = `${rel}/${ent.name}`;
      if (ent.isSymbolicLink()) refuse(r);
      if (ent.isDirectory()) walk(r);
    }
  };
  if (fs.existsSync(path.join(gitdir, 'refs'))) walk('refs');
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

export class RepoRegistry {
  private readonly clock: Clock;
  private readonly cloneLimits: CloneLimits;
  readonly dataDir: string;

  /**
   * @param db      the store (migration 003_repos applied)
   * @param dataDir the orchestrator's data dir; repos go to `<dataDir>/repos`, workspaces to `<dataDir>/workspaces`
   */
  constructor(
    private readonly db: Db,
    dataDir: string,
    opts: RepoRegistryOptions = {},
  ) {
    this.dataDir = realpathOrSelf(dataDir);
    this.clock = opts.clock ?? systemClock;
    this.cloneLimits = { ...DEFAULT_CLONE_LIMITS, ...opts.clone };
  }

  list(): Repo[] {
    return (this.db.prepare('SELECT * FROM repos ORDER BY added_at, id').all() as RepoRow[]).map(toRepo);
  }

  get(id: string): Repo | undefined {
    const r = this.db.prepare('SELECT * FROM repos WHERE id = ?').get(id) as RepoRow | undefined;
    return r && toRepo(r);
  }

  /**
   * Registers a repository from a local path (a work tree or a bare repo) or an http(s) URL and
   * keeps the orchestrator's own bare clone under `<dataDir>/repos/<id>`. Throws PushPalsError:
   * `not_found` (missing path, unreachable URL), `invalid_message` (not a git repository,
   * unsupported URL scheme or ssh, empty repository, symlinked refs), `conflict` (already
   * registered: details.repoId), `forbidden` (authentication required), `timeout` (clone limits).
   * A URL's user info (`https://user:token@host/...`) is used for the clone only: it is stored,
   * reported and written to the mirror's config as `***`.
   */
  async add(source: string, name?: string): Promise<Repo> {
    const kind = sourceKind(source);
    if (kind === 'ssh') throw new PushPalsError('invalid_message', `${SSH_UNSUPPORTED} (got "${redactUrl(source.trim()).slice(0, 200)}")`);
    const url = kind === 'url';
    const normalized = url ? redactUrl(source.trim()) : realpathOrSelf(source);
    const existing = this.db.prepare('SELECT id FROM repos WHERE source = ?').get(normalized) as { id: string } | undefined;
    if (existing) throw new PushPalsError('conflict', `repository already registered as ${existing.id}`, { repoId: existing.id });
    const id = `repo-${randomBytes(5).toString('hex')}`;
    const mirror = path.join(this.dataDir, 'repos', id);
    fs.mkdirSync(path.dirname(mirror), { recursive: true, mode: 0o700 });
    try {
      const from = url ? undefined : this.copyLocal(normalized, mirror);
      if (url) await this.cloneUrl(source.trim(), mirror);
      const defaultBranch = await this.copyRefs(mirror, from);
      const repo: Repo = {
        id,
        name: name ?? (path.basename(normalized.replace(/\/+$/, '')).replace(/\.git$/, '') || id),
        source: normalized,
        mirrorPath: mirror,
        defaultBranch,
        addedAt: isoAt(this.clock.now()),
      };
      this.db
        .prepare('INSERT INTO repos (id, name, source, mirror_path, default_branch, added_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(repo.id, repo.name, repo.source, repo.mirrorPath, repo.defaultBranch, repo.addedAt);
      return repo;
    } catch (err) {
      fs.rmSync(mirror, { recursive: true, force: true });
      throw err;
    }
  }

  /** Removes a repo's registration and its mirror (not its workspaces). */
  remove(id: string): void {
    const repo = this.get(id);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${id}`);
    this.db.prepare('DELETE FROM repos WHERE id = ?').run(id);
    fs.rmSync(repo.mirrorPath, { recursive: true, force: true });
  }

  /** Clones `url` (may carry user info) into `mirror`; every message and the stored config name it redacted. */
  private async cloneUrl(url: string, mirror: string): Promise<void> {
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
    const scratch = fs.mkdtempSync(path.join(this.dataDir, 'repos', '.clone-'));
    const transfer = guardedTransfer(`cloning ${shown}`, this.cloneLimits);
    try {
      await Promise.race([git.clone({ fs, http: transfer.client, dir: scratch, gitdir: mirror, url, noCheckout: true, singleBranch: false, noTags: false }), transfer.failed]);
    } catch (err) {
      if (err instanceof PushPalsError) throw new PushPalsError(err.code, scrub(err.message), err.details);
      const e = err as { code?: string; message?: string; data?: { statusCode?: number } };
      const msg = scrub(e.message ?? String(err));
      const status = e.data?.statusCode;
      if (e.code === 'HttpError' && (status === 401 || status === 403 || /\b(401|403)\b/.test(msg))) throw new PushPalsError('forbidden', `cannot clone ${shown}: authentication required or refused (${msg})`);
      if (e.code === 'ETIMEDOUT' || e.code === 'ESOCKETTIMEDOUT') throw new PushPalsError('timeout', `cannot clone ${shown}: the connection timed out (${msg})`);
      throw new PushPalsError('not_found', `cannot clone ${shown}: the remote is unreachable or not a git repository (${msg})`, { cause: e.code ?? 'error' });
    } finally {
      transfer.dispose();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
    // isomorphic-git wrote a config with the remote (credentials included); replace it: nothing else, no secret.
    fs.writeFileSync(path.join(mirror, 'config'), `[core]\n\trepositoryformatversion = 0\n\tbare = true\n[remote "origin"]\n\turl = ${shown.replace(/[\n\r"\\]/g, '')}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`);
  }

  /** Finds the git dir of a local source, reading files as data only. */
  private gitDirOf(src: string): string {
    let st: fs.Stats;
    try {
      st = fs.statSync(src);
    } catch {
      throw new PushPalsError('not_found', `repository path ${src} does not exist`);
    }
    if (!st.isDirectory()) throw new PushPalsError('invalid_message', `${src} is not a directory`);
    if (isInside(src, this.dataDir) || isInside(this.dataDir, src)) {
      throw new PushPalsError('invalid_message', `${src} overlaps the orchestrator's data dir ${this.dataDir}; register the repository from somewhere else`);
    }
    const dotGit = path.join(src, '.git');
    if (fs.existsSync(dotGit)) {
      if (fs.lstatSync(dotGit).isDirectory()) return dotGit;
      throw new PushPalsError('invalid_message', `${src} is a linked worktree or submodule checkout (.git is a file); register the main repository instead`);
    }
    if (fs.existsSync(path.join(src, 'HEAD')) && fs.existsSync(path.join(src, 'objects')) && fs.existsSync(path.join(src, 'refs'))) return src; // bare
    throw new PushPalsError('invalid_message', `${src} is not a git repository (no .git directory)`);
  }

  /**
   * The orchestrator's own copy of a local repository: its objects (regular files only: symlinks are
   * skipped) and its branches and tags, written with isomorphic-git. Config, hooks, info/ (attributes,
   * excludes), alternates, worktrees and modules are NOT copied: nothing the source controls is kept.
   */
  private copyLocal(src: string, mirror: string): string {
    const gitdir = this.gitDirOf(src);
    if (fs.existsSync(path.join(gitdir, 'objects', 'info', 'alternates'))) {
      throw new PushPalsError('invalid_message', `${src} uses objects/info/alternates (a shared or --reference clone); clone it normally first`);
    }
    assertNoSymlinkedRefs(gitdir);
    fs.mkdirSync(mirror, { recursive: true, mode: 0o700 });
    copyTree(path.join(gitdir, 'objects'), path.join(mirror, 'objects'), (rel) => rel === 'info' || rel.startsWith('info/'));
    fs.mkdirSync(path.join(mirror, 'objects', 'info'), { recursive: true });
    fs.mkdirSync(path.join(mirror, 'refs', 'heads'), { recursive: true });
    fs.mkdirSync(path.join(mirror, 'refs', 'tags'), { recursive: true });
    fs.writeFileSync(path.join(mirror, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n');
    fs.writeFileSync(path.join(mirror, 'HEAD'), 'ref: refs/heads/main\n');
    return gitdir;
  }

  /** Copies branches and tags from a local source's git dir (when given) and returns the default branch. */
  private async copyRefs(mirror: string, from: string | undefined): Promise<string> {
    let head: string | undefined;
    if (from) {
      const branches = await git.listBranches({ fs, gitdir: from });
      const tags = await git.listTags({ fs, gitdir: from });
      for (const b of branches) {
        const oid = await git.resolveRef({ fs, gitdir: from, ref: `refs/heads/${b}` });
        await git.writeRef({ fs, gitdir: mirror, ref: `refs/heads/${b}`, value: oid, force: true });
      }
      for (const t of tags) {
        const oid = await git.resolveRef({ fs, gitdir: from, ref: `refs/tags/${t}` }).catch(() => undefined);
        if (oid) await git.writeRef({ fs, gitdir: mirror, ref: `refs/tags/${t}`, value: oid, force: true });
      }
      head = (await git.currentBranch({ fs, gitdir: from, fullname: false }).catch(() => undefined)) ?? undefined;
      if (!head || !branches.includes(head)) head = ['main', 'master'].find((b) => branches.includes(b)) ?? branches[0];
      if (!head) throw new PushPalsError('invalid_message', 'the repository has no branches (empty repository?)');
      await git.writeRef({ fs, gitdir: mirror, ref: 'HEAD', value: `refs/heads/${head}`, symbolic: true, force: true });
    } else {
      head = (await git.currentBranch({ fs, gitdir: mirror, fullname: false }).catch(() => undefined)) ?? undefined;
      const branches = await git.listBranches({ fs, gitdir: mirror });
      if (!head || !branches.includes(head)) head = ['main', 'master'].find((b) => branches.includes(b)) ?? branches[0];
      if (!head) throw new PushPalsError('invalid_message', 'the repository has no branches (empty repository?)');
    }
    // Make sure the head commit is actually readable from our copy.
    const oid = await git.resolveRef({ fs, gitdir: mirror, ref: `refs/heads/${head}` });
    await git.readCommit({ fs, gitdir: mirror, oid }).catch((err: Error) => {
      throw new PushPalsError('invalid_message', `the repository's ${head} commit ${oid} cannot be read (${err.message})`);
    });
    return head;
  }

  workspacePath(taskId: string): string {
    if (!TASK_ID.test(taskId) || taskId.includes('..') || taskId.endsWith('.lock') || taskId.endsWith('.')) {
      throw new PushPalsError('invalid_message', `task id "${taskId.slice(0, 64)}" cannot name a workspace or the branch pushpals/<task> (letters, digits, _ . -)`);
    }
    return path.join(this.dataDir, 'workspaces', taskId);
  }

  /** `<dataDir>/workspaces`: every working copy lives directly in it (the shared objects' relative path needs that). */
  get workspacesDir(): string {
    return path.join(this.dataDir, 'workspaces');
  }

  /**
   * Creates `<dataDir>/workspaces/<taskId>`: a working copy whose `.git` SHARES the clone's objects
   * (alternates, see working-copy.ts: nothing is copied; the task's own commits go to its own
   * `.git/objects`), with branch `pushpals/<taskId>` at the base branch. `checkout`:
   * - 'host' (default): checked out here by isomorphic-git (no hooks, no smudge filters; ~1 ms per
   *   file: fine for small repositories and tests);
   * - 'sandbox': only the `.git` is written; the caller runs SANDBOX_CHECKOUT_COMMAND in the task's
   *   sandbox (real git, the fast path) — the workbench does this.
   * The caller (sandbox owner) gives the copy to the sandbox uid. The directory may exist if it is
   * empty (a size-limited volume or a pool slot mounted there): it is filled, and on failure emptied but kept.
   */
  async createWorkspace(repoId: string, taskId: string, baseBranch?: string, opts: { checkout?: 'host' | 'sandbox' } = {}): Promise<Workspace & { written: string[] }> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    const dir = this.workspacePath(taskId);
    const existed = fs.existsSync(dir);
    if (existed && (!fs.lstatSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) throw new PushPalsError('conflict', `workspace for task ${taskId} already exists`);
    if (isInside(this.dataDir, dir)) throw new PushPalsError('internal', 'refusing to create a workspace that contains the data dir');
    const branch = `pushpals/${taskId}`;
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    try {
      const from = baseBranch ?? repo.defaultBranch;
      const baseCommit = await git.resolveRef({ fs, gitdir: repo.mirrorPath, ref: `refs/heads/${from}` }).catch(() => {
        throw new PushPalsError('not_found', `branch ${from} does not exist in ${repo.id}`);
      });
      if (!existed) fs.mkdirSync(dir);
      const shared = ensureSharedObjectsLink(this.workspacesDir, repo.id, path.join(repo.mirrorPath, 'objects'));
      const written = writeSkeleton({ dir, repoId: repo.id, branch, baseCommit, fromBranch: from });
      if ((opts.checkout ?? 'host') === 'host') {
        const gitdir = path.join(dir, '.git');
        await git.checkout({ fs: sharedObjectsFs(gitdir, shared), dir, gitdir, ref: branch, force: true });
      }
      return { path: dir, branch, baseCommit, written };
    } catch (err) {
      if (existed) for (const n of fs.readdirSync(dir)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
      else fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The commit a base branch (default: the repo's default branch) points at in the clone. */
  async baseCommitOf(repo: Repo, baseBranch?: string): Promise<string> {
    const from = baseBranch ?? repo.defaultBranch;
    return git.resolveRef({ fs, gitdir: repo.mirrorPath, ref: `refs/heads/${from}` }).catch(() => {
      throw new PushPalsError('not_found', `branch ${from} does not exist in ${repo.id}`);
    });
  }

  /**
   * Prepares a warm-pool slot ahead of any task (`dir`: the slot's empty directory): the shared-objects
   * `.git` on POOL_BRANCH at the default branch; the caller checks it out in the slot's sandbox.
   */
  async prepareSlot(repoId: string, dir: string): Promise<{ baseCommit: string; written: string[] }> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    const baseCommit = await this.baseCommitOf(repo);
    ensureSharedObjectsLink(this.workspacesDir, repo.id, path.join(repo.mirrorPath, 'objects'));
    return { baseCommit, written: writeSkeleton({ dir, repoId, branch: POOL_BRANCH, baseCommit, fromBranch: repo.defaultBranch }) };
  }

  /**
   * The task takes over a slot prepareSlot filled (now at `<workspacesDir>/<taskId>`): its branch
   * pushpals/<taskId> at the base branch. `checkoutNeeded` when the slot holds another commit.
   */
  async workspaceFromSlot(repoId: string, taskId: string, slotCommit: string, baseBranch?: string): Promise<Workspace & { written: string[]; checkoutNeeded: boolean }> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    const dir = this.workspacePath(taskId);
    const head = fs.readFileSync(path.join(dir, '.git', 'HEAD'), 'utf8');
    if (head !== `ref: refs/heads/${POOL_BRANCH}\n`) throw new PushPalsError('conflict', `${dir} is not a prepared pool slot`);
    const from = baseBranch ?? repo.defaultBranch;
    const baseCommit = await this.baseCommitOf(repo, from);
    const branch = `pushpals/${taskId}`;
    const written = retargetSkeleton({ dir, branch, baseCommit, fromBranch: from });
    return { path: dir, branch, baseCommit, written, checkoutNeeded: baseCommit !== slotCommit };
  }

  /**
   * The shared object store a working copy of ours borrows from (`<workspacesDir>/.objects/<repoId>`),
   * found from its alternates entry only when that entry is exactly ours for a registered repo (the
   * file is agent-writable: any other content is ignored, never followed).
   */
  sharedObjectsOf(dir: string): string | undefined {
    let line: string;
    try {
      const f = path.join(dir, '.git', 'objects', 'info', 'alternates');
      if (!fs.lstatSync(f).isFile()) return undefined;
      line = fs.readFileSync(f, 'utf8').trim();
    } catch {
      return undefined;
    }
    const m = /^\.\.\/\.\.\/\.\.\/\.objects\/([A-Za-z0-9_-]+)$/.exec(line);
    if (!m?.[1] || line !== alternatesEntry(m[1]) || !this.get(m[1])) return undefined;
    return path.join(this.workspacesDir, SHARED_OBJECTS_DIR, m[1]);
  }

  /** An fs for isomorphic-git on a working copy: its own objects, else the shared store. */
  private workspaceFs(dir: string): { promises: typeof fs.promises } | typeof fs {
    const shared = this.sharedObjectsOf(dir);
    return shared ? sharedObjectsFs(path.join(dir, '.git'), shared) : fs;
  }

  /** Deletes a task's workspace. Idempotent. */
  removeWorkspace(taskId: string): void {
    fs.rmSync(this.workspacePath(taskId), { recursive: true, force: true });
  }

  /**
   * Files that differ from the branch head in a workspace, via isomorphic-git's statusMatrix (reads
   * files and the index as data; runs nothing). Only for workspaces the orchestrator controls: once a
   * sandbox has written to a workspace, prefer running git inside a sandbox (recipes/docker, "Hostile
   * repositories").
   */
  async changedFiles(taskId: string): Promise<Array<{ path: string; status: 'added' | 'modified' | 'deleted' | 'untracked' }>> {
    const dir = this.workspacePath(taskId);
    const matrix = await git.statusMatrix({ fs: this.workspaceFs(dir), dir, gitdir: path.join(dir, '.git') });
    const out: Array<{ path: string; status: 'added' | 'modified' | 'deleted' | 'untracked' }> = [];
    for (const [file, head, workdir, stage] of matrix) {
      if (head === 1 && workdir === 1 && stage === 1) continue;
      const status = head === 0 ? (stage === 0 ? 'untracked' : 'added') : workdir === 0 ? 'deleted' : 'modified';
      out.push({ path: file, status });
    }
    return out;
  }

  /** Tracked files of a repo's default branch (or a given ref), read from the mirror. */
  async listFiles(repoId: string, ref?: string): Promise<string[]> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    return git.listFiles({ fs, gitdir: repo.mirrorPath, ref: ref ?? repo.defaultBranch });
  }
}
