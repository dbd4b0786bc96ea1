import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { AuditLog, REDACTED, redactSecrets, rowHash, truncateOutput, type AuditEntryInput } from '../../src/audit';
import { openDatabase, type Db } from '../../src/store/db';
import { migration002 } from '../../src/store/migrations/002_audit';
import { ManualClock } from '../../src/util/clock';

const COLUMNS = ['ts', 'task_id', 'actor', 'action', 'command', 'cwd', 'verdict', 'approval_id', 'exit_code', 'duration_ms', 'stdout', 'stderr', 'data', 'prev_hash', 'hash'];

function entry(i: number): AuditEntryInput {
  return { taskId: `t${i % 3}`, actor: 'worker:1', action: 'command', command: `echo ${i}`, cwd: '/workspace', verdict: 'allow', approvalId: `a${i}`, exitCode: 0, durationMs: i, stdout: `out ${i}`, stderr: `err ${i}`, data: { i, tags: ['x'] } };
}

/** What an attacker with the DB file does first. */
const dropTriggers = (db: Db): void => {
  for (const t of ['audit_log_no_update', 'audit_log_no_delete', 'audit_head_no_delete', 'audit_head_forward_only']) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
};

describe('audit: AuditLog', () => {
  let dir: string;
  let db: Db;
  let log: AuditLog;
  const clock = new ManualClock();

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-audit-'));
    db = openDatabase(path.join(dir, 'db.sqlite'), [migration002]);
    log = new AuditLog(db, { clock, maxOutputBytes: 1024, secrets: ['s3cr3t-server-token'] });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('appends a hash chain and verifies it', () => {
    const a = log.append(entry(1));
    const b = log.append(entry(2));
    assert.equal(a.seq, 1);
    assert.equal(a.prevHash, '0'.repeat(64));
    assert.equal(b.prevHash, a.hash);
    assert.match(b.hash, /^[0-9a-f]{64}$/);
    assert.equal(a.ts, '2026-01-01T00:00:00.000Z');
    assert.deepEqual(log.verify(), { ok: true, count: 2, head: { seq: 2, hash: b.hash } });
    assert.deepEqual(log.head(), { seq: 2, hash: b.hash });
  });

  it('an empty log verifies', () => assert.deepEqual(log.verify(), { ok: true, count: 0, head: { seq: 0, hash: '0'.repeat(64) } }));

  it('appends a batch in one transaction (all or none)', () => {
    const recs = log.appendBatch([entry(1), entry(2), entry(3)]);
    assert.deepEqual(recs.map((r) => r.seq), [1, 2, 3]);
    assert.throws(() => log.appendBatch([entry(4), { actor: '', action: 'x' }]), /actor/);
    assert.equal(log.head().seq, 3);
    assert.equal(log.verify().ok, true);
  });

  it('triggers reject UPDATE and DELETE (defence in depth)', () => {
    log.append(entry(1));
    assert.throws(() => db.prepare("UPDATE audit_log SET stdout = 'x'").run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_log').run(), /append-only/);
    assert.throws(() => db.prepare('DELETE FROM audit_head').run(), /cannot be deleted/);
    assert.throws(() => db.prepare('UPDATE audit_head SET seq = 0').run(), /forward/);
  });

  describe('tamper detection (triggers dropped, as an attacker would)', () => {
    const N = 6;
    beforeEach(() => {
      log.appendBatch(Array.from({ length: N }, (_, i) => entry(i + 1)));
      dropTriggers(db);
    });

    for (const column of COLUMNS) {
      for (const seq of [1, 3, N]) {
        it(`detects an edit of ${column} in row ${seq}`, () => {
          const cur = db.prepare(`SELECT ${column} AS v FROM audit_log WHERE seq = ?`).get(seq) as { v: unknown };
          const next = typeof cur.v === 'number' ? cur.v + 1 : column === 'task_id' || column === 'approval_id' ? `${String(cur.v)}x` : column.endsWith('hash') ? 'f'.repeat(64) : `${String(cur.v)} `;
          db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`).run(next, seq);
          const r = log.verify();
          assert.equal(r.ok, false);
          if (!r.ok) {
            assert.equal(r.seq, seq, r.reason);
            assert.match(r.reason, new RegExp(`row ${r.seq}`));
          }
        });
      }
    }

    it('detects setting a column to NULL', () => {
      db.prepare('UPDATE audit_log SET stderr = NULL WHERE seq = 2').run();
      assert.deepEqual(log.verify(), { ok: false, seq: 2, reason: 'row 2 was edited (its columns no longer match its hash)' });
    });

    it('detects a row deleted in the middle, and names it', () => {
      db.prepare('DELETE FROM audit_log WHERE seq = 3').run();
      const r = log.verify();
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.seq, 3);
        assert.match(r.reason, /missing \(deleted\)/);
      }
    });

    it('detects a deleted first row', () => {
      db.prepare('DELETE FROM audit_log WHERE seq = 1').run();
      const r = log.verify();
      assert.ok(!r.ok && r.seq === 1);
    });

    it('detects a deleted tail (via the anchor)', () => {
      db.prepare('DELETE FROM audit_log WHERE seq >= 5').run();
      const r = log.verify();
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.seq, 5);
        assert.match(r.reason, /tail was deleted/);
      }
    });

    it('detects two rows swapped', () => {
      const r2 = db.prepare('SELECT * FROM audit_log WHERE seq = 2').get() as Record<string, unknown>;
      const r4 = db.prepare('SELECT * FROM audit_log WHERE seq = 4').get() as Record<string, unknown>;
      db.prepare('DELETE FROM audit_log WHERE seq IN (2, 4)').run();
      const ins = db.prepare(`INSERT INTO audit_log (seq, ${COLUMNS.join(', ')}) VALUES (@seq, ${COLUMNS.map((c) => `@${c}`).join(', ')})`);
      ins.run({ ...r4, seq: 2 });
      ins.run({ ...r2, seq: 4 });
      const r = log.verify();
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.seq, 2);
    });

    it('detects a row re-hashed in place (its successor no longer links)', () => {
      const row = db.prepare('SELECT * FROM audit_log WHERE seq = 3').get() as Record<string, unknown> & { prev_hash: string };
      const edited = { ...row, stdout: 'nothing to see' } as Parameters<typeof rowHash>[0];
      db.prepare('UPDATE audit_log SET stdout = ?, hash = ? WHERE seq = 3').run('nothing to see', rowHash(edited));
      const r = log.verify();
      assert.ok(!r.ok && r.seq === 4, JSON.stringify(r));
    });

    it('an external head catches a tail deleted together with the anchor', () => {
      const head = log.head();
      db.prepare('DELETE FROM audit_log WHERE seq = ?').run(N);
      const prev = db.prepare('SELECT seq, hash FROM audit_log WHERE seq = ?').get(N - 1) as { seq: number; hash: string };
      db.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(prev.seq, prev.hash);
      assert.equal(log.verify().ok, true); // the limit: an attacker who fixes the anchor too
      const r = log.verify(head);
      assert.ok(!r.ok && r.seq === N, JSON.stringify(r));
    });
  });

  it('redacts secrets in command, output and data', () => {
    const rec = log.append({
      actor: 'worker:1',
      action: 'command',
      command: 'curl -H "Authorization: Bearer abcdefghijklmnop1234" https://x',
      stdout: 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 and sk-proj-abcdefghijklmnopqrstuv and AKIAABCDEFGHIJKLMNOP\npassword=hunter22 s3cr3t-server-token',
      stderr: '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
      data: { env: { API_KEY: 'zzzzzzzzzzzz' }, note: 'uses s3cr3t-server-token' },
    });
    for (const s of ['abcdefghijklmnop1234', 'ghp_abcdef', 'sk-proj-abc', 'AKIAABCDEFGHIJKLMNOP', 'hunter22', 's3cr3t-server-token', 'MIIEow', 'zzzzzzzzzzzz']) {
      assert.ok(!JSON.stringify(rec).includes(s), `${s} leaked: ${JSON.stringify(rec)}`);
    }
    assert.ok(rec.stdout?.includes(REDACTED));
    assert.match(rec.command ?? '', /Authorization: Bearer \[REDACTED\]/);
    assert.equal(log.verify().ok, true);
  });

  it('truncates long outputs with a marker, keeping head and tail', () => {
    const big = `${'a'.repeat(5000)}THE-END`;
    const rec = log.append({ actor: 'worker:1', action: 'command', stdout: big });
    assert.ok(Buffer.byteLength(rec.stdout ?? '') < 1200);
    assert.match(rec.stdout ?? '', /\[pushpals: truncated \d+ bytes\]/);
    assert.ok(rec.stdout?.startsWith('aaaa') && rec.stdout.endsWith('THE-END'));
  });

  it('lists a task in the protocol audit_get shape and exports JSONL', async () => {
    log.appendBatch([1, 2, 3, 4, 5, 6].map(entry));
    const list = log.listForTask('t1', 10);
    assert.deepEqual(list.map((e) => e.seq), [1, 4]);
    assert.deepEqual(Object.keys(list[0] ?? {}).sort(), ['action', 'actor', 'approvalId', 'command', 'cwd', 'durationMs', 'exitCode', 'hash', 'seq', 'stderr', 'stdout', 'taskId', 'ts', 'verdict']);
    assert.deepEqual(log.listForTask('t1', 1).map((e) => e.seq), [4]);
    log.append({ actor: 'user', action: 'note' });
    assert.deepEqual(Object.keys(log.listForTask('nope')), []);
    const out = new PassThrough({ highWaterMark: 16 });
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    assert.equal(await log.exportJsonl('t2', out), 2);
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; hash: string; prevHash: string });
    assert.deepEqual(lines.map((l) => l.seq), [2, 5]);
    assert.match(lines[0]?.prevHash ?? '', /^[0-9a-f]{64}$/);
  });

  it('validates entries', () => {
    assert.throws(() => log.append({ actor: 'x', action: 'a'.repeat(65) }), /action/);
    assert.throws(() => log.append({ actor: 'x', action: 'y', taskId: 'bad id' }), /taskId/);
    assert.throws(() => log.append({ actor: 'x', action: 'y', exitCode: 1.5 }), /exitCode/);
  });
});

describe('audit: redaction and truncation helpers', () => {
  it('keeps ordinary text', () => assert.equal(redactSecrets('npm test passed: 12 tests, token count 5'), 'npm test passed: 12 tests, token count 5'));
  it('redacts credentials in URLs', () => assert.equal(redactSecrets('https://bob:pa55word@github.com/x.git'), `https://bob:${REDACTED}@github.com/x.git`));
  it('redacts JSON secrets (the quotes stay: the JSON stays valid)', () => assert.equal(redactSecrets('{"token": "abc123456"}'), `{"token": "${REDACTED}"}`));
  it('truncation never splits a UTF-8 character', () => {
    const t = truncateOutput('é'.repeat(1000), 101);
    assert.ok(!t.includes('\uFFFD'));
  });
});
