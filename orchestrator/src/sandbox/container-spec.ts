/** The hardened container and the labels every sandbox carries: the one place the isolation is defined (README.md "Hardening"). */
import type Docker from 'dockerode';
import type { SharedObjectsMount } from './paths';
import { SANDBOX_ENV } from './sandbox';
import type { ExtraMount, SandboxLimits } from './types';

export const LABEL_MANAGED = 'pushpals.managed';
export const LABEL_INSTANCE = 'pushpals.instance';
export const LABEL_SANDBOX = 'pushpals.sandbox';
export const LABEL_POOL = 'pushpals.pool';

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryBytes: 1024 ** 3,
  nanoCpus: 1e9,
  pidsLimit: 256,
  tmpfsBytes: 512 * 1024 ** 2,
  workspaceBytes: 0,
};

export const DEFAULT_DISK_HINTS = {
  workspace: 'Give the sandbox a larger working copy volume, or make the command write less.',
  tmp: 'Give the sandbox a larger /tmp, or make the command write less there.',
};

export interface ContainerSpecInput {
  image: string;
  user: string;
  workspaceHostPath: string;
  network: string;
  labels: Record<string, string>;
  limits: SandboxLimits;
  /** The repository's shared git objects, mounted read-only (checked by assertSharedObjectsMount). */
  sharedObjects?: SharedObjectsMount;
  /** Checked by the caller (assertMountable); see AcquireOptions.mounts. */
  extraMounts?: ExtraMount[];
}

/** The hardened container: the one place where the sandbox's isolation is defined. */
export function sandboxContainerSpec(p: ContainerSpecInput): Docker.ContainerCreateOptions {
  return {
    Image: p.image,
    User: p.user,
    WorkingDir: '/workspace',
    Cmd: ['sleep', 'infinity'],
    Env: SANDBOX_ENV,
    Hostname: 'sandbox',
    Labels: p.labels,
    HostConfig: {
      NetworkMode: p.network,
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': `rw,exec,nosuid,nodev,size=${p.limits.tmpfsBytes}` },
      ShmSize: 64 * 1024 ** 2,
      PidsLimit: p.limits.pidsLimit,
      Memory: p.limits.memoryBytes,
      MemorySwap: p.limits.memoryBytes,
      NanoCpus: p.limits.nanoCpus,
      OomScoreAdj: 500, // on host memory pressure, sandboxes go before the orchestrator
      Init: true, // docker-init as PID 1: fast stop, zombies reaped
      IpcMode: 'private',
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'none', Config: {} },
      Ulimits: [{ Name: 'core', Soft: 0, Hard: 0 }],
      // Only the task's working copy. `Mounts` (not `Binds`): a missing source fails instead of
      // being created as root, and propagation stays private.
      // Plus, read-only, the repository's shared objects (never the clone's config or hooks).
      Mounts: [
        { Type: 'bind', Source: p.workspaceHostPath, Target: '/workspace', ReadOnly: false, BindOptions: { Propagation: 'rprivate' } },
        ...(p.sharedObjects ? [{ Type: 'bind' as const, Source: p.sharedObjects.hostPath, Target: p.sharedObjects.containerPath, ReadOnly: true, BindOptions: { Propagation: 'rprivate' as const } }] : []),
        // The egress proxy's socket directory, a dependency cache (AcquireOptions.mounts).
        ...(p.extraMounts ?? []).map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly, BindOptions: { Propagation: 'rprivate' as const } })),
      ],
    },
  };
}

