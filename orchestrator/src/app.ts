/**
 * createApp(config): the whole orchestrator in one process — Express and ws on ONE HTTP server,
 * the services (store, event log, queue worker, approvals) behind them. Tests start it on port 0.
 * close() is graceful: stop accepting, close clients, let jobs finish (or release them), close DB.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, type Config } from './config';
import { ensureDataDir, loadOrCreateToken, tokenMatcher } from './auth/token';
import { createHttpApp } from './http/routes';
import { modelChatResponder } from './chat/model-responder';
import { createLogger, type Logger } from './log';
import { ModelRegistry } from './model/registry';
import { createServices, type Services } from './services';
import { openDatabase } from './store/db';
import type { Clock } from './util/clock';
import type { Workbench } from './workbench/workbench';
import type { installWorkbench } from './workbench-setup';
import { attachWebSocket, WS_PATH, type WsEndpoint } from './ws/ws-server';

export interface App {
  /** http://host:port */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
  port: number;
  token: string;
  services: Services;
  /** The configured models per role (chat, planner, coder); keys stay inside. */
  models: ModelRegistry;
  /** Repos, sandboxes, policy, audit, the heuristic agent (absent with `workbench: false`). */
  workbench?: Workbench;
  server: Server;
  /** The WebSocket endpoint: its live connections (tests and benchmarks look at their send buffers). */
  ws: WsEndpoint;
  /** Graceful shutdown; idempotent. `graceMs`: how long running jobs may take to finish. */
  close(graceMs?: number): Promise<void>;
}

export interface CreateAppOptions {
  clock?: Clock;
  logger?: Logger;
  /** Set up extra services (agents, command handlers, job handlers) before the worker starts. */
  setup?: (services: Services) => void | Promise<void>;
  /** Install the workbench (repos, Docker sandboxes, policy, audit, heuristic agent). Default true. */
  workbench?: boolean;
  /** Where model keys named by `keyEnv` are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  ensureDataDir(config.dataDir);
  const token = config.token ?? loadOrCreateToken(config.dataDir);
  const tokenOk = tokenMatcher(token);
  if (!isLoopbackHost(config.host)) {
    logger.warn(`binding to ${config.host}: the orchestrator is reachable beyond this machine; keep the token secret and prefer an SSH tunnel`, {
      allowedHosts: config.allowedHosts,
    });
  }

  // Keys are read once, here: a key file others can read stops the start.
  const models = new ModelRegistry(config, opts.env ?? process.env);
  for (const line of models.describe()) logger.debug(`model ${line}`);
  const db = openDatabase(config.dbFile);
  const handle = createServices(config, { ...(opts.clock ? { clock: opts.clock } : {}), logger, db });
  const { services } = handle;
  const startedAt = Date.now();
  const server = createServer(createHttpApp({ services, config, tokenOk, startedAt }));
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  const ws = attachWebSocket(server, services, config, tokenOk);
  handle.setClientCounter(() => ws.clients());

  // Loaded only when used: its modules (dockerode, isomorphic-git, the shell parser) are ~1/3 of
  // the start-up time, which tests and tools that run without the workbench need not pay.
  const workbench = opts.workbench === false ? undefined : loadWorkbenchSetup()(services, { secrets: [token, ...models.secrets()], models });
  if (models.configured('chat')) services.chat.setResponder(modelChatResponder(models, workbench?.audit));
  try {
    // The engine check and reaping run while the server starts listening; sandboxes wait for them.
    const workbenchReady = workbench?.start();
    if (opts.setup) await opts.setup(services);
    handle.start();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await workbenchReady;
  } catch (e) {
    await handle.stop(0).catch(() => undefined);
    await workbench?.close().catch(() => undefined);
    db.close();
    throw e;
  }

  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (graceMs = 5000): Promise<void> =>
    (closing ??= (async () => {
      server.close(); // stop accepting; in-flight requests finish
      await ws.close();
      await handle.stop(graceMs);
      await workbench?.close().catch((e: unknown) => logger.warn('closing sandboxes failed', { error: e }));
      server.closeAllConnections();
      db.close();
    })());

  return { url, wsUrl: `ws://${hostForUrl}:${port}${WS_PATH}`, port, token, services, models, ...(workbench ? { workbench } : {}), server, ws, close };
}

function loadWorkbenchSetup(): typeof installWorkbench {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./workbench-setup') as { installWorkbench: typeof installWorkbench }).installWorkbench;
}
