/**
 * Subcommands of the workbench: `repo add|list|remove|sync` (cli/repo-commands.ts), `audit
 * verify|head|export` (cli/audit-commands.ts), `sandbox build-image`. `repo` talks to the running
 * orchestrator; the audit commands read the DB file directly.
 */
import { parseArgs } from 'node:util';
import { buildOpenHandsImage, buildWorkerImage, variantImageName } from '../sandbox';
import { AUDIT_COMMAND } from './audit-commands';
import { REPO_COMMAND } from './repo-commands';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

export const WORKBENCH_COMMANDS: Record<string, Sub> = {
  repo: REPO_COMMAND,
  audit: AUDIT_COMMAND,
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
