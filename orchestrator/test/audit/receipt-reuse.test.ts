/**
 * A receipt of a task whose base checks were reused from another task: it lists the ORIGINAL
 * `check_run` row (the other task's), marked `reusedFrom`, and verifies; a receipt that drops the mark,
 * or names a reused row its task never reused, fails even re-signed; a `check_reused` row naming a row
 * whose hash differs binds nothing. Real SQLite, real Ed25519 keys, the shapes checks/run.ts writes.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Receipt } from '@pushpals/protocol';
import { AuditLog, buildReceipt, loadOrCreateSigner, loadTrustedPublicKey, receiptSignedBytes, sha256Ref, verifyReceipt, type AuditRecord } from '../../src/audit';
import { openDatabase, type Db } from '../../src/store/db';
import { removeTempDirs, tempDir } from '../helpers/temp';

const BASE = 'b'.repeat(40);
const BASE_TREE = 'a'.repeat(40);
const TREE = 'e'.repeat(39) + '1';
const DIFF = '--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-x\n+y\n';

describe('audit receipts: a base check reused from another task binds to the row that ran it', () => {
  let dir: string;
  let db: Db;
  let audit: AuditLog;
  let original: AuditRecord;
  let combined: AuditRecord;

  const checkData = (taskId: string, phase: string, treeId: string) => ({ name: 'test', command: 'npm test', status: 'failed', exitCode: 1, durationMs: 900, counts: { passed: 9, failed: 3, skipped: 0 }, outputHash: sha256Ref(`${phase}-${taskId}`), phase, commit: BASE, treeId, repoId: 'r1' });
  const reusedRow = (taskId: string, from: AuditRecord, hash = from.hash) =>
    audit.append({ taskId, actor: 'worker:builtin', action: 'check_reused', command: 'npm test', exitCode: 1, data: { ...checkData(from.taskId!, 'base', BASE_TREE), outputHash: sha256Ref(`base-${from.taskId}`), reusedFrom: { taskId: from.taskId, at: from.ts, seq: from.seq, hash } } });

  beforeEach(() => {
    dir = tempDir('pp-receipt-reuse-');
    db = openDatabase(path.join(dir, 'pushpals.db'));
    audit = new AuditLog(db);
    original = audit.append({ taskId: 't1', actor: 'worker:builtin', action: 'check_run', command: 'npm test', exitCode: 1, durationMs: 900, data: checkData('t1', 'base', BASE_TREE) });
    audit.append({ taskId: 't1', actor: 'worker:builtin', action: 'diff_proposed', stdout: DIFF, data: { files: ['a.js'], hunks: ['h1'], baseCommit: BASE, diffHash: sha256Ref(DIFF), evidence: { treeId: 'f'.repeat(40), checks: [] } } });
    combined = audit.append({ taskId: 't2', actor: 'worker:builtin', action: 'check_run', command: 'npm test', exitCode: 0, durationMs: 800, data: { ...checkData('t2', 'combined', TREE), status: 'passed', exitCode: 0 } });
  });
  afterEach(() => {
    db.close();
    removeTempDirs();
  });

  const propose = () => audit.append({ taskId: 't2', actor: 'worker:builtin', action: 'diff_proposed', stdout: DIFF, data: { files: ['a.js'], hunks: ['h1'], baseCommit: BASE, diffHash: sha256Ref(DIFF), evidence: { treeId: TREE, checks: [] } } });
  const receipt = (): Receipt => buildReceipt(audit, loadOrCreateSigner(dir), 't2', 'r1');
  const failures = (value: unknown): string[] => {
    const v = verifyReceipt(value, audit, loadTrustedPublicKey(dir)!);
    return v.ok ? [] : v.failures;
  };
  const resign = (r: Receipt): Receipt => ({ ...r, sig: loadOrCreateSigner(dir).signBytes(receiptSignedBytes(r)) });

  it('lists the original check_run row of the task that ran it, marked reusedFrom; verifies', () => {
    reusedRow('t2', original);
    propose();
    const r = receipt();
    assert.deepEqual(r.checks.map((c) => [c.row.seq, c.phase, c.reusedFrom]), [
      [original.seq, 'base', { taskId: 't1', at: original.ts }],
      [combined.seq, 'combined', undefined],
    ]);
    assert.equal(r.checks[0]!.row.hash, original.hash);
    assert.deepEqual(failures(r), []);
    // No second check_run row was written for t2's base.
    assert.equal([...audit.records('t2')].filter((x) => x.action === 'check_run' && x.data?.includes('"phase":"base"')).length, 0);
  });

  it('re-signed without the mark (the check passed off as run by this task), or with a reused row this task never reused: fails', () => {
    reusedRow('t2', original);
    propose();
    const unmarked = structuredClone(receipt());
    delete unmarked.checks[0]!.reusedFrom;
    const f1 = failures(resign(unmarked));
    assert.ok(f1.some((f) => /row #\d+ is a check_run row of t1, not a check_run row of t2/.test(f)), f1.join('\n'));
    assert.ok(f1.some((f) => /^selection: the receipt lists check rows/.test(f)), f1.join('\n'));

    // A task that did not reuse it: a receipt naming t1's row for it fails the selection.
    const other = structuredClone(receipt());
    other.checks = other.checks.filter((c) => c.phase === 'combined');
    assert.ok(failures(resign(other)).some((f) => /^selection: /.test(f)));
  });

  it('a check_reused row naming a row by the wrong hash binds nothing (not listed)', () => {
    reusedRow('t2', original, '0'.repeat(64));
    propose();
    const r = receipt();
    assert.deepEqual(r.checks.map((c) => c.row.seq), [combined.seq]);
    assert.deepEqual(failures(r), []);
  });
});
