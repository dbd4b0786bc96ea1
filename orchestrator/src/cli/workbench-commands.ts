/**
 * Subcommands of the workbench: `repo add|list|remove|sync` (cli/repo-commands.ts), `audit
 * verify|head|export` (cli/audit-commands.ts), `gc`, `sandbox build-image`. `repo` and `gc` talk to
 * the running orchestrator; the audit commands read the DB file directly.
 */
import { parseArgs } from 'node:util';
import { buildOpenHandsImage, buildWorkerImage, variantImageName } from '../sandbox';
import { AUDIT_COMMAND } from './audit-commands';
import { resolveTarget, sendCommand } from './client';
import { REPO_COMMAND } from './repo-commands';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

export const WORKBENCH_COMMANDS: Record<string, Sub> = {
  repo: REPO_COMMAND,
  audit: AUDIT_COMMAND,
  gc: {
    summary: 'gc [--older-than-hours N]: delete finished tasks\' working copies now',
    usage: `usage: pushpals gc [--older-than-hours N] [--data-dir D] [--url U] [--json]

Deletes the working copies of finished tasks on the running orchestrator (they are otherwise
deleted sandbox.keepFinishedHours after the task ended). Copies whose diff awaits review stay.
Also removes leftover dirs (check trees, OpenHands socket dirs of finished tasks, what a killed
run left that its next start could not remove); the orchestrator's log counts them.
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
    summary: 'sandbox build-image [--with go,rust,java] [--image NAME] [--method M] [--force] [--openhands]: build the worker image (or the OpenHands one)',
    usage: `usage: pushpals sandbox build-image [--with VARIANT,...] [--image NAME] [--method auto|dockerfile|debootstrap] [--force] [--openhands] [--data-dir D]

Builds the sandbox worker image (Debian bookworm, Node + npm, Python 3 + pip + venv, build-essential).
Skipped when the image already carries this recipe's hash (label pushpals.recipe).
  --with V,...   extra toolchains: go, rust, java (orchestrator/docker/packages.txt)
  --image NAME   the tag to build; default: the config's sandbox.image (pushpals-worker:dev), with the
                 variants appended (pushpals-worker:dev-go). A repository uses it through its settings
                 file <data dir>/repo-settings/<repo id>.json: {"version": 1, "image": "NAME"}
  --method M     auto (default): the Dockerfile when debian:bookworm-slim is available, else debootstrap (needs root)
  --force        build even when the recipe is unchanged
  --openhands    build the OpenHands worker image instead (openhands.image, default pushpals-openhands:dev):
                 Debian 13 by debootstrap + the agent server from PyPI, hash-pinned; needs root; skipped when
                 an image with the same content is present
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args,
        options: { ...common, method: { type: 'string' }, with: { type: 'string' }, image: { type: 'string' }, force: { type: 'boolean' }, openhands: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (positionals[0] !== 'build-image') throw new UsageError(positionals[0] ? `unknown sandbox command "${positionals[0]}"` : 'missing the sandbox command (build-image)');
      const config = configFrom(values, io.env);
      if (values.openhands) {
        if (values.method) throw new UsageError('--method applies to the worker image only');
        const r = await buildOpenHandsImage({ image: config.openhands.image, log: (s: string) => io.out(s) });
        io.out(`${r.image} ready in ${(r.durationMs / 1000).toFixed(1)} s`);
        return;
      }
      const method = values.method ?? 'auto';
      if (!['auto', 'dockerfile', 'debootstrap'].includes(method)) throw new UsageError('--method must be auto, dockerfile or debootstrap');
      const variants = (values.with ?? '').split(',').map((v) => v.trim()).filter(Boolean);
      if (variants.some((v) => !/^[a-z][a-z0-9-]*$/.test(v))) throw new UsageError('--with takes variant names separated by commas, e.g. --with go,rust');
      const image = values.image ?? variantImageName(config.sandbox.image, variants);
      const r = await buildWorkerImage({ image, variants, force: values.force === true, method: method as 'auto' | 'dockerfile' | 'debootstrap', log: (s: string) => io.out(s) });
      const size = `${Math.round(r.sizeBytes / 1e6)} MB`;
      io.out(r.method === 'cached' ? `${r.image} is up to date (recipe ${r.recipe}, ${size})` : `built ${r.image} (recipe ${r.recipe}) with ${r.method} in ${(r.durationMs / 1000).toFixed(1)} s, ${size}`);
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
