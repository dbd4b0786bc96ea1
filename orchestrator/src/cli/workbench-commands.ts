/**
 * Subcommands of the workbench: `repo add`, `audit verify|head|export` (cli/audit-commands.ts),
 * `sandbox build-image`. `repo add` talks to the running orchestrator; the audit commands read the
 * DB file directly.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PushPalsError } from '../errors';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from '../git/sources';
import { buildOpenHandsImage, buildWorkerImage } from '../sandbox';
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
