/**
 * Configuration, read ONCE at start: defaults < `<dataDir>/config.json` < environment < explicit
 * overrides (CLI flags, tests). Everything is validated here, so a bad value fails the start with a
 * message naming the setting, instead of misbehaving later. `redactConfig` is what gets printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RateLimitConfig } from './commands/rate-limit';
import { PushPalsError } from './errors';
import { LOG_LEVELS, type LogLevel } from './log';
import { checkForgeConfig, defaultForgeConfig, type ForgeConfig } from './delivery/forge-config';
import { DEFAULT_CLASSIFIER_LIMITS, type ClassifierLimits } from './policy/classifier-pool';
import { MAX_SHOWN_COMMAND_BYTES } from './policy/unjudged';
import { checkModelsConfig, defaultAgentConfig, defaultModelsConfig, modelsFromEnv, type AgentConfig, type ModelsConfig } from './model/config';

export interface QueueConfig {
  /** Jobs run at once by this process's worker. */
  concurrency: number;
  /** How long a claim is valid without a heartbeat; a dead worker's job is re-run after this. */
  leaseMs: number;
  /** How often idle workers look for jobs enqueued by other processes. */
  pollMs: number;
  /** How often expired leases are recovered. */
  sweepMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxAttempts: number;
}

export interface ApprovalConfig {
  /** Pending approvals expire after this long (0 = never). */
  timeoutMs: number;
  /** How often expired approvals are swept. */
  sweepMs: number;
}

/** The sandbox containers' image and limits (read by the sandbox driver and the warm pool). */
export interface SandboxConfig {
  image: string;
  memoryMb: number;
  cpus: number;
  pidsLimit: number;
  commandTimeoutMs: number;
  warmPool: number;
  /**
   * Where commands that need network AND were approved (e.g. `npm install`) run: 'egress' (default):
   * a one-off sandbox whose only route is the orchestrator's allowlisting proxy (egress/); 'none':
   * such commands are refused before asking; another name: a Docker network (unfiltered).
   */
  approvedNetwork: string;
  /**
   * Size limit of each task's working copy (/workspace), in MiB: a loop-mounted ext4 image per task
   * (sandbox/volumes.ts; needs root). A command writing past it gets ENOSPC and the task fails with
   * `disk_full`. 0 = no limit (a command can fill the disk that holds the database).
   */
  diskLimitMb: number;
  /** Size of the sandbox's tmpfs /tmp (also HOME), in MiB; counts against memoryMb. */
  tmpMb: number;
  /**
   * Finished tasks' working copies are deleted this many hours after the task ended (unless a diff
   * of it awaits review); `pushpals gc` deletes them earlier. 0 = as soon as the task ends.
   */
  keepFinishedHours: number;
}

/** The workers a coding task can go to. */
export const WORKER_AGENTS = ['worker:builtin', 'openhands'] as const;
export type WorkerAgent = (typeof WORKER_AGENTS)[number];

/** Which worker takes a coding task: `task_new.agent`, else the repo's entry (id or name), else the default. */
export interface AgentsConfig {
  default: WorkerAgent;
  repos: Record<string, WorkerAgent>;
}

/** The OpenHands worker (agents/openhands): its image, how long its agent server may take to start, its warm pool. */
export interface OpenHandsConfig {
  image: string;
  readyTimeoutMs: number;
  /** Agent servers started ahead of tasks (agents/openhands/README.md "Warm pool"; ~320 MiB each while idle). */
  warmPool: number;
}

/** The planner: requests become a plan of tickets (a DAG) worked by coding agents in parallel. */
export interface PlannerConfig {
  /** Plan requests when a planner model is configured (false: the coding agent takes each request whole). */
  enabled: boolean;
  /** A plan waits for a person's approval (approval kind `plan`) before its tickets start. */
  requireApproval: boolean;
  /** Most tickets in one plan (a bigger plan is sent back to the model). */
  maxTickets: number;
  /** Model replies per plan: a malformed plan goes back to the model with the error this many times minus one. */
  maxAttempts: number;
  /**
   * Fix-up tickets a plan may add after its tickets finished (0: none): each conflict between two
   * tickets' results resolved by a coding agent, and each regression the checks on the combined
   * result found sent back, uses one. Then what is left is reported with the proposed diff.
   */
  maxFixRounds: number;
}

/** Checks as evidence (checks/): a base's results reused across tasks on the same tree. */
export interface ChecksConfig {
  /** Reuse a base's check results another task ran on the same tree, with the same command, set-up, image and runner. */
  reuseBase: boolean;
  /** How old a reused result may be (flaky suites exist): an older one runs again. */
  reuseMaxAgeHours: number;
}

/** The command classifier (policy/classifier-pool.ts): it runs off the main thread, each line within a deadline. */
export type PolicyConfig = ClassifierLimits;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** SQLite file (default `<dataDir>/pushpals.db`). */
  dbFile: string;
  /** Bearer token; when absent, `<dataDir>/token` is used (generated on first start). */
  token?: string;
  /** Extra browser origins allowed to open the WebSocket (the VS Code webview is always allowed). */
  allowedOrigins: string[];
  /** Extra Host header names accepted (loopback names always are). Needed when binding elsewhere. */
  allowedHosts: string[];
  maxMessageBytes: number;
  /** Hard cap on a client's unsent data: past it the client is dropped (4008; it reconnects and replays). */
  maxBufferedBytes: number;
  /** A client whose unsent data has not shrunk for this long (it stopped reading) is dropped (4008). */
  sendStallTimeoutMs: number;
  /** Commands per WebSocket connection, and per token on `POST /api/commands`. */
  rateLimit: RateLimitConfig;
  /** WebSocket keep-alive ping interval; a client missing one pong is terminated. */
  pingIntervalMs: number;
  /** Interval at which events written by other processes on the same DB are picked up. */
  tailPollMs: number;
  logLevel: LogLevel;
  queue: QueueConfig;
  approvals: ApprovalConfig;
  sandbox: SandboxConfig;
  /** Model endpoints per role (chat, planner, coder); see model/config.ts. No base URL: no model. */
  models: ModelsConfig;
  /** The coding agent's limits per task (steps, time, tokens); the OpenHands worker's too. */
  agent: AgentConfig;
  agents: AgentsConfig;
  openhands: OpenHandsConfig;
  planner: PlannerConfig;
  checks: ChecksConfig;
  /** The command classifier's deadline per line, line-length cap and worker threads. */
  policy: PolicyConfig;
  /** Push and pull requests: forge API base URLs, repositories and token variables (delivery/forge-config.ts). */
  forge: ForgeConfig;
}

export type ConfigOverrides = Partial<Omit<Config, 'queue' | 'approvals' | 'sandbox' | 'rateLimit' | 'models' | 'agent' | 'agents' | 'openhands' | 'planner' | 'checks' | 'policy' | 'forge'>> & {
  agents?: Partial<AgentsConfig>;
  openhands?: Partial<OpenHandsConfig>;
  rateLimit?: Partial<RateLimitConfig>;
  queue?: Partial<QueueConfig>;
  approvals?: Partial<ApprovalConfig>;
  sandbox?: Partial<SandboxConfig>;
  models?: Partial<ModelsConfig>;
  agent?: Partial<AgentConfig>;
  planner?: Partial<PlannerConfig>;
  checks?: Partial<ChecksConfig>;
  policy?: Partial<PolicyConfig>;
  forge?: Partial<ForgeConfig>;
};

export const DEFAULT_PORT = 8787;

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PUSHPALS_HOME || join(homedir(), '.pushpals'));
}

const defaults = (dataDir: string): Config => ({
  host: '127.0.0.1',
  port: DEFAULT_PORT,
  dataDir,
  dbFile: join(dataDir, 'pushpals.db'),
  allowedOrigins: [],
  allowedHosts: [],
  maxMessageBytes: 1024 * 1024,
  maxBufferedBytes: 16 * 1024 * 1024,
  sendStallTimeoutMs: 30_000,
  // An editor sends a few commands a second at most; scripts that need more raise it in config.json.
  rateLimit: { commandsPerSecond: 50, burst: 200 },
  pingIntervalMs: 30_000,
  tailPollMs: 250,
  logLevel: 'info',
  // Coding agents mostly wait for their model: at least two at once even on a small machine.
  queue: { concurrency: Math.max(4, availableParallelism()), leaseMs: 60_000, pollMs: 500, sweepMs: 15_000, backoffBaseMs: 1_000, backoffMaxMs: 5 * 60_000, maxAttempts: 3 },
  approvals: { timeoutMs: 24 * 3600_000, sweepMs: 10_000 },
  sandbox: { image: 'pushpals-worker:dev', memoryMb: 2048, cpus: 2, pidsLimit: 512, commandTimeoutMs: 10 * 60_000, warmPool: 1, approvedNetwork: 'egress', diskLimitMb: 2048, tmpMb: 512, keepFinishedHours: 24 },
  models: defaultModelsConfig(),
  agent: defaultAgentConfig(),
  agents: { default: 'worker:builtin', repos: {} },
  // A cold agent server needs 8-25 s on 2 busy cores (docs/PERFORMANCE.md).
  openhands: { image: 'pushpals-openhands:dev', readyTimeoutMs: 180_000, warmPool: 0 },
  planner: { enabled: true, requireApproval: false, maxTickets: 12, maxAttempts: 3, maxFixRounds: 2 },
  checks: { reuseBase: true, reuseMaxAgeHours: 24 },
  policy: { ...DEFAULT_CLASSIFIER_LIMITS },
  forge: defaultForgeConfig(),
});

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Environment variables → a partial config (strings converted here, validated by `validate`). */
function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  if (env.PUSHPALS_HOST) out.host = env.PUSHPALS_HOST;
  if (env.PUSHPALS_PORT) out.port = Number(env.PUSHPALS_PORT);
  if (env.PUSHPALS_DB) out.dbFile = env.PUSHPALS_DB;
  if (env.PUSHPALS_TOKEN) out.token = env.PUSHPALS_TOKEN;
  if (env.PUSHPALS_ALLOWED_ORIGINS) out.allowedOrigins = list(env.PUSHPALS_ALLOWED_ORIGINS);
  if (env.PUSHPALS_ALLOWED_HOSTS) out.allowedHosts = list(env.PUSHPALS_ALLOWED_HOSTS);
  if (env.PUSHPALS_LOG_LEVEL) out.logLevel = env.PUSHPALS_LOG_LEVEL;
  const queue: Record<string, unknown> = {};
  if (env.PUSHPALS_CONCURRENCY) queue.concurrency = Number(env.PUSHPALS_CONCURRENCY);
  if (env.PUSHPALS_LEASE_MS) queue.leaseMs = Number(env.PUSHPALS_LEASE_MS);
  if (Object.keys(queue).length) out.queue = queue;
  if (env.PUSHPALS_APPROVAL_TIMEOUT_MS) out.approvals = { timeoutMs: Number(env.PUSHPALS_APPROVAL_TIMEOUT_MS) };
  const models = modelsFromEnv(env);
  if (models) out.models = models;
  const agent: Record<string, unknown> = {};
  if (env.PUSHPALS_AGENT_MAX_STEPS) agent.maxSteps = Number(env.PUSHPALS_AGENT_MAX_STEPS);
  if (env.PUSHPALS_AGENT_TOKEN_BUDGET) agent.tokenBudget = Number(env.PUSHPALS_AGENT_TOKEN_BUDGET);
  if (Object.keys(agent).length) out.agent = agent;
  if (env.PUSHPALS_AGENT) out.agents = { default: env.PUSHPALS_AGENT };
  if (env.PUSHPALS_OPENHANDS_IMAGE) out.openhands = { image: env.PUSHPALS_OPENHANDS_IMAGE };
  const planner: Record<string, unknown> = {};
  const bool = (v: string) => (/^(1|true|yes|on)$/i.test(v) ? true : /^(0|false|no|off)$/i.test(v) ? false : v);
  if (env.PUSHPALS_PLANNER) planner.enabled = bool(env.PUSHPALS_PLANNER);
  if (env.PUSHPALS_PLANNER_REQUIRE_APPROVAL) planner.requireApproval = bool(env.PUSHPALS_PLANNER_REQUIRE_APPROVAL);
  if (Object.keys(planner).length) out.planner = planner;
  return out;
}

function readConfigFile(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PushPalsError('invalid_message', `config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(parsed)) throw new PushPalsError('invalid_message', `config file ${file} must hold a JSON object`);
  return parsed;
}

/** Deep-merges plain objects (arrays and scalars are replaced). */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] = isObj(cur) && isObj(v) ? merge(cur, v) : v;
  }
  return out;
}

class Checker {
  readonly problems: string[] = [];
  int(path: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.problems.push(`${path}: must be an integer in [${min}, ${max}] (got ${JSON.stringify(v)})`);
  }
  str(path: string, v: unknown, allowEmpty = false): void {
    if (typeof v !== 'string' || (!allowEmpty && v.length === 0)) this.problems.push(`${path}: must be a non-empty string`);
  }
  bool(path: string, v: unknown): void {
    if (typeof v !== 'boolean') this.problems.push(`${path}: must be true or false (got ${JSON.stringify(v)})`);
  }
  strList(path: string, v: unknown): void {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0)) this.problems.push(`${path}: must be a list of non-empty strings`);
  }
  known(path: string, v: Record<string, unknown>, allowed: object): void {
    for (const k of Object.keys(v)) if (!(k in allowed)) this.problems.push(`${path}${k}: unknown setting`);
  }
}

function checkAgents(v: unknown, problems: string[]): void {
  const isWorker = (x: unknown) => WORKER_AGENTS.includes(x as WorkerAgent);
  if (!isObj(v)) return void problems.push('agents: must be an object');
  for (const k of Object.keys(v)) if (k !== 'default' && k !== 'repos') problems.push(`agents.${k}: unknown setting`);
  if (!isWorker(v.default)) problems.push(`agents.default: must be one of ${WORKER_AGENTS.join(', ')}`);
  if (!isObj(v.repos)) problems.push('agents.repos: must be an object of repo id or name → worker');
  else for (const [k, w] of Object.entries(v.repos)) if (!isWorker(w)) problems.push(`agents.repos.${k}: must be one of ${WORKER_AGENTS.join(', ')}`);
}

function validate(raw: Record<string, unknown>, dataDir: string): Config {
  const d = defaults(dataDir);
  const c = new Checker();
  c.known('', raw, { ...d, token: 1 });
  c.str('host', raw.host);
  c.int('port', raw.port, 0, 65535);
  c.str('dbFile', raw.dbFile);
  if (raw.token !== undefined) {
    if (typeof raw.token !== 'string' || raw.token.length < 16) c.problems.push('token: must be a string of at least 16 characters');
    else if (!/^[\x21-\x7e]+$/.test(raw.token)) c.problems.push('token: must be printable ASCII without spaces');
  }
  c.strList('allowedOrigins', raw.allowedOrigins);
  c.strList('allowedHosts', raw.allowedHosts);
  c.int('maxMessageBytes', raw.maxMessageBytes, 1024, 64 * 1024 * 1024);
  c.int('maxBufferedBytes', raw.maxBufferedBytes, 64 * 1024);
  c.int('sendStallTimeoutMs', raw.sendStallTimeoutMs, 100);
  c.int('pingIntervalMs', raw.pingIntervalMs, 100);
  c.int('tailPollMs', raw.tailPollMs, 10);
  if (!LOG_LEVELS.includes(raw.logLevel as LogLevel)) c.problems.push(`logLevel: must be one of ${LOG_LEVELS.join(', ')}`);
  c.problems.push(...checkModelsConfig(raw.models));
  for (const [section, spec] of [['queue', d.queue], ['approvals', d.approvals], ['sandbox', d.sandbox], ['rateLimit', d.rateLimit], ['agent', d.agent], ['openhands', d.openhands], ['planner', d.planner], ['checks', d.checks], ['policy', d.policy]] as const) {
    const s = raw[section];
    if (!isObj(s)) {
      c.problems.push(`${section}: must be an object`);
      continue;
    }
    c.known(`${section}.`, s, spec);
    for (const [k, def] of Object.entries(spec)) {
      if (typeof def === 'number') c.int(`${section}.${k}`, s[k], k === 'timeoutMs' || k === 'warmPool' || k === 'diskLimitMb' || k === 'keepFinishedHours' || k === 'maxFixRounds' ? 0 : 1);
      else if (typeof def === 'boolean') c.bool(`${section}.${k}`, s[k]);
      else c.str(`${section}.${k}`, s[k]);
    }
  }
  const sb = raw.sandbox as Record<string, unknown> | undefined;
  // An ext4 image smaller than this is mostly journal and metadata.
  if (typeof sb?.diskLimitMb === 'number' && sb.diskLimitMb > 0 && sb.diskLimitMb < 64) c.problems.push('sandbox.diskLimitMb: must be 0 (no limit) or at least 64');
  if (typeof sb?.tmpMb === 'number' && sb.tmpMb < 16) c.problems.push('sandbox.tmpMb: must be at least 16');
  const pol = raw.policy as Record<string, unknown> | undefined;
  if (typeof pol?.classifierWorkers === 'number' && pol.classifierWorkers > 4) c.problems.push('policy.classifierWorkers: must be at most 4 (each holds its own shell parser)');
  if (typeof pol?.maxCommandBytes === 'number' && pol.maxCommandBytes > MAX_SHOWN_COMMAND_BYTES) c.problems.push(`policy.maxCommandBytes: must be at most ${MAX_SHOWN_COMMAND_BYTES} (what an approval can show a person)`);
  checkAgents(raw.agents, c.problems);
  c.problems.push(...checkForgeConfig(raw.forge));
  if (c.problems.length) throw new PushPalsError('invalid_message', `invalid configuration:\n  - ${c.problems.join('\n  - ')}`, { problems: c.problems });
  return raw as unknown as Config; // every field checked above
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
}

/** Builds the validated configuration. Throws a PushPalsError listing every problem. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const env = opts.env ?? process.env;
  const dataDir = resolve(opts.overrides?.dataDir ?? defaultDataDir(env));
  const file = readConfigFile(join(dataDir, 'config.json'));
  if ('dataDir' in file) throw new PushPalsError('invalid_message', 'config.json cannot move the data dir (set PUSHPALS_HOME instead)');
  const base = defaults(dataDir) as unknown as Record<string, unknown>;
  const merged = merge(merge(merge(base, file), fromEnv(env)), (opts.overrides ?? {}) as Record<string, unknown>);
  if (!('dbFile' in file) && !env.PUSHPALS_DB && !opts.overrides?.dbFile) merged.dbFile = join(dataDir, 'pushpals.db');
  merged.dataDir = dataDir;
  return validate(merged, dataDir);
}

/** The config as it may be printed: secrets replaced. */
export function redactConfig(c: Config): Record<string, unknown> {
  return { ...c, token: c.token ? '<redacted>' : '<from data dir>' };
}

/** Loopback names and addresses only: `127.0.0.1.evil.com` is NOT loopback (a DNS-rebinding name). */
export const isLoopbackHost = (host: string): boolean =>
  ['localhost', '::1', '[::1]'].includes(host) || /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(host);
