/**
 * The configured models: one client per role, built from the config and the keys (read once at
 * start). The keys are handed out only as secrets to redact; nothing else leaves this module.
 */
import type { Config } from '../config';
import { PushPalsError } from '../errors';
import type * as Client from './client';
import type { ModelClient, ModelClientOptions } from './client';
import { DEFAULT_KEY_ENV, MODEL_ROLES, resolveEndpoint, type ModelRole, type ResolvedEndpoint } from './config';
import { readModelKey, type ModelKey } from './keys';

interface RoleEntry {
  endpoint: ResolvedEndpoint;
  key: ModelKey;
}

/** How to configure a model, for messages shown when none is. */
export function howToConfigureModel(role: ModelRole): string {
  const R = role.toUpperCase();
  return (
    `configure an OpenAI-compatible model: set models.baseUrl and models.model in <dataDir>/config.json (or models.roles.${role}), ` +
    `or the env variables PUSHPALS_MODEL_BASE_URL and PUSHPALS_MODEL_NAME (PUSHPALS_${R}_MODEL_BASE_URL / PUSHPALS_${R}_MODEL_NAME for this role only); ` +
    `put the API key, if the server needs one, in <dataDir>/model-key (chmod 600) or ${DEFAULT_KEY_ENV}. ` +
    `Then check it with "pushpals model test --role ${role}".`
  );
}

export class ModelRegistry {
  private readonly roles = new Map<ModelRole, RoleEntry>();

  /** Reads every configured role's key; a key file others can read fails the start. */
  constructor(config: Pick<Config, 'models' | 'dataDir'>, env: NodeJS.ProcessEnv = process.env) {
    for (const role of MODEL_ROLES) {
      const endpoint = resolveEndpoint(config.models, role, config.dataDir);
      if (endpoint) this.roles.set(role, { endpoint, key: readModelKey(endpoint, env) });
    }
  }

  configured(role: ModelRole): boolean {
    return this.roles.has(role);
  }

  endpoint(role: ModelRole): ResolvedEndpoint | undefined {
    return this.roles.get(role)?.endpoint;
  }

  /** Where the role's key comes from (`env X`, `file /p`, `none`), never the key. */
  keySource(role: ModelRole): string | undefined {
    return this.roles.get(role)?.key.source;
  }

  /** A client for the role; throws model_not_configured (with the how-to) when the role has no model. */
  client(role: ModelRole, opts: ModelClientOptions = {}): ModelClient {
    const e = this.roles.get(role);
    if (!e) throw new PushPalsError('model_not_configured', `no ${role} model is configured: ${howToConfigureModel(role)}`);
    // The openai package takes tens of ms to load: on the first model call, not at start-up.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ModelClient } = require('./client') as typeof Client;
    return new ModelClient(e.endpoint, e.key.value, opts);
  }

  /** The keys, to register as secrets (redacted from events, outputs and the audit trail). */
  secrets(): string[] {
    return [...new Set([...this.roles.values()].map((e) => e.key.value).filter((k): k is string => !!k))];
  }

  /** One line per role for the start-up log (no keys). */
  describe(): string[] {
    return MODEL_ROLES.map((role) => {
      const e = this.roles.get(role);
      return e ? `${role}: ${e.endpoint.model} at ${e.endpoint.baseUrl} (key: ${e.key.source}, tool calls: ${e.endpoint.toolCalls})` : `${role}: not configured`;
    });
  }
}
