/**
 * `pushpals repo add|list|remove|sync`: the registered repositories of a running orchestrator. A
 * repository is named by its id or its name everywhere.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CommandResult } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { SSH_UNSUPPORTED, redactUrl, sourceKind } from '../git/sources';
import { resolveTarget, sendCommand } from './client';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

type RepoInfo = CommandResult<'repo_list'>['repos'][number];

const short = (oid: string): string => oid.slice(0, 12);

function describe(r: RepoInfo): string {
  const head = r.head ? `${r.head.branch ?? '(detached)'} @ ${short(r.head.commit)}` : '(not synced yet)';
  return `${r.name.padEnd(20)} ${r.repoId}  ${head}  ${r.source}`;
}

export const REPO_COMMAND: Sub = {
  summary: 'repo add|list|remove|sync: the registered repositories',
  usage: `usage: pushpals repo add <path-or-https-url> [--name N]
       pushpals repo list
       pushpals repo remove <name-or-id>
       pushpals repo sync <name-or-id>
       (each also takes [--data-dir D] [--url U] [--json])

The repositories tasks work on, on the running orchestrator. Every task starts from the repository as
you have it when it starts (your current branch's head; a URL is fetched again), so there is nothing
to refresh by hand; sync does it now and shows what it saw.
  add <src>      register a local path (work tree or bare repository) or an http(s) URL; SSH remotes
                 (ssh://, git@host:path) are not supported: use the https URL. Credentials in a URL
                 are used for this first clone only and never stored. Adding a registered source
                 again answers with that repository.
  --name N       display name (default: the directory or URL basename; unique)
  list           id, name, current branch and commit, source
  remove <repo>  unregister (by name or id) and delete the orchestrator's copy
  sync <repo>    refresh the orchestrator's copy now and print the head it saw
${COMMON_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { ...common, name: { type: 'string' } }, allowPositionals: true });
    const [verb, arg, extra] = positionals;
    if (!verb) throw new UsageError('missing the repo command (add, list, remove, sync)');
    if (!['add', 'list', 'remove', 'sync'].includes(verb)) throw new UsageError(`unknown repo command "${verb}"`);
    if (verb === 'list' && arg !== undefined) throw new UsageError(`unexpected argument "${arg}"`);
    if (verb !== 'list' && !arg) throw new UsageError(verb === 'add' ? 'missing the repository path or URL' : `missing the repository (name or id) to ${verb}`);
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (one repository per call)`);
    if (values.name !== undefined && verb !== 'add') throw new UsageError('--name goes with repo add');
    const config = configFrom(values, io.env);
    const target = () => resolveTarget(config.dataDir, io.env, values.url);
    const print = (json: unknown, text: string) => io.out(values.json ? JSON.stringify(json) : text);
    switch (verb) {
      case 'add': {
        const source = arg as string;
        const kind = sourceKind(source);
        // git reads `git@host:path` (scp-like syntax) as an ssh remote, never as a relative path.
        if (kind === 'ssh') throw new PushPalsError('invalid_message', `${SSH_UNSUPPORTED} (got "${redactUrl(source)}")`);
        const r = await sendCommand(target(), 'repo_add', { source: kind === 'path' ? resolve(source) : source, ...(values.name ? { name: values.name } : {}) });
        return print(r, r.existing ? `already registered as ${r.name} (${r.repoId}); synced now` : `registered ${r.name} as ${r.repoId}`);
      }
      case 'list': {
        const { repos } = await sendCommand(target(), 'repo_list', {});
        if (values.json) return io.out(JSON.stringify(repos, null, 2));
        if (repos.length === 0) return io.out('no repositories registered: pushpals repo add <path-or-https-url>');
        for (const r of repos) io.out(describe(r));
        return;
      }
      case 'remove': {
        const r = await sendCommand(target(), 'repo_remove', { repo: arg as string });
        return print(r, `removed ${r.name} (${r.repoId})`);
      }
      case 'sync': {
        const r = await sendCommand(target(), 'repo_sync', { repo: arg as string });
        return print(r, `${r.name} (${r.repoId}): ${r.head.branch ?? '(detached)'} @ ${short(r.head.commit)}`);
      }
    }
  },
};
