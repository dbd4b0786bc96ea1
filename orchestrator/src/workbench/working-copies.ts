/**
 * How a task's working copy is materialised (WHAT its base is, is git/'s business: the live base):
 * the sandbox is acquired FIRST — a warm-pool slot (a started container + its own empty directory
 * or size-limited volume, mounting the repository's shared objects read-only, checked out ahead at
 * the default branch) or a cold one —, then the `.git` that shares the clone's objects is written
 * on the host (a handful of small files) and the files are checked out INSIDE the sandbox by real
 * git, as the sandbox user, at the base commit (a slot moves there and rewrites what differs). Then
 * the person's uncommitted changes, if the task takes them, are written over it from the host (what
 * that creates is given to the sandbox user). The sandbox stays held for the task until its agent
 * asks for one (`take`) or the task ends.
 */
import { existsSync, lchownSync, lstatSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { SANDBOX_CHECKOUT_COMMAND, objectsContainerPath, type LiveBase, type RepoRegistry, type Repo, type Workspace } from '../git';
import { ensureSharedObjectsLink } from '../git/working-copy';
import { formatBytes, type Sandbox, type SandboxManager, type SharedObjectsMount, type WorkspaceVolumes } from '../sandbox';

export interface WorkingCopiesDeps {
  repos: RepoRegistry;
  sandboxes: SandboxManager;
  volumes: WorkspaceVolumes | undefined;
  /** The sandbox user, owner of what the host writes into a copy (when running as root). */
  uid: number;
  gid: number;
  checkoutTimeoutMs: number;
  /** The image a repository's settings name for its sandboxes (undefined: the configured one). */
  imageOf: (repoId: string) => string | undefined;
  /** Why sandboxes cannot start (no engine/image): the copy is then checked out on the host. */
  sandboxProblem: () => string | undefined;
}

export interface DiskUsage {
  /** Working copies on disk, and the host disk they take (a volume's image counts what it allocated). */
  workingCopies: number;
  workingCopiesBytes: number;
  /** The clones' object stores every copy shares (counted once). */
  sharedObjectsBytes: number;
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Bytes a tree allocates on disk (st_blocks), symlinks not followed. */
export function allocatedBytes(p: string): number {
  let st;
  try {
    st = lstatSync(p);
  } catch {
    return 0;
  }
  let n = st.blocks * 512;
  if (st.isDirectory()) for (const e of readdirSync(p)) n += allocatedBytes(join(p, e));
  return n;
}

export class WorkingCopies {
  private readonly held = new Map<string, Sandbox>();
  /** The repository the warm pool's slots are made for. */
  private poolRepoId: string | undefined;

  constructor(private readonly d: WorkingCopiesDeps) {}

  /** The repository's shared objects as the sandbox mounts them (and the host-side link its alternates resolve to). */
  sharedObjects(repo: Repo): SharedObjectsMount {
    const hostPath = join(repo.mirrorPath, 'objects');
    ensureSharedObjectsLink(this.d.repos.workspacesDir, repo.id, hostPath);
    return { hostPath, containerPath: objectsContainerPath(repo.id) };
  }

  /**
   * The shared objects a working copy borrows (its alternates entry, when exactly ours), as the
   * sandbox mounts them: also for a repository removed while its copies still borrow its objects.
   */
  sharedObjectsOfCopy(dir: string): SharedObjectsMount | undefined {
    const link = this.d.repos.sharedObjectsOf(dir);
    if (!link) return undefined;
    const hostPath = realpathSync(link);
    return { hostPath, containerPath: objectsContainerPath(basename(link)) };
  }

  /**
   * Points the warm pool at the repository tasks are expected for (the latest registered when none is
   * given): its slots mount that repository's objects and hold a checkout of its default branch made
   * ahead, so a task only moves its branch there (and rewrites the files that differ, if any). They
   * run the repository's image (its settings may name one).
   */
  targetPool(repo?: Repo): void {
    const r = repo ?? this.d.repos.list().at(-1);
    if (this.d.sandboxProblem()) return;
    this.poolRepoId = r?.id;
    if (!r) return this.d.sandboxes.setPoolObjects(undefined); // none left (the last one removed)
    const image = this.d.imageOf(r.id);
    this.d.sandboxes.setPoolObjects(
      this.sharedObjects(r),
      async (sb, dir) => {
        const { baseCommit, written } = await this.d.repos.prepareSlot(r.id, dir);
        this.giveToSandbox(written);
        await this.checkout(sb, r);
        return baseCommit;
      },
      image,
    );
  }

  /** A repository was removed: the pool, if it served it, serves the latest registered one (or none). */
  forget(repoId: string): void {
    if (this.poolRepoId === repoId) this.targetPool();
  }

  private giveToSandbox(paths: string[]): void {
    if (process.getuid?.() === 0) for (const p of paths) lchownSync(p, this.d.uid, this.d.gid);
  }

  /** The checkout inside the sandbox (real git, as the sandbox user): disk_full / invalid_message on failure. */
  private async checkout(sb: Sandbox, repo: Repo): Promise<void> {
    const r = await sb.exec(SANDBOX_CHECKOUT_COMMAND, { timeoutMs: this.d.checkoutTimeoutMs, maxOutputBytes: 64 * 1024 });
    if (r.diskFull) throw new PushPalsError('disk_full', `${repo.name} does not fit into the task's working copy: ${r.diskFull.message}`.slice(0, MAX_MESSAGE_LENGTH));
    if (r.exitCode !== 0) {
      throw new PushPalsError('invalid_message', `cannot check out ${repo.name} for this task (git exited with ${r.exitCode}): ${(r.stderr || r.stdout).trim()}`.slice(0, MAX_MESSAGE_LENGTH));
    }
  }

  /**
   * Makes the task's working copy `<dataDir>/workspaces/<task>` on `branch` (default pushpals/<task>;
   * a plan's ticket: pushpals/<plan>/t-<ticket>) at the live
   * base's commit: sandbox first, then the shared-objects `.git`, then the checkout inside the
   * sandbox, then the uncommitted overlay. On failure nothing is left (copy, volume, sandbox).
   * Errors: `disk_full`, `invalid_message` (the repository cannot be checked out), `sandbox_unavailable`.
   */
  async materialize(repo: Repo, taskId: string, live: LiveBase, branch?: string): Promise<Workspace> {
    const path = this.d.repos.workspacePath(taskId);
    const base = { commit: live.commit, branch: live.branch };
    const objects = this.sharedObjects(repo);
    if (this.d.sandboxProblem()) return this.onHost(repo, taskId, path, live, branch);
    this.targetPool(repo);
    const image = this.d.imageOf(repo.id);
    const sb = await this.d.sandboxes.acquire({ taskId, sharedObjects: objects, ...(image ? { image } : {}) });
    try {
      // A pool slot checked out ahead (default branch): move the branch to the base (and rewrite what differs); else the whole checkout.
      const ws =
        sb.prepared !== undefined
          ? await this.d.repos.workspaceFromSlot(repo.id, taskId, sb.prepared, base, branch)
          : { ...(await this.d.repos.createWorkspace(repo.id, taskId, base, { checkout: 'sandbox', branch })), checkoutNeeded: true };
      this.giveToSandbox(ws.written);
      if (ws.checkoutNeeded) await this.checkout(sb, repo);
      await this.overlay(repo, taskId, live);
      this.held.set(taskId, sb);
      return { path: ws.path, branch: ws.branch, baseCommit: ws.baseCommit };
    } catch (e) {
      await sb.release().catch(() => {});
      await this.discard(path);
      throw this.copyError(repo, e);
    }
  }

  /** The person's uncommitted changes written over the checked-out copy (host-side), owned by the sandbox user. */
  private async overlay(repo: Repo, taskId: string, live: LiveBase): Promise<void> {
    const { written } = await this.d.repos.applyUncommitted(repo.id, taskId, live);
    this.giveToSandbox(written);
  }

  /** Without a sandbox engine: the copy is checked out on the host (isomorphic-git); commands fail later, saying why. */
  private async onHost(repo: Repo, taskId: string, path: string, live: LiveBase, branch: string | undefined): Promise<Workspace> {
    if (this.d.volumes && !this.d.volumes.isMounted(path)) await this.d.volumes.create(path);
    try {
      const ws = await this.d.repos.createWorkspace(repo.id, taskId, { commit: live.commit, branch: live.branch }, { branch });
      this.giveToSandbox(ws.written);
      await this.overlay(repo, taskId, live);
      return { path: ws.path, branch: ws.branch, baseCommit: ws.baseCommit };
    } catch (e) {
      await this.discard(path);
      throw this.copyError(repo, e);
    }
  }

  /** A failure while making a copy, as the typed error the task fails with. */
  private copyError(repo: Repo, e: unknown): PushPalsError {
    if (e instanceof PushPalsError) return e;
    if ((e as { code?: unknown }).code === 'ENOSPC') {
      return new PushPalsError('disk_full', `disk full: ${repo.name} does not fit into the task's working copy${this.d.volumes ? ` (limited to ${formatBytes(this.d.volumes.sizeBytes)})` : ''}. ${this.d.sandboxes.diskHint('workspace')}`);
    }
    // e.g. isomorphic-git refusing a tree entry named ".." or ".git": the repository is unusable, not us broken.
    return new PushPalsError('invalid_message', `cannot check out ${repo.name} for this task: ${e instanceof Error ? e.message : String(e)}`.slice(0, MAX_MESSAGE_LENGTH));
  }

  private async discard(path: string): Promise<void> {
    await this.d.volumes?.remove(path).catch(() => {});
    rmSync(path, { recursive: true, force: true });
  }

  /**
   * The sandbox materialize left for this task (its checkout ran there), once; undefined if none.
   * With `dir`: only if it mounts that directory (another one, e.g. a tree checked before a commit,
   * gets its own sandbox; the held one stays held).
   */
  take(taskId: string, dir?: string): Sandbox | undefined {
    const sb = this.held.get(taskId);
    if (sb && dir !== undefined && !sameDir(sb.workspaceHostPath, dir)) return undefined;
    this.held.delete(taskId);
    return sb && !sb.isReleased ? sb : undefined;
  }

  /** Releases the held sandbox of a task that ended without asking for it. */
  async release(taskId: string): Promise<void> {
    await this.take(taskId)?.release();
  }

  async close(): Promise<void> {
    const all = [...this.held.values()];
    this.held.clear();
    await Promise.all(all.map((s) => s.release()));
  }

  /** Disk taken by the working copies and by the object stores they share. */
  usage(): DiskUsage {
    const dir = this.d.repos.workspacesDir;
    let count = 0;
    let bytes = 0;
    if (existsSync(dir)) {
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.')) continue;
        count++;
        const img = this.d.volumes?.imageOf(join(dir, name));
        bytes += img && existsSync(img) ? statSync(img).blocks * 512 : allocatedBytes(join(dir, name));
      }
    }
    const shared = this.d.repos.list().reduce((n, r) => n + allocatedBytes(join(r.mirrorPath, 'objects')), 0);
    return { workingCopies: count, workingCopiesBytes: bytes, sharedObjectsBytes: shared };
  }
}
