/**
 * Subcommands of the workbench: `repo add`, `audit verify|head|export` (cli/audit-commands.ts),
 * `sandbox build-image`. `repo add` talks to the running orchestrator; the audit commands read the
 * DB file directly.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PushPalsError } from '../errors';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from '../git/sources';
import { buildWorkerImage, variantImageName } from '../sandbox';
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
    summary: 'sandbox build-image [--with go,rust,java] [--image NAME] [--method M] [--force]: build the worker image',
    usage: `usage: pushpals sandbox build-image [--with VARIANT,...] [--image NAME] [--method auto|dockerfile|debootstrap] [--force] [--data-dir D]

Builds the sandbox worker image (Debian bookworm, Node + npm, Python 3 + pip + venv, build-essential).
Skipped when the image already carries this recipe's hash (label pushpals.recipe).
  --with V,...   extra toolchains: go, rust, java (orchestrator/docker/packages.txt)
  --image NAME   the tag to build; default: the config's sandbox.image (pushpals-worker:dev), with the
                 variants appended (pushpals-worker:dev-go). A repository uses it through its settings
                 file <data dir>/repo-settings/<repo id>.json: {"version": 1, "image": "NAME"}
  --method M     auto (default): the Dockerfile when debian:bookworm-slim is available, else debootstrap (needs root)
  --force        build even when the recipe is unchanged
${COMMON_USAGE}`,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args,
        options: { ...common, method: { type: 'string' }, with: { type: 'string' }, image: { type: 'string' }, force: { type: 'boolean' } },
        allowPositionals: true,
      });
      if (positionals[0] !== 'build-image') throw new UsageError(positionals[0] ? `unknown sandbox command "${positionals[0]}"` : 'missing the sandbox command (build-image)');
      const config = configFrom(values, io.env);
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
