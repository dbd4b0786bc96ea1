/**
 * Forge settings (config `forge`) and forge tokens. A token is held by the orchestrator only: from the
 * env variable the config names, else `<dataDir>/forge-tokens/<repoId>` (0600, like the model keys; a
 * file others can read is refused). It never enters a sandbox, a URL, an event or the audit trail.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';

export interface ForgeRepoConfig {
  /** The REST API's base URL (GitHub Enterprise: `https://<host>/api/v3`); default: derived from the remote URL. */
  apiBaseUrl?: string;
  /** `owner/name` on the forge, when the remote URL does not say it (a mirror, a local remote). */
  repository?: string;
  /** The env variable holding this repository's token (instead of `forge.tokenEnv`). */
  tokenEnv?: string;
}

export interface ForgeConfig {
  /** The env variable holding the token for repositories that name none (default PUSHPALS_FORGE_TOKEN). */
  tokenEnv: string;
  /** Per repository, by name or id. */
  repos: Record<string, ForgeRepoConfig>;
}

export const defaultForgeConfig = (): ForgeConfig => ({ tokenEnv: 'PUSHPALS_FORGE_TOKEN', repos: {} });

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The problems of a `forge` config section (empty: valid). */
export function checkForgeConfig(v: unknown): string[] {
  if (!isObj(v)) return ['forge: must be an object'];
  const out: string[] = [];
  for (const k of Object.keys(v)) if (k !== 'tokenEnv' && k !== 'repos') out.push(`forge.${k}: unknown setting`);
  if (typeof v.tokenEnv !== 'string' || !ENV_NAME.test(v.tokenEnv)) out.push('forge.tokenEnv: must be an environment variable name');
  if (!isObj(v.repos)) return [...out, 'forge.repos: must be an object of repo name or id → { apiBaseUrl, repository, tokenEnv }'];
  for (const [name, r] of Object.entries(v.repos)) {
    const at = `forge.repos.${name}`;
    if (!isObj(r)) {
      out.push(`${at}: must be an object`);
      continue;
    }
    for (const k of Object.keys(r)) if (!['apiBaseUrl', 'repository', 'tokenEnv'].includes(k)) out.push(`${at}.${k}: unknown setting`);
    if (r.apiBaseUrl !== undefined && (typeof r.apiBaseUrl !== 'string' || !/^https?:\/\/[^\s@/]+(\/\S*)?$/i.test(r.apiBaseUrl))) out.push(`${at}.apiBaseUrl: must be an http(s) URL without credentials`);
    if (r.repository !== undefined && (typeof r.repository !== 'string' || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(r.repository))) out.push(`${at}.repository: must be "owner/name"`);
    if (r.tokenEnv !== undefined && (typeof r.tokenEnv !== 'string' || !ENV_NAME.test(r.tokenEnv))) out.push(`${at}.tokenEnv: must be an environment variable name`);
  }
  return out;
}

/** The settings of one repository (looked up by id, then name). */
export function forgeRepoConfig(cfg: ForgeConfig, repo: { id: string; name: string }): ForgeRepoConfig {
  return cfg.repos[repo.id] ?? cfg.repos[repo.name] ?? {};
}

export interface ForgeToken {
  value: string | undefined;
  /** For messages: `env NAME`, `file <path>` or `none`. */
  source: string;
}

export const forgeTokenPath = (dataDir: string, repoId: string): string => join(dataDir, 'forge-tokens', repoId);

/** The repository's forge token: its env variable, the global one, else its token file. */
export function readForgeToken(dataDir: string, cfg: ForgeConfig, repo: { id: string; name: string }, env: NodeJS.ProcessEnv = process.env): ForgeToken {
  for (const name of [forgeRepoConfig(cfg, repo).tokenEnv, cfg.tokenEnv]) {
    const v = name ? env[name]?.trim() : undefined;
    if (v) return { value: v, source: `env ${name}` };
  }
  const file = forgeTokenPath(dataDir, repo.id);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { value: undefined, source: 'none' };
    throw new PushPalsError('invalid_message', `the forge token file ${file} cannot be read (${code ?? String(e)}): it must be a regular file, not a symlink`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PushPalsError('invalid_message', `the forge token file ${file} is not a regular file`);
    if (process.platform !== 'win32' && st.mode & 0o077) throw new PushPalsError('invalid_message', `the forge token file ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run "chmod 600 ${file}"`);
    const value = readFileSync(fd, 'utf8').trim();
    return value ? { value, source: `file ${file}` } : { value: undefined, source: 'none' };
  } finally {
    closeSync(fd);
  }
}

/** Stores a repository's token (0600 in a 0700 directory; written aside, then renamed over). */
export function writeForgeToken(dataDir: string, repoId: string, token: string): string {
  const value = token.trim();
  if (!value || /\s/.test(value)) throw new PushPalsError('invalid_message', 'a forge token is one word without spaces (read from stdin)');
  const dir = join(dataDir, 'forge-tokens');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = forgeTokenPath(dataDir, repoId);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${value}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  return file;
}
