/** Public types of the sandbox driver. */
import type { SharedObjectsMount } from './paths';

export type { SharedObjectsMount };

export type OutputStream = 'stdout' | 'stderr';

export interface ExecOptions {
  /** Wall-clock limit; past it the command and all its processes are SIGKILLed. Default 120 000. */
  timeoutMs?: number;
  /** Cap on stdout+stderr bytes kept (and streamed). Past it output is dropped. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Kill the command as soon as it exceeds maxOutputBytes (default false: it runs on, output dropped). */
  killOnOverflow?: boolean;
  /** Extra environment variables (merged over the sandbox's HOME=/tmp, PATH, LANG). */
  env?: Record<string, string>;
  /** Working directory inside the container; relative paths are resolved against /workspace. */
  cwd?: string;
  /** Streaming: decoded UTF-8 chunks as they arrive (only the part within maxOutputBytes). */
  onOutput?: (stream: OutputStream, chunk: string) => void;
  /** Cancels the command (SIGKILL of its process group); the result then has cancelled: true. */
  signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit status; 128+N when killed by signal N (137 after a timeout / cancel / SIGKILL). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Output went past maxOutputBytes; stdout/stderr hold only the first maxOutputBytes bytes. */
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** Which path ran it: the long-lived runner, or a fresh docker exec. */
  via: 'runner' | 'exec';
  /** After a non-zero exit: free space of /workspace and /tmp as the sandbox saw them (runner only). */
  space?: { workspace?: SpaceInfo; tmp?: SpaceInfo };
  /**
   * The command failed because a size limit was reached (ENOSPC): which one, and a message that says
   * the limit and how to raise it. Callers fail the task with `disk_full`.
   */
  diskFull?: DiskFull;
}

export interface SpaceInfo {
  sizeBytes: number;
  freeBytes: number;
  freeInodes: number;
}

export interface DiskFull {
  /** '/workspace' (the working copy's volume) or '/tmp' (the container's tmpfs, also HOME). */
  mount: '/workspace' | '/tmp';
  limitBytes: number;
  message: string;
}

export interface SandboxLimits {
  /** Memory (and memory+swap: no swap) in bytes. Default 1 GiB. */
  memoryBytes: number;
  /** CPU in units of 1e-9 CPUs. Default 1e9 (one CPU). */
  nanoCpus: number;
  /** Max processes/threads in the container. Default 256. */
  pidsLimit: number;
  /** Size of the tmpfs /tmp (also HOME; counts against memory). Default 512 MiB. */
  tmpfsBytes: number;
  /**
   * Size of a task's working copy when it is a size-limited volume (see volumes.ts); 0 = unlimited.
   * Only used for messages here: the volume itself is made by WorkspaceVolumes.
   */
  workspaceBytes: number;
}

export interface SandboxManagerOptions {
  /** Image to run. Default `pushpals-worker:dev`. */
  image?: string;
  /**
   * Stable id of this orchestrator installation (e.g. derived from its data dir): containers carry
   * `pushpals.instance=<id>` and reapAll() removes only this instance's leftovers. Default 'default'.
   */
  instanceId?: string;
  /**
   * Host paths that must never be visible in a sandbox (the token file, the DB, the config, the
   * orchestrator's own clones of registered repos...). A workspace equal to one of them, inside one,
   * or containing one (e.g. the data dir, `~`, `/`) is refused.
   */
  forbiddenHostPaths?: string[];
  /**
   * Where the driver creates task working copies when acquire() gets no workspaceHostPath
   * (`<workspacesDir>/<taskId>`) and keeps warm-pool slot dirs (`<workspacesDir>/.pool/`). Required
   * for the pool. Must not contain a forbidden path.
   */
  workspacesDir?: string;
  /** Network names (besides 'none') that acquire() may attach, for approved network commands. */
  allowedNetworks?: string[];
  limits?: Partial<SandboxLimits>;
  /** uid:gid the commands run as. Default '1000:1000' (never root). */
  user?: string;
  /** Warm pool of started containers with their runner up. Default size 0 (off). */
  pool?: { size: number };
  /**
   * Size-limited working copies (WorkspaceVolumes): each pool slot is then a started container AND
   * its own empty mounted volume, handed to a task by `acquire({ taskId })` (the volume moves to the
   * task's path); a cold acquire without workspaceHostPath creates the task's volume.
   */
  volumes?: PoolVolumes;
  /** Diagnostics (runner restarts, pool refill failures). */
  log?: (msg: string) => void;
  /** How to raise the limits, appended to disk_full messages (e.g. "raise sandbox.diskLimitMb in config.json"). */
  diskHints?: { workspace: string; tmp: string };
}

export interface AcquireOptions {
  taskId: string;
  /**
   * The task's working copy on the host, mounted read-write at /workspace (and nothing else is).
   * Omit it to get `<workspacesDir>/<taskId>` (from the warm pool when one is ready); fill that
   * directory afterwards through `sandbox.workspaceHostPath`.
   */
  workspaceHostPath?: string;
  /**
   * With workspaceHostPath: let a ready warm-pool sandbox take the prepared working copy over. Its
   * top-level entries are renamed into the slot's directory, which is then renamed over the prepared
   * directory: the path stays valid, the directory INODE changes (do not hold fds or a cwd in it).
   * Only for a directory directly inside workspacesDir on the same filesystem, network 'none', and a
   * directory no other sandbox mounts; otherwise (or with the pool empty) a cold container. Default false.
   */
  adoptPrepared?: boolean;
  /** 'none' (default) or one of the configured allowedNetworks. A pooled sandbox is always 'none'. */
  network?: string;
  /**
   * A repository's shared git objects, mounted READ-ONLY (git/working-copy.ts). A pool slot serves the
   * task only if it was made with the same mount (see SandboxManager.setPoolObjects).
   */
  sharedObjects?: SharedObjectsMount;
  /** Environment of every command of this sandbox (under the exec's own env). */
  env?: Record<string, string>;
  /**
   * More bind mounts besides /workspace (each source checked like the working copy; targets must be
   * absolute and outside /workspace): the egress proxy's socket directory and the per-repo download
   * cache of a dependency set-up. A sandbox with extra mounts is never taken from the pool.
   */
  mounts?: ExtraMount[];
  /**
   * Another image than the manager's (a repository's settings may name one). A pool slot serves the
   * task only if it was made from the same image.
   */
  image?: string;
}

export interface ExtraMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** What the pool needs of size-limited volumes (implemented by WorkspaceVolumes). */
export interface PoolVolumes {
  /** A fresh empty filesystem mounted at `path`. */
  create(path: string): Promise<void>;
  /** Moves the volume mounted at `from` to `to` (see WorkspaceVolumes.adopt). */
  adopt(from: string, to: string): Promise<void>;
  /** Unmounts and deletes it. Idempotent. */
  remove(path: string): Promise<void>;
  /** Removes pool slot volumes a previous run left under `poolDir` (mounts and images); returns how many. */
  removeStale(poolDir: string): Promise<number>;
}
