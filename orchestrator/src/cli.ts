#!/usr/bin/env node
/**
 * `pushpals` — the orchestrator's command line.
 *   serve               start the orchestrator (what the README's start command runs)
 *   token               print the connection URL and token for pairing a client
 *   status              show a running orchestrator's status and tasks
 *   task new|list|watch|cancel|push|pr   create, list, follow, cancel tasks; push, open a PR (cli/task-commands.ts, cli/watch.ts)
 *   approve|deny <id>   decide a pending approval      (cli/task-commands.ts)
 *   repo add|list|remove|sync    the registered repositories (cli/repo-commands.ts)
 *   grant add|list|revoke        auto-commit grants (cli/grant-commands.ts)
 *   gc                  delete finished tasks' working copies now (cli/workbench-commands.ts)
 *   audit verify|head|export  check the trail against signed heads, print the signed head, export (cli/audit-commands.ts)
 *   sandbox build-image build the worker image          (cli/workbench-commands.ts)
 *   model test          check the configured model      (cli/model-commands.ts)
 *   forge token set|clear  the forge token for pull requests, from stdin (cli/forge-commands.ts)
 * Other modules add subcommands to COMMANDS below (one entry each).
 */
import { parseArgs } from 'node:util';
import { PROTOCOL_VERSION } from '@pushpals/protocol';
import { loadOrCreateToken } from './auth/token';
import { getJson, resolveTarget, sendCommand } from './cli/client';
import { FORGE_COMMAND } from './cli/forge-commands';
import { GRANT_COMMAND } from './cli/grant-commands';
import { MODEL_COMMANDS } from './cli/model-commands';
import { COMMON_USAGE, UsageError, common, configFrom, isParseArgsError, modelFlags, wantsHelp, type Io, type Sub } from './cli/shared';
import { APPROVE_COMMAND, DENY_COMMAND, TASK_COMMAND, repoNames, taskLine } from './cli/task-commands';
import { WORKBENCH_COMMANDS, workbenchStatusLines } from './cli/workbench-commands';
import { DEFAULT_PORT } from './config';
import { PushPalsError } from './errors';
import { serve } from './serve';
import { readServerInfo } from './server-info';
import { SERVER_VERSION } from './version';

const COMMANDS: Record<string, Sub> = {
  serve: {
    summary: 'start the orchestrator [--port N] [--host H] [--data-dir D] [--model-base-url URL --model-name M]',
    usage: `usage: pushpals serve [--port N] [--host H] [--data-dir D] [--model-base-url URL] [--model-name M]

Starts the orchestrator in the foreground (SIGINT/SIGTERM stop it gracefully).
  --port N       port (default 8787; 0 = any free port)
  --host H       bind address (default 127.0.0.1; another host is explicit and logged)
  --data-dir D   data dir (default $PUSHPALS_HOME or ~/.pushpals)
  --model-base-url URL, --model-name M
                 the default OpenAI-compatible model (models.baseUrl / models.model)`,
    async run(args, io) {
      const { values } = parseArgs({ args, options: { ...common, ...modelFlags, port: { type: 'string' }, host: { type: 'string' } } });
      await serve(configFrom(values, io.env));
      return new Promise<never>(() => undefined); // runs until a signal
    },
  },
  token: {
    summary: 'print the connection URL and token for pairing',
    usage: `usage: pushpals token [--data-dir D] [--json]\n\nPrints the URL and token a client pairs with (the token is created on first use).\n${COMMON_USAGE}`,
    async run(args, io) {
      const { values } = parseArgs({ args, options: common });
      const config = configFrom(values, io.env);
      const token = config.token ?? loadOrCreateToken(config.dataDir);
      const info = readServerInfo(config.dataDir);
      const url = info?.url ?? `http://${config.host}:${config.port || DEFAULT_PORT}`;
      if (values.json) io.out(JSON.stringify({ url, wsUrl: info?.wsUrl ?? url.replace(/^http/, 'ws') + '/ws', token }));
      else io.out(`URL:   ${url}${info ? '' : '  (not running)'}\nToken: ${token}\n\nKeep the token secret: it grants full control of this orchestrator.`);
    },
  },
  status: {
    summary: 'show the status of a running orchestrator',
    usage: `usage: pushpals status [--data-dir D] [--url U] [--json]\n\nShows the running orchestrator's status and its tasks.\n${COMMON_USAGE}`,
    async run(args, io) {
      const { values } = parseArgs({ args, options: common });
      const config = configFrom(values, io.env);
      const t = resolveTarget(config.dataDir, io.env, values.url);
      const status = (await getJson(t, '/api/status')) as Record<string, unknown>;
      const tasks = await sendCommand(t, 'status_get', {});
      if (values.json) return io.out(JSON.stringify({ ...status, taskList: tasks.tasks }, null, 2));
      io.out(`orchestrator ${String(status.version)} at ${t.url}: up ${Math.round(Number(status.uptimeMs) / 1000)} s, ${String(status.clients)} client(s), queue depth ${String(status.queueDepth)}, DB ${(Number(status.dbBytes) / 1e6).toFixed(1)} MB`);
      for (const line of workbenchStatusLines(status.workbench)) io.out(line);
      if (tasks.tasks.length === 0) io.out('no tasks');
      const names = tasks.tasks.length ? await repoNames(t) : new Map<string, string>();
      for (const x of tasks.tasks) io.out(taskLine(x, names));
    },
  },
  task: TASK_COMMAND,
  approve: APPROVE_COMMAND,
  deny: DENY_COMMAND,
  grant: GRANT_COMMAND,
  ...WORKBENCH_COMMANDS,
  ...MODEL_COMMANDS,
  forge: FORGE_COMMAND,
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`);
  return `pushpals ${SERVER_VERSION} (protocol ${PROTOCOL_VERSION})\n\nusage: pushpals <command> [options]   (pushpals <command> --help for its options)\n\n${lines.join('\n')}\n`;
}

/** parseArgs says "Unknown option '--x'. To specify a positional argument starting with a '-', place it ...": keep the first sentence. */
function usageMessage(e: Error): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return e.message;
}

function usageOf(name: string, sub: Sub): string {
  return sub.usage ?? `usage: pushpals ${name} ...\n  ${sub.summary}\n${COMMON_USAGE}`;
}

export async function main(argv: string[], io: Io = { out: (s) => console.log(s), env: process.env }): Promise<number> {
  const err = io.err ?? ((s: string) => process.stderr.write(`${s}\n`));
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' && args[0] ? COMMANDS[args[0]] : undefined;
    io.out(topic ? usageOf(args[0] as string, topic) : usage());
    return name ? 0 : 1;
  }
  if (name === '--version' || name === 'version') {
    io.out(`pushpals ${SERVER_VERSION} (protocol ${PROTOCOL_VERSION})`);
    return 0;
  }
  const sub = COMMANDS[name];
  if (!sub) {
    err(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(args)) {
    io.out(usageOf(name, sub));
    return 0;
  }
  try {
    return (await sub.run(args, io)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError || isParseArgsError(e)) {
      err(`pushpals ${name}: ${usageMessage(e)}\n\n${usageOf(name, sub)}`);
      return 2;
    }
    const msg = e instanceof PushPalsError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    err(`pushpals ${name}: ${msg}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
