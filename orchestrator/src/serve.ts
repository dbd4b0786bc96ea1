/**
 * `pushpals serve`: start the app, publish server.json, and shut down gracefully on SIGINT/SIGTERM
 * (a second signal exits at once).
 */
import { createApp, type App, type CreateAppOptions } from './app';
import { redactConfig, type Config } from './config';
import { createLogger } from './log';
import { removeServerInfo, writeServerInfo } from './server-info';

export async function serve(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  logger.info('configuration', redactConfig(config));
  const app = await createApp(config, { ...opts, logger });
  writeServerInfo(config.dataDir, app.url, app.wsUrl);
  logger.info(`PushPals orchestrator listening on ${app.url} (WebSocket ${app.wsUrl}); run "pushpals token" to pair a client`);

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
    logger.info(`${sig}: shutting down`);
    removeServerInfo(config.dataDir);
    app
      .close()
      .then(() => process.exit(0))
      .catch((e: unknown) => {
        logger.error('shutdown failed', { error: e });
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return app;
}
