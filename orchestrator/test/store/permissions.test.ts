/**
 * The data dir and the database files are the owner's alone: created 0700 / 0600, and files an
 * older version left world-readable are tightened when the store opens them (real files, real
 * SQLite: the -wal and -shm files only exist once SQLite made them).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { ensureDataDir } from '../../src/auth/token';
import { openDatabase } from '../../src/store/db';

const mode = (f: string): number => fs.statSync(f).mode & 0o777;

describe('store: file permissions', function () {
  if (process.platform === 'win32') return;
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-perm-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a new data dir is 0700, an existing one that others can enter is tightened', () => {
    const fresh = path.join(dir, 'fresh');
    ensureDataDir(fresh);
    assert.equal(mode(fresh), 0o700);
    const loose = path.join(dir, 'loose');
    fs.mkdirSync(loose, { mode: 0o755 });
    fs.chmodSync(loose, 0o755);
    ensureDataDir(loose);
    assert.equal(mode(loose), 0o700);
  });

  it('a new database and its -wal/-shm files are 0600', () => {
    const file = path.join(dir, 'pushpals.db');
    const db = openDatabase(file);
    db.prepare('INSERT INTO sessions (id, created_at, last_seen_at) VALUES (?, 1, 1)').run('s1');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f), 0o600, `${path.basename(f)} is ${mode(f).toString(8)}`);
    db.close();
  });

  it('files a previous version left 0644 are tightened at open', () => {
    const file = path.join(dir, 'old.db');
    const old = new Database(file); // what the store used to do: SQLite's default 0644
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x)');
    old.exec('INSERT INTO t VALUES (1)');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.chmodSync(f, 0o644);
    const db = openDatabase(file);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f), 0o600, `${path.basename(f)} is ${mode(f).toString(8)}`);
    assert.equal(db.prepare('SELECT x FROM t').pluck().get(), 1, 'the data is intact');
    db.close();
    old.close();
  });
});
