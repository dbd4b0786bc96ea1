/** Test environment helpers: a config with a temp data dir, an app on port 0, a snapshot of the store. */
import { createApp, type App, type CreateAppOptions } from '../../src/app';
import { loadConfig, type Config, type ConfigOverrides } from '../../src/config';
import { silentLogger } from '../../src/log';
import type { Db } from '../../src/store/db';
import { tempDir } from './temp';

export function testConfig(overrides: ConfigOverrides = {}): Config {
  return loadConfig({ env: {}, overrides: { port: 0, dataDir: overrides.dataDir ?? tempDir(), ...overrides } });
}

export async function startApp(overrides: ConfigOverrides = {}, opts: CreateAppOptions = {}): Promise<App> {
  return createApp(testConfig(overrides), { logger: silentLogger, workbench: false, ...opts });
}

/** Row counts of every core table plus the event head: "the store is unchanged" in one value. */
export function storeSnapshot(db: Db): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ['sessions', 'events', 'tasks', 'jobs', 'approvals']) out[t] = db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number;
  out.headSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM events').pluck().get() as number;
  return out;
}
