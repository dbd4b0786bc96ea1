/**
 * `pushpals forge token set|clear --repo R`: the forge token (GitHub, GitHub Enterprise) a repository's
 * pull requests are opened with. Read from stdin, never from the command line (argv is visible to
 * every user of the machine in `ps`), stored 0600 in the data dir; the orchestrator reads it when a
 * pull request is asked for (no restart needed).
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { forgeTokenPath, writeForgeToken } from '../delivery/forge-config';
import { PushPalsError } from '../errors';
import { resolveTarget, sendCommand } from './client';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

const FORGE_USAGE = `usage: pushpals forge token set --repo R [--data-dir D] [--url U]   (the token on stdin)
       pushpals forge token clear --repo R [--data-dir D] [--url U]

  token set      store the forge token for repository R (name or id; see pushpals repo list), read
                 from stdin: e.g. "gh auth token | pushpals forge token set --repo web", or type it and
                 press Ctrl-D. Stored in <data-dir>/forge-tokens/<repo-id> (0600). An env variable
                 named in the config (forge.tokenEnv, forge.repos.<repo>.tokenEnv) wins over the file.
  token clear    delete the stored token of repository R
${COMMON_USAGE}`;

async function readStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

export const FORGE_COMMAND: Sub = {
  summary: 'forge token set|clear --repo R: the token pull requests are opened with (stdin)',
  usage: FORGE_USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { ...common, repo: { type: 'string' } }, allowPositionals: true });
    const [what, verb, ...rest] = positionals;
    if (what !== 'token' || (verb !== 'set' && verb !== 'clear')) throw new UsageError('expected "forge token set" or "forge token clear"');
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}" (the token is read from stdin, never from the command line)`);
    if (!values.repo) throw new UsageError('missing --repo R');
    const config = configFrom(values, io.env);
    const { repos } = await sendCommand(resolveTarget(config.dataDir, io.env, values.url), 'repo_list', {});
    const repo = repos.find((r) => r.repoId === values.repo) ?? repos.find((r) => r.name === values.repo);
    if (!repo) throw new PushPalsError('not_found', `no repository "${values.repo}": ${repos.length ? `the registered ones are ${repos.map((r) => r.name).join(', ')}` : 'none is registered'}`);
    if (verb === 'clear') {
      rmSync(forgeTokenPath(config.dataDir, repo.repoId), { force: true });
      io.out(`forge token of ${repo.name} deleted`);
      return 0;
    }
    const token = (await readStdin(io.stdin ?? process.stdin)).trim();
    if (!token) throw new UsageError('no token on stdin');
    const file = writeForgeToken(config.dataDir, repo.repoId, token);
    io.out(`forge token of ${repo.name} stored in ${file} (0600)`);
    return 0;
  },
};
