/** What every `pushpals` subcommand shares: its shape, common options, config resolution. */
import { loadConfig, type Config, type ConfigOverrides } from '../config';

export interface Io {
  out(s: string): void;
  env: NodeJS.ProcessEnv;
}

export type Sub = { summary: string; run(args: string[], io: Io): Promise<number | void> };

export const common = {
  'data-dir': { type: 'string' },
  url: { type: 'string' },
  json: { type: 'boolean' },
} as const;

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
