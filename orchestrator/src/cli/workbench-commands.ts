/**
 * Subcommands of the workbench: `repo add|list|remove|sync` (cli/repo-commands.ts), `audit
 * verify|head|export` (cli/audit-commands.ts), `sandbox build-image`. `repo` talks to the running
 * orchestrator; the audit commands read the DB file directly.
 */
import { parseArgs } from 'node:util';
import { buildOpenHandsImage, buildWorkerImage } from '../sandbox';
import { AUDIT_COMMAND } from './audit-commands';
import { REPO_COMMAND } from './repo-commands';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

export const WORKBENCH_COMMANDS: Record<string, Sub> = {
  repo: REPO_COMMAND,
  audit: AUDIT_COMMAND,
  sandbox: {
    summary: 'sandbox build-image [--method auto|dockerfile|debootstrap] [--openhands]: build the worker image (or the OpenHands one)',
    usage: `usage: pushpals sandbox build-image [--method auto|dockerfile|debootstrap] [--openhands] [--data-dir D]

Builds the sandbox worker image named by the config (sandbox.image, default pushpals-worker:dev).
  --method M     auto (default): the Dockerfile when debian:bookworm-slim is available, else debootstrap (needs root)
  --openhands    build the OpenHands worker image instead (openhands.image, default pushpals-openhands:dev):
                 Debian 13 by debootstrap + the agent server from PyPI, hash-pinned; needs root; skipped when
                 an image with the same content is present
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, method: { type: 'string' }, openhands: { type: 'boolean' } }, allowPositionals: true });
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
      const r = await buildWorkerImage({ image: config.sandbox.image, method: method as 'auto' | 'dockerfile' | 'debootstrap', log: (s: string) => io.out(s) });
      io.out(`built ${r.image} with ${r.method} in ${(r.durationMs / 1000).toFixed(1)} s`);
    },
  },
};
