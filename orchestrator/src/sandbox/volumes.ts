/**
 * Size-limited working copies: each task's `/workspace` is its own ext4 filesystem in a sparse image
 * file, loop-mounted at the working copy's path. A command that writes past the limit gets ENOSPC
 * inside the sandbox; the host disk never holds more than the image's size for it. Why a loop image
 * and not project quotas, `--storage-opt size` or a tmpfs: see README.md ("Disk limits").
 *
 * Needs root (mount) and mkfs.ext4; `check()` says so up front. All commands are fixed argv without
 * a shell; nothing a repository controls reaches them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statfsSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { PushPalsError } from '../errors';
import { mountPointList } from '../util/mounts';
import type { SpaceInfo } from './types';

const run = promisify(execFile);

export interface WorkspaceVolumesOptions {
  /** Where the image files live (`<dataDir>/volumes`): never mountable into a sandbox. */
  imagesDir: string;
  /** Size of each working copy's filesystem in bytes. */
  sizeBytes: number;
  /** Owner of the filesystem's root directory (the sandbox user). */
  uid: number;
  gid: number;
  /** How to raise the limit, appended to errors (e.g. "set sandbox.diskLimitMb in config.json"). */
  hint: string;
}

/** Space of the filesystem holding `path` (statfs), or undefined. */
export function spaceOf(path: string): SpaceInfo | undefined {
  try {
    const s = statfsSync(path);
    return { sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize, freeInodes: s.ffree };
  } catch {
    return undefined;
  }
}

const errText = (e: unknown): string => {
  const x = e as { stderr?: string; message?: string };
  return (x.stderr?.trim() || x.message || String(e)).slice(0, 500);
};

export class WorkspaceVolumes {
  /** Mounts made by this process (unmounted by close()). */
  private readonly mounted = new Set<string>();

  constructor(readonly o: WorkspaceVolumesOptions) {}

  get sizeBytes(): number {
    return this.o.sizeBytes;
  }

  /**
   * The error for an orchestrator that is not root: a loop mount (or any other size-limited
   * filesystem the host can read) needs root, so the limit cannot be kept (README.md, "Not root").
   */
  static notRootProblem(hint: string): PushPalsError {
    return new PushPalsError(
      'sandbox_unavailable',
      `per-task disk limits are unavailable: the orchestrator runs as uid ${process.getuid?.() ?? '?'}, and a size-limited working copy is a loop-mounted filesystem, which needs root. Run the orchestrator as root (e.g. a systemd service), or accept no limit explicitly. ${hint}`,
    );
  }

  /** Throws `sandbox_unavailable` saying why size-limited working copies cannot be made here. */
  async check(): Promise<void> {
    const why = (s: string): never => {
      throw new PushPalsError('sandbox_unavailable', `per-task disk limits are unavailable: ${s}. ${this.o.hint}`);
    };
    if (process.getuid?.() !== 0) throw WorkspaceVolumes.notRootProblem(this.o.hint);
    for (const tool of ['mkfs.ext4', 'mount', 'umount']) {
      await run(tool, ['-V'], { timeout: 10_000 }).catch((e: unknown) => {
        if ((e as { code?: unknown }).code === 'ENOENT') why(`${tool} is not installed (package e2fsprogs / mount)`);
      });
    }
  }

  imageOf(mountPath: string): string {
    return join(this.o.imagesDir, `${basename(mountPath)}.img`);
  }

  isMounted(mountPath: string): boolean {
    return mountPointList().includes(mountPath);
  }

  /**
   * Creates a fresh, empty filesystem of `sizeBytes` and mounts it at `mountPath` (created; must not
   * exist or be an empty directory). The image is sparse: the host pays only for what is written.
   */
  async create(mountPath: string): Promise<void> {
    const img = this.imageOf(mountPath);
    mkdirSync(this.o.imagesDir, { recursive: true, mode: 0o700 });
    if (existsSync(img)) throw new PushPalsError('conflict', `a disk image for ${mountPath} exists already (${img})`);
    if (existsSync(mountPath) && readdirSync(mountPath).length > 0) throw new PushPalsError('conflict', `${mountPath} exists and is not empty`);
    try {
      writeFileSync(img, '', { mode: 0o600, flag: 'wx' });
      truncateSync(img, this.o.sizeBytes);
      // -m 0: no blocks reserved for root (the sandbox user gets all of it); -i 8192: enough inodes
      // for node_modules-sized trees; lazy init: mkfs takes ms and the image stays sparse.
      await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-i', '8192', '-L', 'pushpals-ws', '-E', `root_owner=${this.o.uid}:${this.o.gid},lazy_itable_init=1,lazy_journal_init=1`, img], { timeout: 60_000 });
      mkdirSync(mountPath, { recursive: true, mode: 0o755 });
      await this.mountImage(img, mountPath);
      rmdirSync(join(mountPath, 'lost+found')); // root-owned, would show up in `git status`
    } catch (e) {
      await this.remove(mountPath).catch(() => {});
      if (e instanceof PushPalsError) throw e;
      throw new PushPalsError('sandbox_unavailable', `could not create the size-limited working copy ${mountPath}: ${errText(e)}. ${this.o.hint}`);
    }
  }

  /** Mounts an existing image again (after a restart); true if `mountPath` is (now) a mounted volume. */
  async ensureMounted(mountPath: string): Promise<boolean> {
    if (this.isMounted(mountPath)) return true;
    const img = this.imageOf(mountPath);
    if (!existsSync(img)) return false;
    mkdirSync(mountPath, { recursive: true, mode: 0o755 });
    await this.mountImage(img, mountPath);
    return true;
  }

  private async mountImage(img: string, mountPath: string): Promise<void> {
    // nosuid,nodev: nothing in a working copy elevates; noinit_itable: no background zeroing (keeps it sparse).
    await run('mount', ['-t', 'ext4', '-o', 'loop,nosuid,nodev,noatime,noinit_itable', img, mountPath], { timeout: 60_000 }).catch((e: unknown) => {
      throw new PushPalsError('sandbox_unavailable', `could not mount ${img} at ${mountPath}: ${errText(e)}. ${this.o.hint}`);
    });
    this.mounted.add(mountPath);
  }

  /**
   * Hands the volume mounted at `from` (a warm-pool slot) to `to` (a task's working copy path: absent
   * or an empty directory): bind-mounts it at `to` (the mount flags nosuid,nodev,noatime go with it),
   * unmounts `from` and renames the image to `to`'s. A container that mounted `from` keeps the very
   * same filesystem: its mount is its own. A mount point cannot be renamed (EBUSY), hence the bind.
   */
  async adopt(from: string, to: string): Promise<void> {
    const img = this.imageOf(to);
    if (existsSync(img)) throw new PushPalsError('conflict', `a disk image for ${to} exists already (${img})`);
    if (existsSync(to) && readdirSync(to).length > 0) throw new PushPalsError('conflict', `${to} exists and is not empty`);
    mkdirSync(to, { recursive: true, mode: 0o755 });
    await run('mount', ['--bind', from, to], { timeout: 60_000 }).catch((e: unknown) => {
      throw new PushPalsError('sandbox_unavailable', `could not move the volume ${from} to ${to}: ${errText(e)}. ${this.o.hint}`);
    });
    this.mounted.add(to);
    renameSync(this.imageOf(from), img);
    await this.unmount(from);
    rmdirSync(from);
  }

  /**
   * Removes the pool slot volumes (`slot-*`) a previous run left: their mounts under `poolDir` and
   * their images. Returns how many it removed (a slot whose unmount failed is not counted).
   */
  async removeStale(poolDir: string): Promise<number> {
    const names = new Set<string>();
    if (existsSync(poolDir)) for (const n of readdirSync(poolDir)) if (n.startsWith('slot-')) names.add(n);
    if (existsSync(this.o.imagesDir)) for (const n of readdirSync(this.o.imagesDir)) if (n.startsWith('slot-') && n.endsWith('.img')) names.add(n.slice(0, -4));
    let removed = 0;
    for (const n of names) {
      const ok = await this.remove(join(poolDir, n)).then(() => true, () => false);
      if (ok) removed++;
    }
    return removed;
  }

  /** Unmounts (the loop device is freed with it: mount -o loop sets autoclear). Idempotent. */
  async unmount(mountPath: string): Promise<void> {
    this.mounted.delete(mountPath);
    if (!this.isMounted(mountPath)) return;
    try {
      await run('umount', [mountPath], { timeout: 60_000 });
    } catch {
      // Busy (a process of ours still has a file open in it): detach now, the kernel finishes when it closes.
      await run('umount', ['-l', mountPath], { timeout: 60_000 }).catch((e: unknown) => {
        throw new PushPalsError('internal', `could not unmount ${mountPath}: ${errText(e)}`);
      });
      return;
    }
    await this.releaseLoops(this.imageOf(mountPath));
  }

  /**
   * Autoclear frees the loop device on its last close, but the kernel does that from a work queue:
   * right after umount the device can still be attached (seen under load). Detach it and wait, so
   * "unmounted" means the device is free and a removed image's space is given back.
   */
  private async releaseLoops(img: string, timeoutMs = 5000): Promise<void> {
    const attached = async (): Promise<string[]> => {
      const r = await run('losetup', ['-j', img], { timeout: 10_000 }).catch(() => ({ stdout: '' }));
      return r.stdout.split('\n').map((l) => l.split(':')[0]?.trim() ?? '').filter((d) => d.startsWith('/dev/loop'));
    };
    const end = Date.now() + timeoutMs;
    for (let devs = await attached(); devs.length; devs = await attached()) {
      for (const d of devs) await run('losetup', ['-d', d], { timeout: 10_000 }).catch(() => {});
      if (Date.now() > end) return; // still busy elsewhere: autoclear finishes it later
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Unmounts, deletes the image and the (then empty) mount point. Idempotent. */
  async remove(mountPath: string): Promise<void> {
    await this.unmount(mountPath);
    rmSync(this.imageOf(mountPath), { force: true });
    if (existsSync(mountPath) && !this.isMounted(mountPath)) rmSync(mountPath, { recursive: true, force: true });
  }

  /** Unmounts every volume this process mounted (the images stay: a restart mounts them again). */
  async close(): Promise<void> {
    for (const m of [...this.mounted]) await this.unmount(m).catch(() => {});
  }
}
