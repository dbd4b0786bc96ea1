/**
 * The workbench: what tasks work WITH — registered repositories and per-task working copies (git/),
 * hardened sandboxes (sandbox/), the command policy (policy/) and the audit trail (audit/) — exposed
 * to agents as `AgentWorkbench`. It knows no agents: the composition root (workbench-setup.ts)
 * builds it and registers its commands and the agents that use it; close() removes its containers.
 */
import { createHash } from 'node:crypto';
import { existsSync, lchownSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_MESSAGE_LENGTH, type EventPayload, type TaskBase } from '@pushpals/protocol';
import type { TaskContext } from '../agents/types';
import type { AgentWorkbench, WorkspaceStart } from '../agents/workbench-port';
import { AuditLog, SIGNING_KEY_FILE } from '../audit';
import { sha256Ref } from '../util/hash';
import type { Config } from '../config';
import { PushPalsError } from '../errors';
import type { EventLog } from '../events/event-log';
import { NETWORK_GIT_ENV, RepoRegistry, neutralizeRepoConfig, type LiveBase, type Repo, type Workspace } from '../git';
import { loadRepoSettings, repoSettingsPath, type RepoSettings } from '../deps/settings';
import type { SetupDeps } from '../deps/setup';
import { Allowlist } from '../egress/allowlist';
import { detectRegistries, type DetectedRegistries } from '../egress/registries';
import { EgressSandbox } from '../egress/sandbox';
import type { Logger } from '../log';
import { ClassifierPool } from '../policy/classifier-pool';
import { loadPolicy } from '../policy/policy';
import { PUSHPALS_AUTHOR, advanceTaskBranch, branchHead, readFileAt, startTaskBranch, writeCommitObjects } from '../review/task-branch';
import { DEFAULT_MAX_OUTPUT_BYTES, SandboxManager, WorkspaceVolumes, type Sandbox, type SharedObjectsMount } from '../sandbox';
import type { Db } from '../store/db';
import { isTerminal, type CreateTaskInput, type TaskRecord, type TaskStore } from '../tasks/task-store';
import type { CommandToolDeps } from '../tools/run-command';
import { ToolCallJournal } from '../tools/tool-call-journal';
import type { Clock } from '../util/clock';
import { chownTree } from './fs-safe';
import { WorkspaceJanitor } from './janitor';
import { describeSwept, workbenchSweepers, type LeftoverSweeper, type SweepScope } from './leftovers';
import { WorkingCopies } from './working-copies';

/** What the workbench uses of the services (services.ts hands over the real ones). */
export interface WorkbenchServices {
  readonly config: Config;
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly events: Pick<EventLog, 'flush' | 'onEvent'>;
  readonly tasks: Pick<TaskStore, 'get' | 'setBase'>;
}

/** The sandbox's uid when the orchestrator runs as root (never root inside). */
const SANDBOX_UID = 1000;

export interface WorkbenchOptions {
  /** Secrets to redact from outputs and the audit trail (the server token and model keys at least). */
  secrets: string[];
}

export class Workbench implements AgentWorkbench {
  readonly repos: RepoRegistry;
  readonly audit: AuditLog;
  readonly journal: ToolCallJournal;
  /** Classifies every command an agent wants to run, off the main thread and within a deadline (policy/classifier-pool.ts). */
  readonly classifier: ClassifierPool;
  readonly sandboxes: SandboxManager;
  /** Size-limited working copies (config sandbox.diskLimitMb > 0), else undefined. */
  readonly volumes: WorkspaceVolumes | undefined;
  readonly janitor: WorkspaceJanitor;
  /** How working copies are made: sandbox (pool slot) first, shared objects, checkout inside. */
  readonly copies: WorkingCopies;
  private readonly uid: number;
  private readonly gid: number;
  /** Why sandboxes are unavailable (no engine / no image), or undefined when they work. */
  sandboxProblem: string | undefined;
  /** Why size-limited working copies cannot be made here (tasks then fail saying so), or undefined. */
  diskProblem: PushPalsError | undefined;
  /** Parent of the egress proxies' per-sandbox socket directories (a Unix socket path must stay short). */
  private readonly egressDir: string;
  private registries: Promise<DetectedRegistries> | undefined;
  /** What lives as long as the sandboxes (the OpenHands warm pool): started after them, closed before them. */
  private readonly companions: Array<{ name: string; start(): Promise<void>; close(): Promise<void> }> = [];
  /** What a killed run may leave besides containers and pool slots (leftovers.ts). */
  private readonly sweepers: LeftoverSweeper[];
  /**
   * When this run of the data dir began (wall clock, as file times are): what was made before it is a
   * previous run's. Not the host process's start: an app created later in a long-lived process (an
   * embedder, a test restarting on a killed child's data dir) would keep a previous run's leftovers.
   */
  private readonly runStartedAt = Date.now();

  constructor(
    private readonly services: WorkbenchServices,
    private readonly opts: WorkbenchOptions,
  ) {
    const { config, db, clock } = services;
    this.repos = new RepoRegistry(db, config.dataDir, { clock });
    this.audit = new AuditLog(db, { clock, secrets: opts.secrets });
    this.journal = new ToolCallJournal({ db, audit: this.audit, clock, flush: () => services.events.flush() });
    this.classifier = new ClassifierPool({ ...config.policy, logger: services.logger.child('policy') });
    const root = process.getuid?.() === 0;
    this.uid = root ? SANDBOX_UID : (process.getuid?.() ?? SANDBOX_UID);
    this.gid = root ? SANDBOX_UID : (process.getgid?.() ?? SANDBOX_UID);
    const dataDir = config.dataDir;
    const { diskLimitMb, tmpMb } = config.sandbox;
    const configFile = join(dataDir, 'config.json');
    const raise = (key: string, now: number, zeroMeans?: string) =>
      `Raise the limit with ${key} in ${configFile} (now ${now}; e.g. {"sandbox": {"${key.split('.')[1]}": ${now * 2}}}${zeroMeans ? `, 0 = ${zeroMeans}` : ''}) and restart the orchestrator, or make the task write less.`;
    this.volumes =
      diskLimitMb > 0
        ? new WorkspaceVolumes({
            imagesDir: join(dataDir, 'volumes'),
            sizeBytes: diskLimitMb * 1024 * 1024,
            uid: this.uid,
            gid: this.gid,
            hint: `Set sandbox.diskLimitMb to 0 in ${configFile} to run without a per-task disk limit (a command can then fill the disk that holds the database).`,
          })
        : undefined;
    // Loop mounts need root: without it the limit cannot be kept, and tasks fail closed (sandbox/README.md, "Not root").
    if (this.volumes && !root) this.diskProblem = WorkspaceVolumes.notRootProblem(this.volumes.o.hint);
    const warmPool = this.diskProblem ? 0 : config.sandbox.warmPool;
    this.sandboxes = new SandboxManager({
      image: config.sandbox.image,
      instanceId: createHash('sha256').update(dataDir).digest('hex').slice(0, 12),
      // The data dir itself is refused as their parent; its workspaces/ children stay mountable.
      forbiddenHostPaths: [join(dataDir, 'token'), join(dataDir, SIGNING_KEY_FILE), config.dbFile, configFile, join(dataDir, 'repos'), join(dataDir, 'policies'), join(dataDir, 'server.json'), join(dataDir, 'volumes')],
      workspacesDir: join(dataDir, 'workspaces'),
      user: `${this.uid}:${this.gid}`,
      limits: {
        memoryBytes: config.sandbox.memoryMb * 1024 * 1024,
        nanoCpus: Math.round(config.sandbox.cpus * 1e9),
        pidsLimit: config.sandbox.pidsLimit,
        tmpfsBytes: tmpMb * 1024 * 1024,
        workspaceBytes: diskLimitMb * 1024 * 1024,
      },
      pool: { size: warmPool },
      ...(this.volumes && !this.diskProblem ? { volumes: this.volumes } : {}),
      allowedNetworks: ['none', 'egress'].includes(config.sandbox.approvedNetwork) ? [] : [config.sandbox.approvedNetwork],
      log: (msg) => services.logger.info(`sandbox: ${msg}`),
      diskHints: {
        workspace: diskLimitMb > 0 ? raise('sandbox.diskLimitMb', diskLimitMb, 'no limit') : 'Free space on that disk, or set sandbox.diskLimitMb to bound each working copy.',
        tmp: raise('sandbox.tmpMb', tmpMb),
      },
    });
    this.copies = new WorkingCopies({
      repos: this.repos,
      sandboxes: this.sandboxes,
      volumes: this.volumes,
      uid: this.uid,
      gid: this.gid,
      checkoutTimeoutMs: config.sandbox.commandTimeoutMs,
      imageOf: (repoId) => this.repoSettings(repoId).image,
      sandboxProblem: () => this.sandboxProblem,
    });
    const egress = join(dataDir, 'egress');
    this.egressDir = egress.length <= 64 ? egress : join(tmpdir(), `pushpals-egress-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
    this.sweepers = workbenchSweepers({ workspacesDir: join(dataDir, 'workspaces'), reposDir: join(dataDir, 'repos'), imagesDir: join(dataDir, 'volumes'), volumesOn: !!this.volumes && !this.diskProblem });
    this.janitor = new WorkspaceJanitor(services, this.repos, this.sandboxes, this.volumes, (taskId) => void this.copies.release(taskId));
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
    // Socket directories of proxies a previous process left (their sandboxes are reaped below).
    const egressDirs = existsSync(this.egressDir) ? readdirSync(this.egressDir).length : 0;
    rmSync(this.egressDir, { recursive: true, force: true });
    if (this.volumes && !this.diskProblem) {
      await this.volumes.check().catch((e: unknown) => {
        this.diskProblem = e instanceof PushPalsError ? e : new PushPalsError('sandbox_unavailable', String(e));
      });
    }
    // Said at start-up (and in `pushpals status`), not first at a task: every task would fail.
    if (this.diskProblem) this.services.logger.error(`tasks cannot get a working copy: ${this.diskProblem.message}`);
    this.janitor.start();
    try {
      // What a killed previous run left goes before the pools fill (leftovers.ts): its containers and pool slots here, the rest by the sweepers.
      const { reaped, reapedPool, poolSlots } = await this.sandboxes.init();
      const swept = await this.sweepLeftovers(true);
      const line = describeSwept([['container', reaped], [this.volumes ? 'pool slot volume' : 'pool slot dir', poolSlots], ['egress socket dir', egressDirs], ...swept], reapedPool);
      if (line) this.services.logger.info(`swept what a previous run of this data dir left: ${line}`);
      this.copies.targetPool();
      for (const c of this.companions) await c.start().catch((e: unknown) => this.services.logger.warn(`${c.name} did not start`, { error: e }));
    } catch (e) {
      this.sandboxProblem = e instanceof Error ? e.message : String(e);
      this.services.logger.warn(`sandboxes unavailable: ${this.sandboxProblem}`);
    }
  }

  /** What `/api/status` (and `pushpals status`) say about sandboxes, the disk limit, the pool and the working copies. */
  status(): Record<string, unknown> {
    return {
      sandboxes: this.sandboxProblem ? { ok: false, problem: this.sandboxProblem } : { ok: true },
      diskLimit: {
        limitMb: this.services.config.sandbox.diskLimitMb,
        ok: !this.diskProblem,
        ...(this.diskProblem ? { problem: this.diskProblem.message } : {}),
      },
      pool: this.sandboxes.poolStats(),
      keepFinishedHours: this.services.config.sandbox.keepFinishedHours,
      ...this.copies.usage(),
    };
  }

  /** Adds a kind of leftover a killed run may leave (leftovers.ts); before start(). */
  addLeftoverSweeper(s: LeftoverSweeper): void {
    this.sweepers.push(s);
  }

  /** Runs the leftover sweepers: at start-up (no task runs yet) or for gc (dirs of tasks that may still run stay). */
  private async sweepLeftovers(atStart: boolean): Promise<Array<[string, number]>> {
    const scope: SweepScope = {
      atStart,
      madeBefore: this.runStartedAt,
      isLive: (taskId) => {
        if (atStart) return true; // the task may run again: only what a previous run made goes (madeBefore)
        const t = this.services.tasks.get(taskId);
        return !t || !isTerminal(t.state); // unknown: not ours to judge, left alone
      },
      log: (msg) => this.services.logger.warn(msg),
    };
    const out: Array<[string, number]> = [];
    for (const s of this.sweepers) {
      const n = await s.sweep(scope).catch((e: unknown) => {
        this.services.logger.warn(`could not sweep leftover ${s.what}s`, { error: e });
        return 0;
      });
      out.push([s.what, n]);
    }
    return out;
  }

  /**
   * `pushpals gc` (workspace_gc): the finished tasks' working copies (janitor), then the leftovers a
   * start-up could not remove and dirs of finished tasks (logged: the protocol result counts copies).
   */
  async gc(olderThanHours?: number): Promise<{ removed: string[]; freedBytes: number; kept: number }> {
    const r = await this.janitor.gc(olderThanHours);
    await this.start();
    if (!this.sandboxProblem) {
      const line = describeSwept(await this.sweepLeftovers(false));
      if (line) this.services.logger.info(`gc swept leftovers: ${line}`);
    }
    return r;
  }

  /** Adds something that lives as long as the sandboxes (see `companions`); before start(). */
  attach(c: { name: string; start(): Promise<void>; close(): Promise<void> }): void {
    this.companions.push(c);
  }

  async close(): Promise<void> {
    for (const c of this.companions) await c.close().catch((e: unknown) => this.services.logger.warn(`closing ${c.name} failed`, { error: e }));
    await this.classifier.close();
    await this.janitor.close();
    await this.copies.close();
    await this.sandboxes.close();
    // Mounts live as long as this process; the images stay, a restart mounts them again.
    await this.volumes?.close();
  }

  /**
   * Every new task names its repository (id or name), or there is exactly one: resolved here, when
   * the task is created, so an unknown or ambiguous one is refused with the choices instead of a
   * task that is accepted and fails later.
   */
  admitTask(input: CreateTaskInput): CreateTaskInput {
    const { repo: ref, ...rest } = input;
    return { ...rest, repoId: this.resolveRepo(ref ?? input.repoId ?? null).id };
  }

  /** The repository named by id or name; without a name, the only registered one. Errors list the choices. */
  resolveRepo(ref: string | null): Repo {
    if (ref) {
      try {
        return this.repos.resolve(ref);
      } catch (e) {
        if (e instanceof PushPalsError) throw new PushPalsError(e.code, e.message, e.details, '/payload/repo');
        throw e;
      }
    }
    const all = this.repos.list();
    if (all.length === 1) return all[0] as Repo;
    if (all.length === 0) throw new PushPalsError('not_found', 'no repository is registered: run "pushpals repo add <path-or-url>" (or send repo_add) first', { choices: [] });
    const names = all.map((r) => `${r.name} (${r.id})`).join(', ');
    throw new PushPalsError('invalid_message', `${all.length} repositories are registered: say which one the task is for, by name or id (the CLI: --repo; task_new: repo): ${names}`, { choices: this.repos.choices() }, '/payload/repo');
  }

  /**
   * The task's working copy on branch pushpals/<task>, made from the repository as the person has
   * it now (RepoRegistry.liveBase: their current branch's head, or a fresh fetch; with the task's
   * includeUncommitted, their uncommitted changes laid over it), recorded and announced as
   * `task_base`. Reused when a crashed run is re-run. Made by WorkingCopies: a sandbox first (a
   * warm-pool slot when one is ready: with sandbox.diskLimitMb > 0 it brings its own size-limited
   * volume), then the `.git` sharing the clone's objects and a checkout of the base commit inside
   * that sandbox, which the task's commands then use (acquireSandbox).
   */
  async prepareWorkspace(ctx: Pick<TaskContext, 'task' | 'progress'>, at?: WorkspaceStart): Promise<{ repo: Repo; workspace: Workspace }> {
    const repo = this.resolveRepo(ctx.task.repoId);
    const path = this.repos.workspacePath(ctx.task.id);
    const branch = at?.branch ?? `pushpals/${ctx.task.id}`;
    await this.start();
    if (this.volumes) {
      if (this.diskProblem) throw this.diskProblem;
      await this.volumes.ensureMounted(path); // after a restart: the image of a re-run task
    }
    if (existsSync(path) && readdirSync(path).length > 0) return { repo, workspace: { path, branch, baseCommit: ctx.task.base?.commit ?? '' } };
    let live: LiveBase;
    if (at) {
      // A plan's ticket starts where its plan says: the plan's base with its dependencies' results.
      live = { commit: await at.base(repo), branch: undefined, uncommitted: undefined, note: undefined };
    } else {
      ctx.progress(`Reading the current state of ${repo.name}${ctx.task.includeUncommitted ? ', with your uncommitted changes' : ''}`, { step: 'workspace' });
      live = await this.repos.liveBase(repo.id, { uncommitted: ctx.task.includeUncommitted });
    }
    ctx.progress(`Preparing a working copy of ${repo.name} at ${live.branch ?? (at ? 'commit' : 'a detached HEAD')} ${live.commit.slice(0, 12)} on branch ${branch}`, { step: 'workspace' });
    const workspace = await this.copies.materialize(repo, ctx.task.id, live, branch);
    this.services.tasks.setBase(ctx.task.id, repo.id, baseOf(live));
    // The task branch in the orchestrator's own clone: the base the diff is reviewed against, where the commit lands.
    await startTaskBranch(repo.mirrorPath, ctx.task.id, workspace.baseCommit);
    // Cancelled while it was being prepared: nobody else lets go of its sandbox or deletes it.
    if (this.services.tasks.get(ctx.task.id)?.state === 'cancelled') {
      await this.copies.release(ctx.task.id);
      this.janitor.retire(ctx.task.id);
    }
    return { repo, workspace };
  }

  /**
   * Proposes an agent's changes for review: `diff_ready` with the base commit (the task branch's start
   * in the orchestrator's clone), and an audit entry holding the proposed diff. `before` is each changed
   * file as the agent found it: when that is not the base commit's (the person's uncommitted changes were
   * laid over it), they become one commit on the task branch first — the base the review applies to.
   * The audit row binds the diff to its base and, with `evidence`, to the tree its checks ran on and
   * each check's outcome and output hash (the protocol's Evidence, field for field).
   */
  async proposeDiff(ctx: Pick<TaskContext, 'task' | 'agentId' | 'emit'>, diff: EventPayload<'diff_ready'>, before?: ReadonlyMap<string, string | null>): Promise<void> {
    const baseCommit = await this.reviewBase(ctx, diff, before);
    const payload = { ...diff, ...(baseCommit ? { baseCommit } : {}) };
    this.audit.append({ taskId: ctx.task.id, actor: ctx.agentId, action: 'diff_proposed', stdout: diff.diff, data: { files: diff.files, hunks: diff.hunks.map((h) => h.hunkId), baseCommit: baseCommit ?? null, diffHash: sha256Ref(diff.diff), ...(diff.evidence ? { evidence: diff.evidence } : {}) } });
    ctx.emit('diff_ready', payload);
  }

  /**
   * The commit a diff applies to, as its review will see it: `diff.baseCommit`, else the task branch's
   * head — with the files as the agent found them (`before`) committed on top first when they are not
   * the base's (the person's uncommitted changes). Idempotent: a second call finds that commit as the head.
   * Evidence is computed against it, so the checked tree is exactly base + diff.
   */
  async reviewBase(ctx: Pick<TaskContext, 'task'>, diff: Pick<EventPayload<'diff_ready'>, 'baseCommit'>, before?: ReadonlyMap<string, string | null>): Promise<string | undefined> {
    const repo = this.resolveRepo(ctx.task.repoId);
    const head = await branchHead(repo.mirrorPath, ctx.task.id);
    let baseCommit = diff.baseCommit ?? head;
    if (baseCommit && before?.size) {
      const overlay = new Map<string, string | null>();
      for (const [p, content] of before) if ((await readFileAt(repo.mirrorPath, baseCommit, p)) !== content) overlay.set(p, content);
      if (overlay.size) {
        const sha = await writeCommitObjects(repo.mirrorPath, { parent: baseCommit, changes: overlay, message: `Uncommitted changes task ${ctx.task.id} started from\n\nThe files as they were in the working tree when the task started: the base its review applies to.`, author: PUSHPALS_AUTHOR, timestamp: Math.floor(this.services.clock.now() / 1000) });
        await advanceTaskBranch(repo.mirrorPath, ctx.task.id, head ?? baseCommit, sha);
        baseCommit = sha;
      }
    }
    return baseCommit;
  }

  /** Gives a directory the host wrote (e.g. a tree to check) to the sandbox's uid (when running as root). */
  chownTreeForSandbox(dir: string): void {
    if (process.getuid?.() === 0) chownTree(dir, this.uid, this.gid);
  }

  /**
   * What a repository's checks run in, as far as it can change their result: the image by name and id
   * (a rebuilt tag is another image) and the sandbox's limits. Part of a reused check result's key.
   */
  async sandboxIdentity(repoId: string): Promise<Record<string, unknown>> {
    const { sandbox } = this.services.config;
    const image = this.repoSettings(repoId).image ?? sandbox.image;
    const info = await this.sandboxes.docker.getImage(image).inspect();
    return { image, imageId: info.Id, memoryMb: sandbox.memoryMb, cpus: sandbox.cpus, pidsLimit: sandbox.pidsLimit, tmpMb: sandbox.tmpMb, commandTimeoutMs: sandbox.commandTimeoutMs };
  }

  /**
   * The commit a plan starts from: the person's current branch head (synced, like any task's live
   * base), recorded and announced as the planned task's base. Its tickets build on it as commits,
   * so the person's uncommitted changes are not part of a plan (the base's note says so when asked).
   */
  async planBase(task: Pick<TaskRecord, 'id' | 'repoId' | 'includeUncommitted'>): Promise<{ repo: Repo; commit: string }> {
    const repo = this.resolveRepo(task.repoId);
    const live = await this.repos.liveBase(repo.id, { uncommitted: false });
    const note = task.includeUncommitted ? `a planned task starts from the last commit (${live.commit.slice(0, 12)}): your uncommitted changes are not part of it` : live.note;
    this.services.tasks.setBase(task.id, repo.id, baseOf({ ...live, note }));
    return { repo, commit: live.commit };
  }

  /** Gives a file the host created in a working copy to the sandbox's uid (when running as root). */
  chownForSandbox(p: string): void {
    if (process.getuid?.() === 0) lchownSync(p, this.uid, this.gid);
  }

  async acquireSandbox(taskId: string, workspaceHostPath: string, repoId?: string): Promise<Sandbox> {
    await this.start();
    // The sandbox the checkout ran in; else (a re-run reusing its copy) a pool container takes the
    // copy over when it can (no disk limit: same path, ~1 ms), or a cold one — of the repository's image.
    const held = this.copies.take(taskId, workspaceHostPath);
    if (held) return held;
    const repo = repoId ? this.repos.get(repoId) : undefined;
    const objects = repo ? this.copies.sharedObjects(repo) : this.copies.sharedObjectsOfCopy(workspaceHostPath);
    const image = repoId ? this.repoSettings(repoId).image : undefined;
    return this.sandboxes.acquire({ taskId, workspaceHostPath, adoptPrepared: true, ...(objects ? { sharedObjects: objects } : {}), ...(image ? { image } : {}) });
  }

  /** The repository objects a working copy borrows, for a container an agent starts itself (OpenHands). */
  sharedObjectsOfCopy(workspaceHostPath: string): SharedObjectsMount | undefined {
    return this.copies.sharedObjectsOfCopy(workspaceHostPath);
  }

  /** Lets go of the sandbox a task's copy was checked out in, for an agent that runs its own container. */
  releaseHeldSandbox(taskId: string): Promise<void> {
    return this.copies.release(taskId);
  }

  /**
   * Before a sandbox with network runs in a working copy: git there must do only what the person
   * approved, whatever the task's code wrote into the copy's `.git`. Its config is cut down to an
   * allow-list here; every command of that sandbox then runs with NETWORK_GIT_ENV (home/system config
   * off, overrides for hooks, fsmonitor, ssh command and credential helpers; git/network-git.ts).
   */
  private neutralizeForNetwork(taskId: string, workspaceHostPath: string): void {
    // No `.git` at all (e.g. a commit's tree checked before committing): nothing git would read. A
    // symlink or file there is refused by neutralizeRepoConfig.
    if (!lstatSync(join(workspaceHostPath, '.git'), { throwIfNoEntry: false })) return;
    const dropped = neutralizeRepoConfig(workspaceHostPath);
    if (dropped.length) {
      this.chownForSandbox(join(workspaceHostPath, '.git', 'config'));
      this.services.logger.warn(`task ${taskId}: removed from the working copy's .git/config before a network command: ${dropped.slice(0, 20).join('; ')}`);
    }
  }

  /** A one-off sandbox on a configured docker network (sandbox.approvedNetwork other than none/egress), git neutralised. */
  private async networkSandbox(taskId: string, workspaceHostPath: string, network: string): Promise<Sandbox> {
    await this.start();
    this.neutralizeForNetwork(taskId, workspaceHostPath);
    const objects = this.copies.sharedObjectsOfCopy(workspaceHostPath);
    return this.sandboxes.acquire({ taskId, workspaceHostPath, network, env: NETWORK_GIT_ENV, ...(objects ? { sharedObjects: objects } : {}) });
  }

  /** The person's settings for a repository (`<dataDir>/repo-settings/<repoId>.json`; defaults when absent). */
  repoSettings(repoId: string): RepoSettings {
    return loadRepoSettings(this.services.config.dataDir, repoId);
  }

  repoSettingsFile(repoId: string): string {
    return repoSettingsPath(this.services.config.dataDir, repoId);
  }

  /** The machine's package registries, read once (at the first set-up or network command) and kept. */
  egressDefaults(): Promise<DetectedRegistries> {
    return (this.registries ??= detectRegistries().then((r) => {
      for (const n of r.notes) this.services.logger.info(`egress: ${n}`);
      this.services.logger.info(`egress allowlist from this machine's registries: ${new Allowlist(r.entries).describe()}`);
      return r;
    }));
  }

  /**
   * A one-off sandbox on the task's working copy whose only network is the egress proxy: the
   * machine's registries plus the repository's egress.allow; downloads cached in
   * `<dataDir>/caches/<repoId>`. Each refused connection is reported as `egress_blocked`. The copy's
   * `.git/config` is neutralised first and git there runs with NETWORK_GIT_ENV (neutralizeForNetwork);
   * the copy's shared objects are mounted read-only as in its task sandbox.
   */
  async openEgressSandbox(ctx: TaskContext, repoId: string, workspaceHostPath: string): Promise<EgressSandbox> {
    await this.start();
    const settings = this.repoSettings(repoId);
    const defaults = await this.egressDefaults();
    this.neutralizeForNetwork(ctx.task.id, workspaceHostPath);
    const objects = this.copies.sharedObjectsOfCopy(workspaceHostPath);
    return EgressSandbox.open({
      sandboxes: this.sandboxes,
      audit: this.audit,
      taskId: ctx.task.id,
      workspaceHostPath,
      socketsDir: this.egressDir,
      cacheDir: join(this.services.config.dataDir, 'caches', repoId),
      allowlist: new Allowlist(defaults.entries).with(settings.egress.allow),
      registryEnv: defaults.env,
      caFiles: defaults.caFiles,
      uid: this.uid,
      gid: this.gid,
      actor: 'egress-proxy',
      gitEnv: NETWORK_GIT_ENV,
      ...(objects ? { sharedObjects: objects } : {}),
      ...(settings.image ? { image: settings.image } : {}),
      onBlocked: (d, command) =>
        ctx.emit('egress_blocked', { taskId: ctx.task.id, host: d.host.slice(0, 255), port: d.port, reason: d.reason.slice(0, MAX_MESSAGE_LENGTH), ...(command ? { command: command.slice(0, 4096) } : {}) }),
    });
  }

  /** What the dependency set-up of a task needs (deps/setup.ts). */
  setupDeps(repoId: string, workspaceHostPath: string, commandDeps: CommandToolDeps): SetupDeps {
    return { commandDeps, settings: this.repoSettings(repoId), openEgress: (ctx) => this.openEgressSandbox(ctx, repoId, workspaceHostPath) };
  }

  commandToolDeps(repoId: string, taskId: string, workspaceHostPath: string): CommandToolDeps {
    const network = this.services.config.sandbox.approvedNetwork;
    const networkSandbox =
      network === 'none'
        ? undefined
        : network === 'egress'
          ? (ctx: TaskContext) => this.openEgressSandbox(ctx, repoId, workspaceHostPath)
          : () => this.networkSandbox(taskId, workspaceHostPath, network);
    return {
      ...(networkSandbox ? { networkSandbox } : {}),
      beforeApproval: () => this.copies.release(taskId),
      audit: this.audit,
      journal: this.journal,
      classifier: this.classifier,
      policy: loadPolicy(this.services.config.dataDir, repoId),
      workspaceHostPath,
      secrets: this.opts.secrets,
      timeoutMs: this.services.config.sandbox.commandTimeoutMs,
      maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
    };
  }
}

/** The protocol's record of a live base. */
function baseOf(live: LiveBase): TaskBase {
  return {
    commit: live.commit,
    ...(live.branch ? { branch: live.branch.slice(0, 256) } : {}),
    uncommitted: live.uncommitted !== undefined,
    ...(live.uncommitted ? { files: live.uncommitted.length } : {}),
    ...(live.note ? { note: live.note.slice(0, MAX_MESSAGE_LENGTH) } : {}),
  };
}
