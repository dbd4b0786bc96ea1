/**
 * Repositories and per-task workspaces, done on the host WITHOUT running anything a repository
 * controls: all git work here is isomorphic-git (pure JS: it runs no hooks, no core.fsmonitor, no
 * filter/diff drivers, no pager, no ssh) plus plain file copies of git objects. The source's config,
 * hooks, info/ and alternates are never copied, and the person's repository is only ever read
 * (read-only-fs.ts). Every task starts from the repository as the person has it now (liveBase). See
 * README.md.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import git from 'isomorphic-git';
import { PushPalsError } from '../errors';
import type { Db } from '../store/db';
import { isoAt, systemClock, type Clock } from '../util/clock';
import { DEFAULT_CLONE_LIMITS, type CloneLimits } from './clone-http';
import { initMirror, rootCommitsOf, syncFromLocal, type SyncOutcome } from './local-mirror';
import { applyUncommitted, type OverlayResult } from './overlay';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from './sources';
import { DEFAULT_UNCOMMITTED_LIMITS, readUncommitted, type UncommittedChange, type UncommittedLimits } from './uncommitted';
import { cloneInto, fetchInto } from './url-mirror';
import { POOL_BRANCH, SHARED_OBJECTS_DIR, alternatesEntry, ensureSharedObjectsLink, retargetSkeleton, sharedObjectsFs, writeSkeleton } from './working-copy';

export interface Repo {
  id: string;
  name: string;
  /** As given to add(): an absolute local path or a URL (credentials shown as `***`). */
  source: string;
  kind: 'path' | 'url';
  /** The orchestrator's own bare clone: `<dataDir>/repos/<id>`. */
  mirrorPath: string;
  /** The branch the last sync found checked out (a URL: the remote's default branch). */
  defaultBranch: string;
  addedAt: string;
  /** What the last sync saw: the current branch (undefined: detached HEAD) and its commit. */
  head?: { branch?: string; commit: string };
  syncedAt?: string;
  /** Root commit(s) of the head (first parents): with `remotes`, how a checkout elsewhere is recognised. */
  rootCommits: string[];
  /** The source's remote URLs (a URL source: itself), credentials shown as `***`. */
  remotes: string[];
}

export interface Workspace {
  /** `<dataDir>/workspaces/<taskId>`: a working copy (checkout + its own .git sharing the clone's objects). */
  path: string;
  /** `pushpals/<taskId>`, checked out, at the base commit. */
  branch: string;
  /** The commit the branch starts from. */
  baseCommit: string;
}

/** Where a working copy starts: a branch of the clone (by name), or a commit and the branch it came from. */
export type WorkspaceBase = string | { commit: string; branch?: string | undefined };

/** Where a task's working copy starts: the repository as the person has it now. */
export interface LiveBase {
  commit: string;
  /** The branch `commit` is the head of; undefined for a detached HEAD. */
  branch: string | undefined;
  /** The person's uncommitted changes (asked for, and the source has a working tree), else undefined. */
  uncommitted: UncommittedChange[] | undefined;
  /** Why the base is not fully live, or why uncommitted changes were not taken. */
  note: string | undefined;
}

export interface RepoRegistryOptions {
  clock?: Clock;
  /**
   * Limits for cloning a URL: overall deadline (default 10 min) and git-style low-speed limit
   * (default below 1 KiB/s for 30 s); hitting one fails `add` with `timeout`.
   */
  clone?: Partial<CloneLimits>;
  /** How much uncommitted work a task may take along (default 20 000 files, 512 MB). */
  uncommitted?: Partial<UncommittedLimits>;
}

interface RepoRow {
  id: string;
  name: string;
  source: string;
  mirror_path: string;
  default_branch: string;
  added_at: string;
  head_branch: string | null;
  head_commit: string | null;
  synced_at: string | null;
  root_commits: string;
  remotes: string;
}

const TASK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const OID = /^[0-9a-f]{40}$/;

const toRepo = (r: RepoRow): Repo => ({
  id: r.id,
  name: r.name,
  source: r.source,
  kind: sourceKind(r.source) === 'url' ? 'url' : 'path',
  mirrorPath: r.mirror_path,
  defaultBranch: r.default_branch,
  addedAt: r.added_at,
  ...(r.head_commit ? { head: { ...(r.head_branch ? { branch: r.head_branch } : {}), commit: r.head_commit } } : {}),
  ...(r.synced_at ? { syncedAt: r.synced_at } : {}),
  rootCommits: JSON.parse(r.root_commits) as string[],
  remotes: JSON.parse(r.remotes) as string[],
});

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** How a repository is named in error details: enough for a person (or a client's quick pick) to choose. */
export interface RepoChoice {
  repoId: string;
  name: string;
  source: string;
}

export class RepoRegistry {
  private readonly clock: Clock;
  private readonly cloneLimits: CloneLimits;
  private readonly uncommittedLimits: UncommittedLimits;
  /** One sync at a time per repository (tasks starting together share the mirror). */
  private readonly syncing = new Map<string, Promise<unknown>>();
  readonly dataDir: string;

  /**
   * @param db      the store (migrations 003_repos and 005_live_base applied)
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
    this.uncommittedLimits = { ...DEFAULT_UNCOMMITTED_LIMITS, ...opts.uncommitted };
  }

  list(): Repo[] {
    return (this.db.prepare('SELECT * FROM repos ORDER BY added_at, id').all() as RepoRow[]).map(toRepo);
  }

  get(id: string): Repo | undefined {
    const r = this.db.prepare('SELECT * FROM repos WHERE id = ?').get(id) as RepoRow | undefined;
    return r && toRepo(r);
  }

  /** The registered repository of a source (a path is compared by its real path), if any. */
  findBySource(source: string): Repo | undefined {
    const r = this.db.prepare('SELECT * FROM repos WHERE source = ?').get(this.normalizeSource(source)) as RepoRow | undefined;
    return r && toRepo(r);
  }

  choices(): RepoChoice[] {
    return this.list().map((r) => ({ repoId: r.id, name: r.name, source: r.source }));
  }

  /**
   * A repository by id or name. `not_found` (no such one) and, for a name several share (registered
   * before names were unique), `invalid_message`; both list the choices in `details.choices`.
   */
  resolve(ref: string): Repo {
    const byId = this.get(ref);
    if (byId) return byId;
    const named = this.list().filter((r) => r.name === ref);
    if (named.length === 1) return named[0] as Repo;
    const choices = this.choices();
    const listed = choices.map((c) => `${c.name} (${c.repoId})`).join(', ') || 'none is registered';
    if (named.length > 1) throw new PushPalsError('invalid_message', `${named.length} repositories are named "${ref}": use the id of one (${named.map((r) => r.id).join(', ')})`, { choices });
    throw new PushPalsError('not_found', `no repository "${ref.slice(0, 200)}" is registered (registered: ${listed}); register one with "pushpals repo add <path-or-url>"`, { choices });
  }

  private normalizeSource(source: string): string {
    return sourceKind(source) === 'url' ? redactUrl(source.trim()) : realpathOrSelf(source);
  }

  /** `wanted` if no other repository has it as name or id; a default name gets `-2`, `-3`, ... instead. */
  private uniqueName(wanted: string, explicit: boolean): string {
    const taken = (n: string) => this.list().some((r) => r.name === n || r.id === n);
    if (!taken(wanted)) return wanted;
    const owner = this.list().find((r) => r.name === wanted || r.id === wanted);
    if (explicit) throw new PushPalsError('conflict', `the name "${wanted}" is taken by ${owner?.id} (${owner?.source}): choose another (--name)`, { repoId: owner?.id });
    for (let i = 2; ; i++) if (!taken(`${wanted}-${i}`)) return `${wanted}-${i}`;
  }

  /**
   * Registers a repository from a local path (a work tree or a bare repo) or an http(s) URL and
   * keeps the orchestrator's own bare clone under `<dataDir>/repos/<id>`. Throws PushPalsError:
   * `not_found` (missing path, unreachable URL), `invalid_message` (not a git repository,
   * unsupported URL scheme or ssh, empty repository, symlinked refs), `conflict` (already
   * registered: details.repoId; a name taken), `forbidden` (authentication required), `timeout`
   * (clone limits). A URL's user info (`https://user:token@host/...`) is used for the clone only:
   * it is stored, reported and written to the mirror's config as `***`, and never used again.
   */
  async add(source: string, name?: string): Promise<Repo> {
    const kind = sourceKind(source);
    if (kind === 'ssh') throw new PushPalsError('invalid_message', `${SSH_UNSUPPORTED} (got "${redactUrl(source.trim()).slice(0, 200)}")`);
    const url = kind === 'url';
    const normalized = this.normalizeSource(source);
    const existing = this.findBySource(normalized);
    if (existing) throw new PushPalsError('conflict', `repository already registered as ${existing.name} (${existing.id})`, { repoId: existing.id, name: existing.name });
    const id = `repo-${randomBytes(5).toString('hex')}`;
    const mirror = path.join(this.dataDir, 'repos', id);
    fs.mkdirSync(path.dirname(mirror), { recursive: true, mode: 0o700 });
    const defaultName = path.basename(normalized.replace(/\/+$/, '')).replace(/\.git$/, '') || id;
    const repoName = this.uniqueName(name ?? defaultName, name !== undefined);
    try {
      let synced: SyncOutcome;
      if (url) {
        synced = await cloneInto(source.trim(), mirror, path.dirname(mirror), this.cloneLimits);
        synced = { ...synced, rootCommits: await rootCommitsOf(mirror, synced.head.commit), remotes: [normalized] };
      } else {
        const { gitdir } = this.gitDirOf(normalized);
        initMirror(mirror);
        synced = await syncFromLocal(gitdir, mirror);
      }
      const now = isoAt(this.clock.now());
      this.db
        .prepare('INSERT INTO repos (id, name, source, mirror_path, default_branch, added_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, repoName, normalized, mirror, synced.defaultBranch, now);
      this.recordSync(id, synced, now);
      return this.get(id) as Repo;
    } catch (err) {
      fs.rmSync(mirror, { recursive: true, force: true });
      throw err;
    }
  }

  private recordSync(id: string, s: SyncOutcome, at = isoAt(this.clock.now())): void {
    this.db
      .prepare('UPDATE repos SET default_branch = ?, head_branch = ?, head_commit = ?, synced_at = ?, root_commits = ?, remotes = ? WHERE id = ?')
      .run(s.defaultBranch, s.head.branch ?? null, s.head.commit, at, JSON.stringify(s.rootCommits), JSON.stringify(s.remotes), id);
  }

  /** Removes a repo's registration and its mirror (not the working copies of its tasks). */
  remove(id: string): Repo {
    const repo = this.get(id);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${id}`);
    this.db.prepare('DELETE FROM repos WHERE id = ?').run(id);
    // Working copies made from it borrow its objects (alternates): those stay until no copy needs
    // them (pruneRemovedObjects); the rest of the clone goes now.
    const borrowed = fs.lstatSync(path.join(this.workspacesDir, SHARED_OBJECTS_DIR, id), { throwIfNoEntry: false });
    if (!borrowed) fs.rmSync(repo.mirrorPath, { recursive: true, force: true });
    else for (const n of fs.existsSync(repo.mirrorPath) ? fs.readdirSync(repo.mirrorPath) : []) if (n !== 'objects') fs.rmSync(path.join(repo.mirrorPath, n), { recursive: true, force: true });
    return repo;
  }

  /**
   * Deletes the objects a removed repository left for its working copies once none of the copies
   * of `taskIds` (every copy there is) borrows them; a copy whose `.git` cannot be read (a volume
   * not mounted) counts as borrowing. Returns the repository ids whose objects went.
   */
  pruneRemovedObjects(taskIds: Iterable<string>): string[] {
    const dir = path.join(this.workspacesDir, SHARED_OBJECTS_DIR);
    const orphans = fs.existsSync(dir) ? fs.readdirSync(dir).filter((id) => /^[A-Za-z0-9_-]+$/.test(id) && !this.get(id)) : [];
    if (orphans.length === 0) return [];
    const borrowed = new Set<string>();
    for (const t of taskIds) {
      const f = path.join(this.workspacesDir, t, '.git', 'objects', 'info', 'alternates');
      const st = fs.lstatSync(f, { throwIfNoEntry: false });
      if (!st) {
        if (fs.existsSync(path.join(this.workspacesDir, t, '.git'))) continue; // a copy of ours always has the file: not borrowing
        return []; // unreadable (not mounted): keep everything
      }
      if (st.isFile()) borrowed.add(fs.readFileSync(f, 'utf8').trim());
    }
    const pruned = orphans.filter((id) => !borrowed.has(alternatesEntry(id)));
    for (const id of pruned) {
      fs.rmSync(path.join(dir, id), { force: true });
      fs.rmSync(path.join(this.dataDir, 'repos', id), { recursive: true, force: true });
    }
    return pruned;
  }

  /**
   * Brings the orchestrator's copy up to date now: a local path's current branch, branches, tags and
   * new objects; a URL fetched (without credentials). Throws like `add` (`not_found` when the path
   * is gone, `forbidden` for a URL that needs credentials).
   */
  sync(id: string): Promise<Repo> {
    const prev = this.syncing.get(id) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.syncNow(id));
    this.syncing.set(id, run);
    void run.finally(() => {
      if (this.syncing.get(id) === run) this.syncing.delete(id);
    }).catch(() => undefined);
    return run;
  }

  private async syncNow(id: string): Promise<Repo> {
    const repo = this.get(id);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${id}`);
    let synced: SyncOutcome;
    if (repo.kind === 'url') {
      synced = await fetchInto(repo.source, repo.mirrorPath, this.cloneLimits);
      const sameRoot = repo.rootCommits.length > 0 && repo.head?.commit === synced.head.commit;
      synced = { ...synced, rootCommits: sameRoot ? repo.rootCommits : await rootCommitsOf(repo.mirrorPath, synced.head.commit), remotes: [repo.source] };
    } else {
      const { gitdir } = this.gitDirOf(repo.source, repo.name);
      synced = await syncFromLocal(gitdir, repo.mirrorPath, { rootCommits: repo.rootCommits, defaultBranch: repo.defaultBranch });
    }
    this.recordSync(id, synced);
    return this.get(id) as Repo;
  }

  /**
   * The base of a new task: the repository as the person has it now. A local path: synced, then its
   * current branch's head (detached: HEAD's commit) and, with `uncommitted`, the changes of its
   * working tree against that commit. A URL: fetched; when that fails (offline, or a private
   * repository: credentials are not kept) the last fetched commit, saying so in `note`.
   */
  async liveBase(id: string, opts: { uncommitted: boolean }): Promise<LiveBase> {
    let note: string | undefined;
    let repo: Repo;
    try {
      repo = await this.sync(id);
    } catch (e) {
      const before = this.get(id);
      if (!before || before.kind !== 'url' || !before.head || !(e instanceof PushPalsError)) throw e;
      repo = before;
      note = `could not fetch ${before.source} (${e.message}); working from the last fetched commit ${before.head.commit.slice(0, 12)} (fetched ${before.syncedAt ?? before.addedAt})`;
    }
    const head = repo.head as { branch?: string; commit: string };
    if (!opts.uncommitted) return { commit: head.commit, branch: head.branch, uncommitted: undefined, note };
    if (repo.kind === 'url') return { commit: head.commit, branch: head.branch, uncommitted: undefined, note: note ?? 'uncommitted changes were not taken: a repository registered by URL has no working tree here' };
    const { gitdir, workTree } = this.gitDirOf(repo.source, repo.name);
    if (!workTree) return { commit: head.commit, branch: head.branch, uncommitted: undefined, note: 'uncommitted changes were not taken: the repository is bare' };
    const uncommitted = await readUncommitted(workTree, gitdir, head.commit, repo.mirrorPath, this.uncommittedLimits);
    return { commit: head.commit, branch: head.branch, uncommitted, note };
  }

  /**
   * Lays a live base's uncommitted changes over the task's working copy, once it is checked out (in
   * the sandbox or here): files written here on the host, staged entries into the copy's index
   * (isomorphic-git reading the shared objects through the copy's alternates). Returns how many paths
   * it changed and what it created (the caller gives those to the sandbox's uid).
   */
  async applyUncommitted(repoId: string, taskId: string, base: LiveBase): Promise<OverlayResult> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    if (!base.uncommitted?.length) return { paths: 0, written: [] };
    const { workTree } = this.gitDirOf(repo.source, repo.name);
    if (!workTree) return { paths: 0, written: [] };
    const dir = this.workspacePath(taskId);
    return applyUncommitted(workTree, dir, base.uncommitted, repo.mirrorPath, this.workspaceFs(dir));
  }

  /** Finds the git dir (and work tree, unless bare) of a local source, reading files as data only. */
  private gitDirOf(src: string, registeredAs?: string): { gitdir: string; workTree: string | undefined } {
    let st: fs.Stats;
    try {
      st = fs.statSync(src);
    } catch {
      const again = registeredAs ? `; if it moved, register it from its new place ("pushpals repo remove ${registeredAs}", then "pushpals repo add <path>")` : '';
      throw new PushPalsError('not_found', `repository path ${src} does not exist${again}`);
    }
    if (!st.isDirectory()) throw new PushPalsError('invalid_message', `${src} is not a directory`);
    if (isInside(src, this.dataDir) || isInside(this.dataDir, src)) {
      throw new PushPalsError('invalid_message', `${src} overlaps the orchestrator's data dir ${this.dataDir}; register the repository from somewhere else`);
    }
    const dotGit = path.join(src, '.git');
    if (fs.existsSync(dotGit)) {
      if (fs.lstatSync(dotGit).isDirectory()) return { gitdir: dotGit, workTree: src };
      throw new PushPalsError('invalid_message', `${src} is a linked worktree or submodule checkout (.git is a file); register the main repository instead`);
    }
    if (fs.existsSync(path.join(src, 'HEAD')) && fs.existsSync(path.join(src, 'objects')) && fs.existsSync(path.join(src, 'refs'))) return { gitdir: src, workTree: undefined }; // bare
    throw new PushPalsError('invalid_message', `${src} is not a git repository (no .git directory)`);
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
   * `.git/objects`), with branch `pushpals/<taskId>` at `base` (a branch name, default the default
   * branch, or a commit — whose objects are in the clone, e.g. a live base after its sync — with the
   * branch it came from). `checkout`:
   * - 'host' (default): checked out here by isomorphic-git (no hooks, no smudge filters; ~1 ms per
   *   file: fine for small repositories and tests);
   * - 'sandbox': only the `.git` is written; the caller runs SANDBOX_CHECKOUT_COMMAND in the task's
   *   sandbox (real git, the fast path) — the workbench does this.
   * The caller (sandbox owner) gives the copy to the sandbox uid. The directory may exist if it is
   * empty (a size-limited volume or a pool slot mounted there): it is filled, and on failure emptied but kept.
   * `branch`: another branch than `pushpals/<taskId>` (a plan's ticket works on `pushpals/<plan>/t-<ticket>`).
   */
  async createWorkspace(repoId: string, taskId: string, base?: WorkspaceBase, opts: { checkout?: 'host' | 'sandbox'; branch?: string | undefined } = {}): Promise<Workspace & { written: string[] }> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    const dir = this.workspacePath(taskId);
    const existed = fs.existsSync(dir);
    if (existed && (!fs.lstatSync(dir).isDirectory() || fs.readdirSync(dir).length > 0)) throw new PushPalsError('conflict', `workspace for task ${taskId} already exists`);
    if (isInside(this.dataDir, dir)) throw new PushPalsError('internal', 'refusing to create a workspace that contains the data dir');
    const branch = opts.branch ?? `pushpals/${taskId}`;
    fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
    try {
      const { commit: baseCommit, from } = await this.resolveBase(repo, base);
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

  /**
   * The commit a working copy starts from, and the branch it came from (undefined: a detached HEAD):
   * a commit given is taken as is when the clone has it; a branch (default: the default branch) is
   * resolved in the clone.
   */
  async resolveBase(repo: Repo, base?: WorkspaceBase): Promise<{ commit: string; from: string | undefined }> {
    if (typeof base === 'object') {
      const { commit, branch } = base;
      if (!OID.test(commit)) throw new PushPalsError('invalid_message', `base commit "${commit.slice(0, 64)}" is not a full commit id`);
      await git.readCommit({ fs, gitdir: repo.mirrorPath, oid: commit }).catch(() => {
        throw new PushPalsError('not_found', `commit ${commit} is not in ${repo.id}'s clone`);
      });
      return { commit, from: branch };
    }
    const from = base ?? repo.defaultBranch;
    const commit = await git.resolveRef({ fs, gitdir: repo.mirrorPath, ref: `refs/heads/${from}` }).catch(() => {
      throw new PushPalsError('not_found', `branch ${from} does not exist in ${repo.id}`);
    });
    return { commit, from };
  }

  /**
   * Prepares a warm-pool slot ahead of any task (`dir`: the slot's empty directory): the shared-objects
   * `.git` on POOL_BRANCH at the default branch; the caller checks it out in the slot's sandbox.
   */
  async prepareSlot(repoId: string, dir: string): Promise<{ baseCommit: string; written: string[] }> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    const { commit: baseCommit } = await this.resolveBase(repo);
    ensureSharedObjectsLink(this.workspacesDir, repo.id, path.join(repo.mirrorPath, 'objects'));
    return { baseCommit, written: writeSkeleton({ dir, repoId, branch: POOL_BRANCH, baseCommit, fromBranch: repo.defaultBranch }) };
  }

  /**
   * The task takes over a slot prepareSlot filled (now at `<workspacesDir>/<taskId>`): its branch
   * pushpals/<taskId> at `base` (as for createWorkspace; a live base may be on another branch than
   * the slot's). `checkoutNeeded` when the slot holds another commit. `branchName` as for createWorkspace.
   */
  async workspaceFromSlot(repoId: string, taskId: string, slotCommit: string, base?: WorkspaceBase, branchName?: string): Promise<Workspace & { written: string[]; checkoutNeeded: boolean }> {
    const repo = this.get(repoId);
    if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}`);
    const dir = this.workspacePath(taskId);
    const head = fs.readFileSync(path.join(dir, '.git', 'HEAD'), 'utf8');
    if (head !== `ref: refs/heads/${POOL_BRANCH}\n`) throw new PushPalsError('conflict', `${dir} is not a prepared pool slot`);
    const { commit: baseCommit, from } = await this.resolveBase(repo, base);
    const branch = branchName ?? `pushpals/${taskId}`;
    const written = retargetSkeleton({ dir, branch, baseCommit, fromBranch: from });
    return { path: dir, branch, baseCommit, written, checkoutNeeded: baseCommit !== slotCommit };
  }

  /**
   * The shared object store a working copy of ours borrows from (`<workspacesDir>/.objects/<repoId>`),
   * found from its alternates entry only when that entry is exactly ours and its link exists (a
   * registered repo, or a removed one whose copies still borrow its objects; the file is
   * agent-writable: any other content is ignored, never followed).
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
    if (!m?.[1] || line !== alternatesEntry(m[1])) return undefined;
    // Ours: the link of a registered repository, or of a removed one whose copies still borrow its objects.
    const link = path.join(this.workspacesDir, SHARED_OBJECTS_DIR, m[1]);
    return fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() ? link : undefined;
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
