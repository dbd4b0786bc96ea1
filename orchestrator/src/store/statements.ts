import type Database from 'better-sqlite3';
import type { Db } from './db';

const caches = new WeakMap<Db, Map<string, Database.Statement>>();

/** A prepared statement cached per connection: hot paths prepare once, small modules stay simple. */
export function stmt(db: Db, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

const txCaches = new WeakMap<Db, Map<string, unknown>>();

/**
 * A transaction function cached per connection under `key`: better-sqlite3's db.transaction()
 * builds a wrapper on each call, which is measurable on hot paths (queue claim/complete).
 */
export function cachedTx<A extends unknown[], R>(db: Db, key: string, fn: (...args: A) => R): Database.Transaction<(...args: A) => R> {
  let cache = txCaches.get(db);
  if (!cache) {
    cache = new Map();
    txCaches.set(db, cache);
  }
  let t = cache.get(key) as Database.Transaction<(...args: A) => R> | undefined;
  if (!t) {
    t = db.transaction(fn);
    cache.set(key, t);
  }
  return t;
}
