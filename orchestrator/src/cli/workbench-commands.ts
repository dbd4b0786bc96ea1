/**
 * Subcommands of the workbench: `repo add`, `audit verify|head|export` (cli/audit-commands.ts),
 * `gc`, `sandbox build-image`. `repo add` talks to the running orchestrator; the audit commands read the
 * DB file directly.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PushPalsError } from '../errors';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from '../git/sources';
import { buildWorkerImage } from '../sandbox';
import { AUDIT_COMMAND } from './audit-commands';
import { resolveTarget, sendCommand } from './client';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

export const WORKBENCH_COMMANDS: Record<string, Sub> = {
  repo: {
    summary: 'repo add <path-or-https-url> [--name N]: register a repository with the running orchestrator',
    usage: `usage: pushpals repo add <path-or-https-url> [--name N] [--data-dir D] [--url U] [--json]

Registers a repository with the running orchestrator: a local path (work tree or bare repository)
or an http(s) URL. SSH remotes (ssh://, git@host:path) are not supported: use the https URL.
  --name N       display name (default: the directory or URL basename)
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, name: { type: 'string' } }, allowPositionals: true });
      const [verb, source, extra] = positionals;
      if (verb !== 'add') throw new UsageError(verb ? `unknown repo command "${verb}"` : 'missing the repo command (add)');
      if (!source) throw new UsageError('missing the repository path or URL');
      if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (one repository per call)`);
      const config = configFrom(values, io.env);
      const kind = sourceKind(source);
      // git reads `git@host:path` (scp-like syntax) as an ssh remote, never as a relative path.
      if (kind === 'ssh') throw new PushPalsError('invalid_message', `${SSH_UNSUPPORTED} (got "${redactUrl(source)}")`);
      const isPath = kind === 'path';
      const r = await sendCommand(resolveTarget(config.dataDir, io.env, values.url), 'repo_add', {
        source: isPath ? resolve(source) : source,
        ...(values.name ? { name: values.name } : {}),
      });
      io.out(values.json ? JSON.stringify(r) : `registered ${r.name} as ${r.repoId}`);
    },
  },
  audit: AUDIT_COMMAND,
  gc: {
    summary: 'gc [--older-than-hours N]: delete finished tasks\' working copies now',
    usage: `usage: pushpals gc [--older-than-hours N] [--data-dir D] [--url U] [--json]

Deletes the working copies of finished tasks on the running orchestrator (they are otherwise
deleted sandbox.keepFinishedHours after the task ended). Copies whose diff awaits review stay.
  --older-than-hours N   only tasks that ended at least N hours ago (default: the configured
                         retention; 0: every finished task)
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, 'older-than-hours': { type: 'string' } }, allowPositionals: true });
      if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const raw = values['older-than-hours'];
      const hours = raw === undefined ? undefined : Number(raw);
      if (hours !== undefined && !(Number.isFinite(hours) && hours >= 0)) throw new UsageError('--older-than-hours must be a number >= 0');
      const config = configFrom(values, io.env);
      const r = await sendCommand(resolveTarget(config.dataDir, io.env, values.url), 'workspace_gc', hours === undefined ? {} : { olderThanHours: hours });
      if (values.json) return io.out(JSON.stringify(r));
      io.out(`deleted ${r.removed.length} working cop${r.removed.length === 1 ? 'y' : 'ies'}, freed ${(r.freedBytes / 1e6).toFixed(1)} MB; ${r.kept} kept`);
    },
  },
  sandbox: {
    summary: 'sandbox build-image [--method auto|dockerfile|debootstrap]: build the worker image',
    usage: `usage: pushpals sandbox build-image [--method auto|dockerfile|debootstrap] [--data-dir D]

Builds the sandbox worker image named by the config (sandbox.image, default pushpals-worker:dev).
  --method M     auto (default): the Dockerfile when debian:bookworm-slim is available, else debootstrap (needs root)
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, method: { type: 'string' } }, allowPositionals: true });
      if (positionals[0] !== 'build-image') throw new UsageError(positionals[0] ? `unknown sandbox command "${positionals[0]}"` : 'missing the sandbox command (build-image)');
      const config = configFrom(values, io.env);
      const method = values.method ?? 'auto';
      if (!['auto', 'dockerfile', 'debootstrap'].includes(method)) throw new UsageError('--method must be auto, dockerfile or debootstrap');
      const r = await buildWorkerImage({ image: config.sandbox.image, method: method as 'auto' | 'dockerfile' | 'debootstrap', log: (s: string) => io.out(s) });
      io.out(`built ${r.image} with ${r.method} in ${(r.durationMs / 1000).toFixed(1)} s`);
    },
  },
};

/** The workbench's part of `pushpals status`: problems first (tasks fail while they last), then disk use. */
export function workbenchStatusLines(section: unknown): string[] {
  if (!section || typeof section !== 'object') return [];
  const w = section as {
    sandboxes?: { ok?: boolean; problem?: string };
    diskLimit?: { limitMb?: number; ok?: boolean; problem?: string };
    pool?: { target?: number; ready?: number };
    keepFinishedHours?: number;
    workingCopies?: number;
    workingCopiesBytes?: number;
    sharedObjectsBytes?: number;
  };
  const mb = (n: number | undefined) => `${((n ?? 0) / 1e6).toFixed(1)} MB`;
  const out: string[] = [];
  if (w.sandboxes?.ok === false) out.push(`PROBLEM sandboxes: ${w.sandboxes.problem ?? 'unavailable'}`);
  if (w.diskLimit?.ok === false) out.push(`PROBLEM disk limit (tasks fail until fixed): ${w.diskLimit.problem ?? 'unavailable'}`);
  out.push(`sandboxes: warm pool ${w.pool?.ready ?? 0}/${w.pool?.target ?? 0} ready, disk limit ${w.diskLimit?.limitMb ? `${w.diskLimit.limitMb} MiB per task` : 'off'}`);
  out.push(`working copies: ${w.workingCopies ?? 0} using ${mb(w.workingCopiesBytes)} + ${mb(w.sharedObjectsBytes)} of shared objects; finished ones kept ${w.keepFinishedHours ?? '?'} h (pushpals gc deletes them now)`);
  return out;
}
