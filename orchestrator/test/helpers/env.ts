/** Test environment helpers: temp data dirs, an app on port 0, a snapshot of the store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App, type CreateAppOptions } from '../../src/app';
import { loadConfig, type Config, type ConfigOverrides } from '../../src/config';
import { silentLogger } from '../../src/log';
import type { Db } from '../../src/store/db';

const dirs: string[] = [];
// Whatever a suite forgot to remove goes when the test process exits (mocha --exit included).
process.on('exit', () => removeTempDirs());

export function tempDir(prefix = 'pushpals-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `pred` until true or the timeout. */
export async function until(pred: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
