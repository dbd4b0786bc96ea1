/**
 * Per-repository command policy: allow / ask / deny rules that override the built-in defaults.
 *
 * Policy files live in the orchestrator's data dir, `<dataDir>/policies/<repoId>.json`, and are
 * NEVER read from the repository itself: the repository's content is written by whoever controls
 * the repo (and, during a task, by the agent). A policy file inside it would let a repository — or
 * an agent editing it — allowlist its own commands. Only the person running the orchestrator edits
 * the data dir.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isId } from '@pushpals/protocol';
import { PushPalsError } from '../errors';

export type Verdict = 'allow' | 'ask' | 'deny';

/**
 * One rule. `command` is the program's name (basename: `git`, `npm`, `make`). `args`, when present,
 * is a glob (`*` = any characters, `?` = one) matched against the command's arguments joined by single
 * spaces, e.g. `{ "command": "npm", "args": "run deploy*" }`; absent means any arguments.
 */
export interface PolicyRule {
  command: string;
  args?: string;
  reason?: string;
}

export interface Policy {
  version: 1;
  /** Rules are checked deny first, then ask, then allow; the first match decides. */
  deny: PolicyRule[];
  ask: PolicyRule[];
  allow: PolicyRule[];
  /** Repo-wide grant: commit, push and PR creation run without asking. Default false. */
  autoCommit?: boolean;
}

export const EMPTY_POLICY: Policy = Object.freeze({ version: 1, deny: [], ask: [], allow: [] }) as Policy;

/** Validates an untrusted JSON value as a Policy; throws PushPalsError('invalid_message') naming the field. */
export function validatePolicy(value: unknown, where = 'policy'): Policy {
  const fail = (p: string, msg: string): never => {
    throw new PushPalsError('invalid_message', `${where}${p}: ${msg}`, undefined, p || '/');
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('', 'must be an object');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!['version', 'deny', 'ask', 'allow', 'autoCommit'].includes(k)) fail(`/${k}`, 'unknown field');
  if (v.version !== 1) fail('/version', 'must be 1');
  if (v.autoCommit !== undefined && typeof v.autoCommit !== 'boolean') fail('/autoCommit', 'must be a boolean');
  const out: Policy = { version: 1, deny: [], ask: [], allow: [] };
  if (v.autoCommit !== undefined) out.autoCommit = v.autoCommit as boolean;
  for (const list of ['deny', 'ask', 'allow'] as const) {
    const raw = v[list] ?? [];
    if (!Array.isArray(raw)) fail(`/${list}`, 'must be an array');
    (raw as unknown[]).forEach((r, i) => {
      const p = `/${list}/${i}`;
      if (typeof r !== 'object' || r === null || Array.isArray(r)) return fail(p, 'must be an object');
      const rule = r as Record<string, unknown>;
      for (const k of Object.keys(rule)) if (!['command', 'args', 'reason'].includes(k)) fail(`${p}/${k}`, 'unknown field');
      if (typeof rule.command !== 'string' || !/^[A-Za-z0-9_.+-]{1,128}$/.test(rule.command)) fail(`${p}/command`, 'must be a command name (letters, digits, _ . + -)');
      if (rule.args !== undefined && (typeof rule.args !== 'string' || rule.args.length > 1024)) fail(`${p}/args`, 'must be a glob string of at most 1024 characters');
      if (rule.reason !== undefined && (typeof rule.reason !== 'string' || rule.reason.length > 1024)) fail(`${p}/reason`, 'must be a string of at most 1024 characters');
      const pr: PolicyRule = { command: rule.command as string };
      if (rule.args !== undefined) pr.args = rule.args as string;
      if (rule.reason !== undefined) pr.reason = rule.reason as string;
      out[list].push(pr);
    });
  }
  return out;
}

/** Path of a repo's policy file inside the data dir. Rejects ids that could escape the directory. */
export function policyPath(dataDir: string, repoId: string): string {
  if (!isId(repoId) || repoId === '.' || repoId === '..') throw new PushPalsError('invalid_message', `invalid repo id "${repoId.slice(0, 64)}"`);
  return path.join(dataDir, 'policies', `${repoId}.json`);
}

/**
 * Loads `<dataDir>/policies/<repoId>.json`. A missing file means "defaults only" (EMPTY_POLICY);
 * an unreadable, non-JSON or invalid file throws PushPalsError — a broken policy must never silently
 * fall back to something more permissive than the person intended.
 */
export function loadPolicy(dataDir: string, repoId: string): Policy {
  const file = policyPath(dataDir, repoId);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_POLICY;
    throw new PushPalsError('internal', `cannot read policy file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PushPalsError('invalid_json', `policy file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return validatePolicy(json, file);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`, 's');
}

/** The first rule (deny, then ask, then allow) matching argv, or undefined. */
export function matchPolicy(policy: Policy, argv: string[]): { verdict: Verdict; rule: PolicyRule } | undefined {
  const name = path.posix.basename(argv[0] ?? '');
  const rest = argv.slice(1).join(' ');
  for (const verdict of ['deny', 'ask', 'allow'] as const) {
    for (const rule of policy[verdict]) {
      if (rule.command !== name) continue;
      if (rule.args !== undefined && !globToRegExp(rule.args).test(rest)) continue;
      return { verdict, rule };
    }
  }
  return undefined;
}
