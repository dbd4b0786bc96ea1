/**
 * A one-off sandbox whose ONLY network path is the egress proxy: network mode `none` (loopback
 * only), plus the proxy's Unix socket directory bind-mounted read-only and the repository's download
 * cache mounted at /cache. Used by the dependency set-up and by approved network commands of agents.
 * Every proxy decision becomes an audit row (`egress`) and a refused one is reported to the person
 * (`egress_blocked`).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLog } from '../audit';
import type { ExecOptions, ExecResult, Sandbox, SandboxManager, SharedObjectsMount } from '../sandbox';
import type { Allowlist } from './allowlist';
import { EGRESS_MOUNT, proxyEnv, withForwarder } from './forwarder';
import { EgressProxy, type EgressDecision } from './proxy';

export const CACHE_MOUNT = '/cache';
const CA_FILE = 'ca-certificates.crt';

/** Where each package manager keeps its downloads inside the set-up sandbox (all under /cache). */
export const CACHE_ENV: Record<string, string> = {
  npm_config_cache: `${CACHE_MOUNT}/npm`,
  npm_config_prefer_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
  // Each request is a CONNECT tunnel: bound how many npm opens at once.
  npm_config_maxsockets: '16',
  PIP_CACHE_DIR: `${CACHE_MOUNT}/pip`,
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  PIP_PROGRESS_BAR: 'off',
  GOMODCACHE: `${CACHE_MOUNT}/go-mod`,
  GOFLAGS: '-modcacherw',
  CARGO_HOME: `${CACHE_MOUNT}/cargo`,
};

export interface EgressSandboxOptions {
  sandboxes: SandboxManager;
  audit: AuditLog;
  taskId: string;
  workspaceHostPath: string;
  /** Parent of the per-sandbox socket directories (e.g. `<dataDir>/egress`). */
  socketsDir: string;
  /** The repository's download cache on the host (created if missing). */
  cacheDir: string;
  allowlist: Allowlist;
  /** Registry settings for the package managers (npm_config_registry, PIP_INDEX_URL, GOPROXY, ...). */
  registryEnv: Record<string, string>;
  /** CA bundles the machine's package managers trust (registries.ts caFiles): the sandbox trusts them too. */
  caFiles?: string[];
  /** uid:gid that must be able to use the socket and write the cache (the sandbox's). */
  uid: number;
  gid: number;
  image?: string;
  /** The working copy's shared git objects (mounted read-only, as in its task sandbox). */
  sharedObjects?: SharedObjectsMount;
  /** Environment of every command for git (the network-git overrides: git/network-git.ts). */
  gitEnv?: Record<string, string>;
  actor: string;
  /** A refused connection, as it happens, with the command that was running (the caller emits `egress_blocked`). */
  onBlocked?: (d: EgressDecision, command: string | undefined) => void;
}

/** exec/release like a Sandbox, every command through the forwarder to the egress proxy. */
export class EgressSandbox {
  private constructor(
    /** Every proxy decision of this sandbox so far, in order. */
    readonly decisions: readonly EgressDecision[],
    private readonly running: { command?: string },
    private readonly sandbox: Sandbox,
    private readonly proxy: EgressProxy,
    private readonly dir: string,
    private readonly env: Record<string, string>,
  ) {}

  static async open(o: EgressSandboxOptions): Promise<EgressSandbox> {
    mkdirSync(o.socketsDir, { recursive: true, mode: 0o700 });
    mkdirSync(o.cacheDir, { recursive: true, mode: 0o700 });
    const root = process.getuid?.() === 0;
    if (root) chownSync(o.cacheDir, o.uid, o.gid);
    // One directory per sandbox: the mount shows this socket and nothing else.
    const dir = mkdtempSync(join(o.socketsDir, 'egress-'));
    chmodSync(dir, 0o755);
    const decisions: EgressDecision[] = [];
    const running: { command?: string } = {};
    // One report per refused host:port and sandbox: a package manager retries, the person needs it once.
    const reported = new Set<string>();
    const proxy = new EgressProxy({
      allowlist: o.allowlist,
      onDecision: (d) => {
        decisions.push(d);
        try {
          // The row's command is the request itself (`CONNECT host:port`): audit_get shows it as it is.
          o.audit.append({
            taskId: o.taskId,
            actor: o.actor,
            action: d.allowed ? 'egress_allowed' : 'egress_refused',
            command: `${d.method} ${d.host}:${d.port}`,
            verdict: d.allowed ? 'allow' : 'deny',
            data: { host: d.host, port: d.port, method: d.method, reason: d.reason, byCommand: running.command ?? null },
          });
          const key = `${d.host}:${d.port}`;
          if (!d.allowed && d.refusal !== 'capacity' && !reported.has(key)) {
            reported.add(key);
            o.onBlocked?.(d, running.command);
          }
        } catch {
          // the audit trail is closed (shutdown): the connection is refused or cut anyway
        }
      },
    });
    // The machine's CA bundle next to the socket (the directory is mounted read-only), for every tool.
    let caEnv: Record<string, string> = {};
    if (o.caFiles?.length) {
      writeFileSync(join(dir, CA_FILE), o.caFiles.map((f) => readFileSync(f, 'utf8')).join('\n'), { mode: 0o644 });
      const ca = `${EGRESS_MOUNT}/${CA_FILE}`;
      caEnv = { npm_config_cafile: ca, PIP_CERT: ca, SSL_CERT_FILE: ca, NODE_EXTRA_CA_CERTS: ca, GIT_SSL_CAINFO: ca, CARGO_HTTP_CAINFO: ca, REQUESTS_CA_BUNDLE: ca };
    }
    const socket = join(dir, 'proxy.sock');
    await proxy.listen(socket);
    chmodSync(socket, 0o666); // the sandbox user connects; only this sandbox mounts the directory
    try {
      const sandbox = await o.sandboxes.acquire({
        taskId: o.taskId,
        workspaceHostPath: o.workspaceHostPath,
        mounts: [
          { source: dir, target: EGRESS_MOUNT, readOnly: true },
          { source: o.cacheDir, target: CACHE_MOUNT, readOnly: false },
        ],
        ...(o.image ? { image: o.image } : {}),
        ...(o.sharedObjects ? { sharedObjects: o.sharedObjects } : {}),
        ...(o.gitEnv ? { env: o.gitEnv } : {}),
      });
      return new EgressSandbox(decisions, running, sandbox, proxy, dir, { ...proxyEnv(), ...CACHE_ENV, ...o.registryEnv, ...caEnv });
    } catch (e) {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get id(): string {
    return this.sandbox.id;
  }

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.running.command = command;
    try {
      return await this.sandbox.exec(withForwarder(command), { ...opts, env: { ...this.env, ...opts.env } });
    } finally {
      this.running.command = undefined;
    }
  }

  async release(): Promise<void> {
    await this.sandbox.release().catch(() => {});
    await this.proxy.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
