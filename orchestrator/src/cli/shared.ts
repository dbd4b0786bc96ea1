/** What every `pushpals` subcommand shares: its shape, common options, config resolution, usage errors. */
import { loadConfig, type Config, type ConfigOverrides } from '../config';

export interface Io {
  out(s: string): void;
  /** Diagnostics and usage errors (default: process.stderr). */
  err?(s: string): void;
  env: NodeJS.ProcessEnv;
  /** Where a command reads secrets from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export type Sub = {
  summary: string;
  /** Full usage printed by `pushpals <command> --help` and after a usage error; default built from summary. */
  usage?: string;
  run(args: string[], io: Io): Promise<number | void>;
};

export const common = {
  'data-dir': { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The options in `common`, as usage lines. */
export const COMMON_USAGE = `  --data-dir D   the orchestrator's data dir (default $PUSHPALS_HOME or ~/.pushpals)
  --url U        the running orchestrator's URL (default from <data-dir>/server.json or $PUSHPALS_URL)
  --json         machine-readable output
  -h, --help     this help`;

/**
 * The command line was wrong (unknown option, missing argument): the CLI prints the message and the
 * subcommand's usage and exits 2, the conventional status for a usage error.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** node:util parseArgs reports bad command lines as TypeErrors with ERR_PARSE_ARGS_* codes. */
export function isParseArgsError(e: unknown): e is Error {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/** `--help` / `-h` anywhere before a `--`. */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Flags that choose the default model endpoint (the top level of `models`), for serve and model test. */
export const modelFlags = {
  'model-base-url': { type: 'string' },
  'model-name': { type: 'string' },
} as const;

export function configFrom(
  values: { 'data-dir'?: string | undefined; port?: string | undefined; host?: string | undefined; 'model-base-url'?: string | undefined; 'model-name'?: string | undefined },
  env: NodeJS.ProcessEnv,
): Config {
  const overrides: ConfigOverrides = {};
  if (values['data-dir']) overrides.dataDir = values['data-dir'];
  if (values.port !== undefined) overrides.port = Number(values.port);
  if (values.host !== undefined) overrides.host = values.host;
  const models: ConfigOverrides['models'] = {};
  if (values['model-base-url'] !== undefined) models.baseUrl = values['model-base-url'];
  if (values['model-name'] !== undefined) models.model = values['model-name'];
  if (Object.keys(models).length) overrides.models = models;
  return loadConfig({ env, overrides });
}
