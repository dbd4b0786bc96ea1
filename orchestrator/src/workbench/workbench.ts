/**
 * The workbench: what tasks work WITH — registered repositories and per-task working copies (git/),
 * hardened sandboxes (sandbox/), the command policy (policy/) and the audit trail (audit/) — wired
 * into the services and exposed to agents. createApp installs it; close() removes its containers.
 */
import { createHash } from 'node:crypto';
import { existsSync, lchownSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskContext } from '../agents/types';
import { AuditLog } from '../audit';
import { PushPalsError } from '../errors';
import { RepoRegistry, type Repo, type Workspace } from '../git';
import { BuiltinAgent } from '../agents/builtin/agent';
import { noModelAgent } from '../agents/builtin/no-model';
import { HeuristicAgent } from '../heuristic/agent';
import type { ModelRegistry } from '../model/registry';
import { loadPolicy } from '../policy/policy';
import { DEFAULT_MAX_OUTPUT_BYTES, SandboxManager, type Sandbox } from '../sandbox';
import type { Services } from '../services';
import type { CommandToolDeps } from '../tools/run-command';
import { registerWorkbenchCommands } from './commands';
import { chownTree } from './fs-safe';

/** The sandbox's uid when the orchestrator runs as root (never root inside). */
const SANDBOX_UID = 1000;

export interface WorkbenchOptions {
  /** Secrets to redact from outputs and the audit trail (the server token and model keys at least). */
  secrets: string[];
  /** The configured models; absent: none (LLM agents are not registered). */
  models?: ModelRegistry;
}

export class Workbench {
  readonly repos: RepoRegistry;
  readonly audit: AuditLog;
  readonly sandboxes: SandboxManager;
  private readonly uid: number;
  private readonly gid: number;
  /** Why sandboxes are unavailable (no engine / no image), or undefined when they work. */
  sandboxProblem: string | undefined;

  constructor(
    private readonly services: Services,
    private readonly opts: WorkbenchOptions,
  ) {
    const { config, db, clock } = services;
    this.repos = new RepoRegistry(db, config.dataDir, { clock });
    this.audit = new AuditLog(db, { clock, secrets: opts.secrets });
    const root = process.getuid?.() === 0;
    this.uid = root ? SANDBOX_UID : (process.getuid?.() ?? SANDBOX_UID);
    this.gid = root ? SANDBOX_UID : (process.getgid?.() ?? SANDBOX_UID);
    const dataDir = config.dataDir;
    this.sandboxes = new SandboxManager({
      image: config.sandbox.image,
      instanceId: createHash('sha256').update(dataDir).digest('hex').slice(0, 12),
      // The data dir itself is refused as their parent; its workspaces/ children stay mountable.
      forbiddenHostPaths: [join(dataDir, 'token'), config.dbFile, join(dataDir, 'config.json'), join(dataDir, 'repos'), join(dataDir, 'policies'), join(dataDir, 'server.json')],
      workspacesDir: join(dataDir, 'workspaces'),
      user: `${this.uid}:${this.gid}`,
      limits: { memoryBytes: config.sandbox.memoryMb * 1024 * 1024, nanoCpus: Math.round(config.sandbox.cpus * 1e9), pidsLimit: config.sandbox.pidsLimit },
      pool: { size: config.sandbox.warmPool },
      allowedNetworks: config.sandbox.approvedNetwork === 'none' ? [] : [config.sandbox.approvedNetwork],
      log: (msg) => services.logger.info(`sandbox: ${msg}`),
    });
    registerWorkbenchCommands(services, this);
    services.registerAgent(new HeuristicAgent(this));
    // The coding agent takes what the heuristic lane does not understand; without a coder model,
    // such requests fail saying how to configure one.
    if (opts.models?.configured('coder')) services.registerAgent(new BuiltinAgent(this, opts.models, opts.secrets));
    services.agents.setFallback(noModelAgent);
  }

  private ready: Promise<void> | undefined;

  /**
   * Checks the engine and image and reaps leftover containers; a missing engine or image is logged,
   * not fatal (tasks then fail clearly). Idempotent; sandboxes are handed out only after it.
   */
  start(): Promise<void> {
    return (this.ready ??= this.init());
  }

  private async init(): Promise<void> {
    try {
      const { reaped } = await this.sandboxes.init();
      if (reaped) this.services.logger.info(`reaped ${reaped} leftover sandbox container(s)`);
    } catch (e) {
      this.sandboxProblem = e instanceof Error ? e.message : String(e);
      this.services.logger.warn(`sandboxes unavailable: ${this.sandboxProblem}`);
    }
  }

  async close(): Promise<void> {
    await this.sandboxes.close();
  }

  /** The repository a task works on: its own, else the only registered one. */
  resolveRepo(repoId: string | null): Repo {
    if (repoId) {
      const repo = this.repos.get(repoId);
      if (!repo) throw new PushPalsError('not_found', `unknown repository ${repoId}: register it with "pushpals repo add <path>"`);
      return repo;
    }
    const all = this.repos.list();
    if (all.length === 1) return all[0] as Repo;
    if (all.length === 0) throw new PushPalsError('not_found', 'no repository is registered: run "pushpals repo add <path-or-url>" (or send repo_add) first');
    throw new PushPalsError('invalid_message', `${all.length} repositories are registered: say which one (repoId) the task is for`);
  }

  /** The task's working copy on branch pushpals/<task>; reused when a crashed run is re-run. */
  async prepareWorkspace(ctx: TaskContext): Promise<{ repo: Repo; workspace: Workspace }> {
    const repo = this.resolveRepo(ctx.task.repoId);
    const path = this.repos.workspacePath(ctx.task.id);
    if (existsSync(path)) return { repo, workspace: { path, branch: `pushpals/${ctx.task.id}`, baseCommit: '' } };
    ctx.progress(`Preparing a working copy of ${repo.name} on branch pushpals/${ctx.task.id}`, { step: 'workspace' });
    const workspace = await this.repos.createWorkspace(repo.id, ctx.task.id).catch((e: unknown) => {
      if (e instanceof PushPalsError) throw e;
      // e.g. isomorphic-git refusing a tree entry named ".." or ".git": the repository is unusable, not us broken.
      throw new PushPalsError('invalid_message', `cannot check out ${repo.name} for this task: ${e instanceof Error ? e.message : String(e)}`.slice(0, 4096));
    });
    if (process.getuid?.() === 0) chownTree(workspace.path, this.uid, this.gid);
    return { repo, workspace };
  }

  /** Gives a file the host created in a working copy to the sandbox's uid (when running as root). */
  chownForSandbox(p: string): void {
    if (process.getuid?.() === 0) lchownSync(p, this.uid, this.gid);
  }

  async acquireSandbox(taskId: string, workspaceHostPath: string): Promise<Sandbox> {
    await this.start();
    // With config sandbox.warmPool > 0 a ready pool container takes the prepared working copy over
    // (same path, ~1 ms instead of a cold create); otherwise, or with the pool empty, a cold one.
    return this.sandboxes.acquire({ taskId, workspaceHostPath, adoptPrepared: true });
  }

  commandToolDeps(repoId: string, taskId: string, workspaceHostPath: string): CommandToolDeps {
    const network = this.services.config.sandbox.approvedNetwork;
    return {
      ...(network === 'none' ? {} : { networkSandbox: () => this.start().then(() => this.sandboxes.acquire({ taskId, workspaceHostPath, network })) }),
      audit: this.audit,
      policy: loadPolicy(this.services.config.dataDir, repoId),
      secrets: this.opts.secrets,
      timeoutMs: this.services.config.sandbox.commandTimeoutMs,
      maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
    };
  }
}
