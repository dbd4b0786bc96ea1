/**
 * How a task's working copy is materialised (WHAT its base is, is git/'s business): the sandbox is
 * acquired FIRST — a warm-pool slot (a started container + its own empty directory or size-limited
 * volume, mounting the repository's shared objects read-only) or a cold one —, then the `.git` that
 * shares the clone's objects is written on the host (a handful of small files) and the files are
 * checked out INSIDE the sandbox by real git, as the sandbox user (so nothing needs chowning). The
 * sandbox stays held for the task until its agent asks for one (`take`) or the task ends.
 */
import { existsSync, lchownSync, lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_MESSAGE_LENGTH } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { SANDBOX_CHECKOUT_COMMAND, objectsContainerPath, type RepoRegistry, type Repo, type Workspace } from '../git';
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

  constructor(private readonly d: WorkingCopiesDeps) {}

  /** The repository's shared objects as the sandbox mounts them (and the host-side link its alternates resolve to). */
  sharedObjects(repo: Repo): SharedObjectsMount {
    const hostPath = join(repo.mirrorPath, 'objects');
    ensureSharedObjectsLink(this.d.repos.workspacesDir, repo.id, hostPath);
    return { hostPath, containerPath: objectsContainerPath(repo.id) };
  }

  /**
   * Points the warm pool at the repository tasks are expected for (the latest registered when none is
   * given): its slots mount that repository's objects and hold a checkout of its default branch made
   * ahead, so a task only moves its branch there (and rewrites the files that differ, if any).
   */
  targetPool(repo?: Repo): void {
    const r = repo ?? this.d.repos.list().at(-1);
    if (!r || this.d.sandboxProblem()) return;
    this.d.sandboxes.setPoolObjects(this.sharedObjects(r), async (sb, dir) => {
      const { baseCommit, written } = await this.d.repos.prepareSlot(r.id, dir);
      this.giveToSandbox(written);
      await this.checkout(sb, r);
      return baseCommit;
    });
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
   * Makes the task's working copy `<dataDir>/workspaces/<task>` on branch pushpals/<task>: sandbox
   * first, then the shared-objects `.git`, then the checkout inside the sandbox. On failure nothing
   * is left (copy, volume, sandbox). Errors: `disk_full`, `invalid_message` (the repository cannot be
   * checked out), `sandbox_unavailable`.
   */
  async materialize(repo: Repo, taskId: string): Promise<Workspace> {
    const path = this.d.repos.workspacePath(taskId);
    const objects = this.sharedObjects(repo);
    if (this.d.sandboxProblem()) return this.onHost(repo, taskId, path);
    this.targetPool(repo);
    const sb = await this.d.sandboxes.acquire({ taskId, sharedObjects: objects });
    try {
      // A pool slot checked out ahead: move the branch (and rewrite what differs); else the whole checkout.
      const ws =
        sb.prepared !== undefined
          ? await this.d.repos.workspaceFromSlot(repo.id, taskId, sb.prepared)
          : { ...(await this.d.repos.createWorkspace(repo.id, taskId, undefined, { checkout: 'sandbox' })), checkoutNeeded: true };
      this.giveToSandbox(ws.written);
      if (ws.checkoutNeeded) await this.checkout(sb, repo);
      this.held.set(taskId, sb);
      return { path: ws.path, branch: ws.branch, baseCommit: ws.baseCommit };
    } catch (e) {
      await sb.release().catch(() => {});
      await this.discard(path);
      throw e;
    }
  }

  /** Without a sandbox engine: the copy is checked out on the host (isomorphic-git); commands fail later, saying why. */
  private async onHost(repo: Repo, taskId: string, path: string): Promise<Workspace> {
    if (this.d.volumes && !this.d.volumes.isMounted(path)) await this.d.volumes.create(path);
    try {
      const ws = await this.d.repos.createWorkspace(repo.id, taskId);
      return { path: ws.path, branch: ws.branch, baseCommit: ws.baseCommit };
    } catch (e) {
      await this.discard(path);
      if (e instanceof PushPalsError) throw e;
      if ((e as { code?: unknown }).code === 'ENOSPC') {
        throw new PushPalsError('disk_full', `disk full: ${repo.name} does not fit into the task's working copy${this.d.volumes ? ` (limited to ${formatBytes(this.d.volumes.sizeBytes)})` : ''}`);
      }
      throw new PushPalsError('invalid_message', `cannot check out ${repo.name} for this task: ${e instanceof Error ? e.message : String(e)}`.slice(0, MAX_MESSAGE_LENGTH));
    }
  }

  private async discard(path: string): Promise<void> {
    await this.d.volumes?.remove(path).catch(() => {});
    rmSync(path, { recursive: true, force: true });
  }

  /** The sandbox materialize left for this task (its checkout ran there), once; undefined if none. */
  take(taskId: string): Sandbox | undefined {
    const sb = this.held.get(taskId);
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
