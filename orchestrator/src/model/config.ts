/**
 * Model settings: one OpenAI-compatible endpoint per role (chat, planner, coder). The top level of
 * `models` is the default every role inherits; `models.roles.<role>` overrides parts of it. The API
 * key is never a config value: it is read from a file in the data dir (0600) or an env variable
 * (model/keys.ts), so config.json can be shared and printed.
 */
import { join } from 'node:path';

export const MODEL_ROLES = ['chat', 'planner', 'coder'] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** How tool calls are read from replies: `auto` accepts native `tool_calls` and, failing that, JSON written in the text. */
export const TOOL_CALL_MODES = ['auto', 'native', 'json'] as const;
export type ToolCallMode = (typeof TOOL_CALL_MODES)[number];

export interface ModelEndpointSettings {
  /** OpenAI-compatible base URL, e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1. '' = not configured. */
  baseUrl: string;
  /** Model name sent with every request. '' = not configured. */
  model: string;
  /** File holding the API key (relative to the data dir, or absolute); must not be readable by others. */
  keyFile: string;
  /** Environment variable holding the API key; it wins over the file. */
  keyEnv: string;
  toolCalls: ToolCallMode;
  /** Upper bound on tokens per reply (0: the server's default). */
  maxTokens: number;
  /** Sampling temperature, 0-2 (null: the server's default). Small local models call tools far more reliably near 0. */
  temperature: number | null;
}

export interface ModelsConfig extends ModelEndpointSettings {
  /** Per-request timeout (a streamed reply: the longest silence between chunks). */
  timeoutMs: number;
  /** Retries on 429, 5xx, connection errors and timeouts, with exponential backoff (Retry-After honoured). */
  maxRetries: number;
  roles: Partial<Record<ModelRole, Partial<ModelEndpointSettings>>>;
}

/** The coding agent's limits per task. */
export interface AgentConfig {
  /** Model turns per task. */
  maxSteps: number;
  /** Wall-clock limit per task run. */
  maxTimeMs: number;
  /** Tokens (prompt + completion, all model calls of the task) before it stops with budget_exceeded. */
  tokenBudget: number;
  /** A tool's output sent back to the model is cut to this many characters. */
  maxToolOutputChars: number;
  /** Run the repository's checks on a finished task's result and on its base, as the diff's evidence. */
  evidence: boolean;
}

export const DEFAULT_KEY_FILE = 'model-key';
export const DEFAULT_KEY_ENV = 'PUSHPALS_MODEL_KEY';

export const defaultModelsConfig = (): ModelsConfig => ({
  baseUrl: '',
  model: '',
  keyFile: DEFAULT_KEY_FILE,
  keyEnv: DEFAULT_KEY_ENV,
  toolCalls: 'auto',
  maxTokens: 0,
  temperature: null,
  timeoutMs: 120_000,
  maxRetries: 3,
  roles: {},
});

export const defaultAgentConfig = (): AgentConfig => ({ maxSteps: 30, maxTimeMs: 15 * 60_000, tokenBudget: 200_000, maxToolOutputChars: 12_000, evidence: true });

/** One role's settings with the defaults filled in. */
export interface ResolvedEndpoint extends ModelEndpointSettings {
  role: ModelRole;
  timeoutMs: number;
  maxRetries: number;
  /** The key file as an absolute path. */
  keyPath: string;
}

/** The role's endpoint, or undefined when it has no base URL or model (the role is off). */
export function resolveEndpoint(models: ModelsConfig, role: ModelRole, dataDir: string): ResolvedEndpoint | undefined {
  const o = models.roles[role] ?? {};
  const pick = <K extends keyof ModelEndpointSettings>(k: K): ModelEndpointSettings[K] => (o[k] ?? models[k]) as ModelEndpointSettings[K];
  const baseUrl = pick('baseUrl');
  const model = pick('model');
  if (!baseUrl || !model) return undefined;
  const keyFile = pick('keyFile');
  return {
    role,
    baseUrl,
    model,
    keyFile,
    keyEnv: pick('keyEnv'),
    toolCalls: pick('toolCalls'),
    maxTokens: pick('maxTokens'),
    temperature: pick('temperature'),
    timeoutMs: models.timeoutMs,
    maxRetries: models.maxRetries,
    keyPath: keyFile.startsWith('/') ? keyFile : join(dataDir, keyFile),
  };
}

/** Environment → partial `models` config: PUSHPALS_MODEL_BASE_URL / _NAME, and PUSHPALS_<ROLE>_MODEL_BASE_URL / _NAME. */
export function modelsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if (env.PUSHPALS_MODEL_BASE_URL) out.baseUrl = env.PUSHPALS_MODEL_BASE_URL;
  if (env.PUSHPALS_MODEL_NAME) out.model = env.PUSHPALS_MODEL_NAME;
  if (env.PUSHPALS_MODEL_TOOL_CALLS) out.toolCalls = env.PUSHPALS_MODEL_TOOL_CALLS;
  // A number, or the text as it is (the check then says what is wrong with it).
  if (env.PUSHPALS_MODEL_TEMPERATURE) out.temperature = Number.isNaN(Number(env.PUSHPALS_MODEL_TEMPERATURE)) ? env.PUSHPALS_MODEL_TEMPERATURE : Number(env.PUSHPALS_MODEL_TEMPERATURE);
  const roles: Record<string, Record<string, unknown>> = {};
  for (const role of MODEL_ROLES) {
    const p = `PUSHPALS_${role.toUpperCase()}_MODEL_`;
    const r: Record<string, unknown> = {};
    if (env[`${p}BASE_URL`]) r.baseUrl = env[`${p}BASE_URL`];
    if (env[`${p}NAME`]) r.model = env[`${p}NAME`];
    if (env[`${p}KEY_ENV`]) r.keyEnv = env[`${p}KEY_ENV`];
    if (Object.keys(r).length) roles[role] = r;
  }
  if (Object.keys(roles).length) out.roles = roles;
  return Object.keys(out).length ? out : undefined;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkEndpoint(path: string, v: Record<string, unknown>, partial: boolean, problems: string[]): void {
  const has = (k: string) => v[k] !== undefined || !partial;
  for (const k of ['baseUrl', 'model']) if (has(k) && typeof v[k] !== 'string') problems.push(`${path}${k}: must be a string ('' = not configured)`);
  if (has('baseUrl') && typeof v.baseUrl === 'string' && v.baseUrl !== '') {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(v.baseUrl).protocol);
    } catch {
      ok = false;
    }
    if (!ok) problems.push(`${path}baseUrl: must be an http(s) URL such as http://127.0.0.1:11434/v1 (got ${JSON.stringify(v.baseUrl).slice(0, 200)})`);
  }
  if (has('keyFile') && (typeof v.keyFile !== 'string' || !v.keyFile)) problems.push(`${path}keyFile: must be a non-empty file name (relative to the data dir) or absolute path`);
  if (has('keyEnv') && (typeof v.keyEnv !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.keyEnv))) problems.push(`${path}keyEnv: must be an environment variable name`);
  if (has('toolCalls') && !TOOL_CALL_MODES.includes(v.toolCalls as ToolCallMode)) problems.push(`${path}toolCalls: must be one of ${TOOL_CALL_MODES.join(', ')}`);
  if (has('maxTokens') && (typeof v.maxTokens !== 'number' || !Number.isInteger(v.maxTokens) || v.maxTokens < 0)) problems.push(`${path}maxTokens: must be an integer >= 0`);
  if (has('temperature') && v.temperature != null && (typeof v.temperature !== 'number' || !(v.temperature >= 0 && v.temperature <= 2))) problems.push(`${path}temperature: must be a number in [0, 2], or null for the server's default`);
}

const ENDPOINT_KEYS = ['baseUrl', 'model', 'keyFile', 'keyEnv', 'toolCalls', 'maxTokens', 'temperature'];

/** The problems of a merged `models` section (empty: valid). */
export function checkModelsConfig(v: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(v)) return ['models: must be an object'];
  for (const k of Object.keys(v)) if (![...ENDPOINT_KEYS, 'timeoutMs', 'maxRetries', 'roles'].includes(k)) problems.push(`models.${k}: unknown setting`);
  checkEndpoint('models.', v, false, problems);
  if (typeof v.timeoutMs !== 'number' || !Number.isInteger(v.timeoutMs) || v.timeoutMs < 100) problems.push('models.timeoutMs: must be an integer >= 100');
  if (typeof v.maxRetries !== 'number' || !Number.isInteger(v.maxRetries) || v.maxRetries < 0 || v.maxRetries > 10) problems.push('models.maxRetries: must be an integer in [0, 10]');
  if (!isObj(v.roles)) problems.push('models.roles: must be an object');
  else {
    for (const [role, r] of Object.entries(v.roles)) {
      if (!MODEL_ROLES.includes(role as ModelRole)) problems.push(`models.roles.${role}: unknown role (roles: ${MODEL_ROLES.join(', ')})`);
      else if (!isObj(r)) problems.push(`models.roles.${role}: must be an object`);
      else {
        for (const k of Object.keys(r)) if (!ENDPOINT_KEYS.includes(k)) problems.push(`models.roles.${role}.${k}: unknown setting`);
        checkEndpoint(`models.roles.${role}.`, r, true, problems);
      }
    }
  }
  return problems;
}
