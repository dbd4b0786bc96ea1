/**
 * Subcommands of the workbench: `repo add`, `audit verify|head|export` (cli/audit-commands.ts),
 * `sandbox build-image`. `repo add` talks to the running orchestrator; the audit commands read the
 * DB file directly.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PushPalsError } from '../errors';
import { buildWorkerImage } from '../sandbox';
import { AUDIT_COMMAND } from './audit-commands';
import { resolveTarget, sendCommand } from './client';
import { common, configFrom, type Sub } from './shared';

export const WORKBENCH_COMMANDS: Record<string, Sub> = {
  repo: {
    summary: 'repo add <path-or-git-url> [--name N]: register a repository with the running orchestrator',
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, name: { type: 'string' } }, allowPositionals: true });
      const [verb, source] = positionals;
      if (verb !== 'add' || !source) throw new PushPalsError('invalid_message', 'usage: pushpals repo add <path-or-git-url> [--name N]');
      const config = configFrom(values, io.env);
      const isPath = !/^[a-z][a-z0-9+.-]*:\/\//i.test(source);
      const r = await sendCommand(resolveTarget(config.dataDir, io.env, values.url), 'repo_add', {
        source: isPath ? resolve(source) : source,
        ...(values.name ? { name: values.name } : {}),
      });
      io.out(values.json ? JSON.stringify(r) : `registered ${r.name} as ${r.repoId}`);
    },
  },
  audit: AUDIT_COMMAND,
  sandbox: {
    summary: 'sandbox build-image [--method auto|dockerfile|debootstrap]: build the worker image',
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, method: { type: 'string' } }, allowPositionals: true });
      if (positionals[0] !== 'build-image') throw new PushPalsError('invalid_message', 'usage: pushpals sandbox build-image [--method auto|dockerfile|debootstrap]');
      const config = configFrom(values, io.env);
      const method = values.method ?? 'auto';
      if (!['auto', 'dockerfile', 'debootstrap'].includes(method)) throw new PushPalsError('invalid_message', '--method must be auto, dockerfile or debootstrap');
      const r = await buildWorkerImage({ image: config.sandbox.image, method: method as 'auto' | 'dockerfile' | 'debootstrap', log: (s: string) => io.out(s) });
      io.out(`built ${r.image} with ${r.method} in ${(r.durationMs / 1000).toFixed(1)} s`);
    },
  },
};
