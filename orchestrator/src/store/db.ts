import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrations as allMigrations } from './migrations/index';
import type { Migration } from './migrations/types';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite store: WAL for concurrent readers and several writer
 * processes, a busy timeout so competing processes wait instead of failing, then migrations.
 */
export function openDatabase(file: string, migrations: Migration[] = allMigrations): Db {
  secureDbFiles(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // durable across process crashes in WAL mode; fsync at checkpoints
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Checkpoint every ~40 MB of WAL instead of ~4 MB: hot pages (the queue's index, the event
  // log's tail) are copied once per checkpoint instead of ten times, and checkpoint fsyncs are
  // rarer; commits got ~2x cheaper on the 2-core VM (docs/PERFORMANCE.md). The WAL is truncated
  // back to 64 MB at most after a checkpoint.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('journal_size_limit = 67108864');
  migrate(db, migrations);
  return db;
}

/**
 * The DB holds the audit trail, approvals and task requests: only the owner may read it. SQLite
 * creates the -wal and -shm files with the main file's mode, so the main file is created 0600
 * first (an empty file is a valid empty database); files a previous version left 0644 are
 * tightened.
 */
function secureDbFiles(file: string): void {
  if (file === '' || file === ':memory:' || file.startsWith('file:') || process.platform === 'win32') return;
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** Applies pending migrations in id order; each one and its bookkeeping row in one transaction. */
export function migrate(db: Db, migrations: Migration[] = allMigrations): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as number[]);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, new Date().toISOString());
    }).immediate();
    applied.push(m.id);
  }
  return applied;
}
