/**
 * Per-repository settings, written by the person running the orchestrator (never read from the
 * repository, for the same reason as policies: the repository and the agent control its content):
 * `<dataDir>/repo-settings/<repoId>.json`
 *
 *   { "version": 1,
 *     "image": "pushpals-worker:dev-go",            // the sandbox image for this repository's tasks
 *     "setup": { "commands": ["npm ci", "npm run build"], "auto": true },
 *     "egress": { "allow": ["npm.example.com", "*.corp.example:8443"] } }
 *
 * `setup.commands` replaces the detected set-up; `setup.auto: false` turns the automatic set-up
 * before "Run the tests" off. `egress.allow` adds hosts to the allowlist read from the machine.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isId } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { parseAllowEntry, type AllowEntry } from '../egress/allowlist';

export interface RepoSettings {
  image?: string;
  setup: { commands?: string[]; auto: boolean };
  egress: { allow: AllowEntry[] };
}

export const DEFAULT_REPO_SETTINGS: RepoSettings = { setup: { auto: true }, egress: { allow: [] } };

export function repoSettingsPath(dataDir: string, repoId: string): string {
  if (!isId(repoId) || repoId === '.' || repoId === '..') throw new PushPalsError('invalid_message', `invalid repo id "${repoId.slice(0, 64)}"`);
  return join(dataDir, 'repo-settings', `${repoId}.json`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed settings file; throws `invalid_message` naming the field. */
export function validateRepoSettings(raw: unknown, where = 'repo settings'): RepoSettings {
  const bad = (field: string, what: string): never => {
    throw new PushPalsError('invalid_message', `${where}: ${field} ${what}`);
  };
  if (!isObj(raw)) return bad('the file', 'must hold a JSON object');
  for (const k of Object.keys(raw)) if (!['version', 'image', 'setup', 'egress'].includes(k)) bad(k, 'is not a known setting (version, image, setup, egress)');
  if (raw.version !== 1) bad('version', 'must be 1');
  const out: RepoSettings = { setup: { auto: true }, egress: { allow: [] } };
  if (raw.image !== undefined) {
    if (typeof raw.image !== 'string' || !/^[a-z0-9][a-z0-9._/:@-]{0,254}$/.test(raw.image)) bad('image', 'must be a Docker image name (e.g. pushpals-worker:dev-go)');
    out.image = raw.image as string;
  }
  if (raw.setup !== undefined) {
    if (!isObj(raw.setup)) return bad('setup', 'must be an object');
    for (const k of Object.keys(raw.setup)) if (!['commands', 'auto'].includes(k)) bad(`setup.${k}`, 'is not a known setting (commands, auto)');
    const { commands, auto } = raw.setup;
    if (commands !== undefined) {
      if (!Array.isArray(commands) || commands.length === 0 || commands.some((c) => typeof c !== 'string' || c.trim() === '' || c.length > 4096)) bad('setup.commands', 'must be a non-empty list of commands');
      out.setup.commands = commands as string[];
    }
    if (auto !== undefined) {
      if (typeof auto !== 'boolean') bad('setup.auto', 'must be true or false');
      out.setup.auto = auto as boolean;
    }
  }
  if (raw.egress !== undefined) {
    if (!isObj(raw.egress)) return bad('egress', 'must be an object');
    for (const k of Object.keys(raw.egress)) if (k !== 'allow') bad(`egress.${k}`, 'is not a known setting (allow)');
    const allow = raw.egress.allow ?? [];
    if (!Array.isArray(allow) || allow.some((a) => typeof a !== 'string')) bad('egress.allow', 'must be a list of host names');
    out.egress.allow = (allow as string[]).map((a) => parseAllowEntry(a, where));
  }
  return out;
}

/** The repository's settings; a missing file means the defaults. */
export function loadRepoSettings(dataDir: string, repoId: string): RepoSettings {
  const file = repoSettingsPath(dataDir, repoId);
  if (!existsSync(file)) return DEFAULT_REPO_SETTINGS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PushPalsError('invalid_message', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return validateRepoSettings(parsed, file);
}
