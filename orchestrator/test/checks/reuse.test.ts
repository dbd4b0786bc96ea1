/**
 * The reuse store of a base's check results, on a real SQLite file through the real migrations: a key
 * changes with each of its parts (so any change misses), a result expires, reuse off finds and keeps
 * nothing, and only results that ran (passed/failed, not reused themselves) are kept.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CheckReuse, checkKey, type CheckKeyParts } from '../../src/checks/reuse';
import type { CheckResult } from '../../src/checks/types';
import { openDatabase, type Db } from '../../src/store/db';
import { removeTempDirs, tempDir } from '../helpers/temp';

const PARTS: CheckKeyParts = {
  repoId: 'r1',
  treeId: 'a'.repeat(40),
  check: { name: 'test', command: 'npm test', runner: 'mocha' },
  settings: { setup: { auto: true }, egress: { allow: [] }, checks: { auto: true } },
  setup: [{ kind: 'node', commands: ['npm ci'] }],
  sandbox: { image: 'pushpals-worker:dev', imageId: 'sha256:1111', memoryMb: 2048, cpus: 2, commandTimeoutMs: 600000 },
  runner: '1/0.1.0',
};
const RESULT: CheckResult = { name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 1234, output: '9 passing\n3 failing', counts: { passed: 9, failed: 3, skipped: 0 }, outputHash: `sha256:${'5'.repeat(64)}`, phase: 'base', commit: 'b'.repeat(40), treeId: 'a'.repeat(40) };

describe('checks/reuse: a base\'s check results kept for later tasks', () => {
  let db: Db;
  let now = 1_000_000;
  const store = (o: { enabled?: boolean; maxAgeMs?: number } = {}) => new CheckReuse(db, { enabled: o.enabled ?? true, maxAgeMs: o.maxAgeMs ?? 24 * 3600_000, now: () => now });
  beforeEach(() => {
    db = openDatabase(path.join(tempDir('pp-reuse-'), 'pushpals.db'));
    now = 1_000_000;
  });
  afterEach(() => {
    db.close();
    removeTempDirs();
  });

  it('the key changes with every part: tree, command, runner, name, settings, set-up, image id, limits, runner version, repository', () => {
    const base = checkKey(PARTS);
    assert.equal(checkKey(structuredClone(PARTS)), base, 'the same parts: the same key');
    const variants: Array<[string, CheckKeyParts]> = [
      ['tree', { ...PARTS, treeId: 'c'.repeat(40) }],
      ['command', { ...PARTS, check: { ...PARTS.check, command: 'npm test -- --bail' } }],
      ['runner', { ...PARTS, check: { ...PARTS.check, runner: 'jest' } }],
      ['no runner', { ...PARTS, check: { name: 'test', command: 'npm test' } }],
      ['name', { ...PARTS, check: { ...PARTS.check, name: 'unit' } }],
      ['settings', { ...PARTS, settings: { ...(PARTS.settings as object), egress: { allow: ['npm.corp.example'] } } }],
      ['set-up plan', { ...PARTS, setup: [{ kind: 'node', commands: ['npm install'] }] }],
      ['image id', { ...PARTS, sandbox: { ...(PARTS.sandbox as object), imageId: 'sha256:2222' } }],
      ['limits', { ...PARTS, sandbox: { ...(PARTS.sandbox as object), commandTimeoutMs: 60000 } }],
      ['runner version', { ...PARTS, runner: '2/0.1.0' }],
      ['repository', { ...PARTS, repoId: 'r2' }],
    ];
    const keys = new Set([base]);
    for (const [what, parts] of variants) {
      const k = checkKey(parts);
      assert.ok(!keys.has(k), `${what}: the key did not change`);
      keys.add(k);
    }
  });

  it('a kept result is found under its key only, with the task and audit row that ran it; phase, commit and ticket are not part of it', () => {
    const s = store();
    s.remember(checkKey(PARTS), { repoId: 'r1', treeId: PARTS.treeId, result: { ...RESULT, ticketId: 'k1' }, taskId: 't1', auditSeq: 42 });
    const found = s.find(checkKey(PARTS));
    assert.ok(found);
    assert.deepEqual([found.taskId, found.auditSeq, found.ranAt], ['t1', 42, now]);
    const { phase: _p, commit: _c, ...stored } = RESULT;
    assert.deepEqual(found.result, stored);
    assert.equal(s.find(checkKey({ ...PARTS, treeId: 'c'.repeat(40) })), undefined);
    assert.equal(s.find(checkKey({ ...PARTS, sandbox: { imageId: 'sha256:2222' } })), undefined);
  });

  it('expires: found up to its age, not after; expired rows are dropped when another is kept', () => {
    const s = store({ maxAgeMs: 3600_000 });
    s.remember(checkKey(PARTS), { repoId: 'r1', treeId: PARTS.treeId, result: RESULT, taskId: 't1', auditSeq: 1 });
    now += 3600_000;
    assert.ok(s.find(checkKey(PARTS)), 'exactly at its age: still reused');
    now += 1;
    assert.equal(s.find(checkKey(PARTS)), undefined, 'older: run again');
    s.remember(checkKey({ ...PARTS, treeId: 'c'.repeat(40) }), { repoId: 'r1', treeId: 'c'.repeat(40), result: RESULT, taskId: 't2', auditSeq: 2 });
    assert.deepEqual(db.prepare('SELECT task_id FROM check_reuse').pluck().all(), ['t2']);
  });

  it('off (checks.reuseBase false): nothing kept, nothing found', () => {
    store().remember(checkKey(PARTS), { repoId: 'r1', treeId: PARTS.treeId, result: RESULT, taskId: 't1', auditSeq: 1 });
    const off = store({ enabled: false });
    assert.equal(off.enabled, false);
    assert.equal(off.find(checkKey(PARTS)), undefined);
    off.remember(checkKey({ ...PARTS, treeId: 'c'.repeat(40) }), { repoId: 'r1', treeId: 'c'.repeat(40), result: RESULT, taskId: 't2', auditSeq: 2 });
    assert.equal(db.prepare('SELECT COUNT(*) FROM check_reuse').pluck().get(), 1);
  });

  it('keeps only what ran: an error (a set-up that failed, a denied approval) or a reused result is not kept', () => {
    const s = store();
    s.remember(checkKey(PARTS), { repoId: 'r1', treeId: PARTS.treeId, result: { ...RESULT, status: 'error' }, taskId: 't1', auditSeq: 1 });
    s.remember(checkKey(PARTS), { repoId: 'r1', treeId: PARTS.treeId, result: { ...RESULT, reusedFrom: { taskId: 't0', at: new Date(0).toISOString() } }, taskId: 't1', auditSeq: 1 });
    assert.equal(s.find(checkKey(PARTS)), undefined);
    s.remember(checkKey(PARTS), { repoId: 'r1', treeId: PARTS.treeId, result: { ...RESULT, status: 'passed' }, taskId: 't1', auditSeq: 1 });
    assert.equal(s.find(checkKey(PARTS))?.result.status, 'passed');
  });
});
