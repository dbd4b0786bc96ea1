/**
 * Per-repository settings, written by the person running the orchestrator (never read from the
 * repository, for the same reason as policies: the repository and the agent control its content):
 * `<dataDir>/repo-settings/<repoId>.json`
 *
 *   { "version": 1,
 *     "image": "pushpals-worker:dev-go",            // the sandbox image for this repository's tasks
 *     "setup": { "commands": ["npm ci", "npm run build"], "auto": true },
 *     "egress": { "allow": ["npm.example.com", "*.corp.example:8443"] },
 *     "checks": { "auto": true, "run": [{ "name": "e2e", "command": "npm run e2e", "runner": "mocha" }] } }
 *
 * `setup.commands` replaces the detected set-up; `setup.auto: false` turns the automatic set-up
 * before "Run the tests" off. `egress.allow` adds hosts to the allowlist read from the machine.
 * `checks.run` adds checks run as evidence (one with a detected check's name replaces it);
 * `checks.auto: false` runs only those (see checks/detect.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isId } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { parseAllowEntry, type AllowEntry } from '../egress/allowlist';
import { isRunnerKind, RUNNER_KINDS } from '../checks/runner-kind';
import type { RunnerKind } from '../checks/types';

/** A check named in the settings: run as evidence like a detected one. */
export interface ConfiguredCheck {
  name: string;
  command: string;
  /** The runner whose summary its output has; default: guessed from the command. */
  runner?: RunnerKind;
}

export interface RepoSettings {
  image?: string;
  setup: { commands?: string[]; auto: boolean };
  egress: { allow: AllowEntry[] };
  checks: { auto: boolean; run?: ConfiguredCheck[] };
}

export const DEFAULT_REPO_SETTINGS: RepoSettings = { setup: { auto: true }, egress: { allow: [] }, checks: { auto: true } };
const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const MAX_CHECKS = 50;

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
  for (const k of Object.keys(raw)) if (!['version', 'image', 'setup', 'egress', 'checks'].includes(k)) bad(k, 'is not a known setting (version, image, setup, egress, checks)');
  if (raw.version !== 1) bad('version', 'must be 1');
  const out: RepoSettings = { setup: { auto: true }, egress: { allow: [] }, checks: validateChecks(raw.checks, bad) };
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

function validateChecks(raw: unknown, bad: (field: string, what: string) => never): RepoSettings['checks'] {
  if (raw === undefined) return { auto: true };
  if (!isObj(raw)) return bad('checks', 'must be an object');
  for (const k of Object.keys(raw)) if (!['auto', 'run'].includes(k)) bad(`checks.${k}`, 'is not a known setting (auto, run)');
  if (raw.auto !== undefined && typeof raw.auto !== 'boolean') bad('checks.auto', 'must be true or false');
  const out: RepoSettings['checks'] = { auto: raw.auto !== false };
  if (raw.run === undefined) return out;
  if (!Array.isArray(raw.run) || raw.run.length > MAX_CHECKS) return bad('checks.run', `must be a list of at most ${MAX_CHECKS} checks`);
  const names = new Set<string>();
  out.run = raw.run.map((c: unknown, i) => {
    const at = `checks.run[${i}]`;
    if (!isObj(c)) return bad(at, 'must be an object { name, command, runner? }');
    for (const k of Object.keys(c)) if (!['name', 'command', 'runner'].includes(k)) bad(`${at}.${k}`, 'is not a known setting (name, command, runner)');
    if (typeof c.name !== 'string' || !CHECK_NAME.test(c.name)) bad(`${at}.name`, 'must be 1-64 letters, digits, ".", "_", ":" or "-"');
    if (names.has(c.name as string)) bad(`${at}.name`, `"${c.name as string}" is used twice`);
    names.add(c.name as string);
    if (typeof c.command !== 'string' || c.command.trim() === '' || c.command.length > 4096) bad(`${at}.command`, 'must be a non-empty command');
    if (c.runner !== undefined && !isRunnerKind(c.runner)) bad(`${at}.runner`, `must be one of ${RUNNER_KINDS.join(', ')}`);
    return { name: c.name as string, command: c.command as string, ...(c.runner !== undefined ? { runner: c.runner as RunnerKind } : {}) };
  });
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
