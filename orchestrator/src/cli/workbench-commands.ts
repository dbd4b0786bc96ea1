/**
 * Subcommands of the workbench: `repo add`, `audit verify`, `audit export`, `sandbox build-image`.
 * `repo add` talks to the running orchestrator; the audit commands read the DB file directly (they
 * must work when the server is down — that is when one checks a trail).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditLog } from '../audit';
import { PushPalsError } from '../errors';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from '../git/sources';
import { buildWorkerImage } from '../sandbox';
import { openDatabase } from '../store/db';
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
  audit: {
    summary: 'audit verify | audit export --task ID [--out FILE]: check the hash chain, export JSONL',
    async run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, task: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
      const config = configFrom(values, io.env);
      const db = openDatabase(config.dbFile);
      try {
        const audit = new AuditLog(db);
        if (positionals[0] === 'verify') {
          const r = audit.verify();
          if (values.json) io.out(JSON.stringify(r));
          else io.out(r.ok ? `audit trail OK: ${r.count} entries, head #${r.head.seq} ${r.head.hash}` : `audit trail TAMPERED at entry #${r.seq}: ${r.reason}`);
          return r.ok ? 0 : 3;
        }
        if (positionals[0] === 'export') {
          const out = values.out ? createWriteStream(values.out) : process.stdout;
          const n = await audit.exportJsonl(values.task, out);
          if (values.out) {
            out.end();
            await once(out, 'finish');
            io.out(`wrote ${n} entries to ${values.out}`);
          }
          return 0;
        }
        throw new PushPalsError('invalid_message', 'usage: pushpals audit verify | pushpals audit export [--task ID] [--out FILE]');
      } finally {
        db.close();
      }
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
