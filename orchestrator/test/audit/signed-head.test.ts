/**
 * The limit of a bare hash chain, and what closes it: someone who can write the DB file rewrites a
 * row and recomputes every later hash and the anchor, or cuts the tail and moves the anchor back —
 * `verify()` alone passes. A head signed with the data dir's key and kept elsewhere catches both;
 * a forged or edited head is rejected. Real SQLite files, triggers dropped as an attacker would.
 */
import * as assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AUDIT_HEAD_FILE, AuditHeadPublisher, AuditLog, canonicalJson, loadOrCreateSigner, loadTrustedPublicKey, rowHash, verifySignedHead, type AuditEntryInput, type SignedHead } from '../../src/audit';
import { keyIdOf, rawPublicKey } from '../../src/audit/head-signing';
import { main } from '../../src/cli';
import { createLogger } from '../../src/log';
import { openDatabase, type Db } from '../../src/store/db';
import { removeTempDirs, startApp, tempDir } from '../helpers/env';

const entry = (i: number): AuditEntryInput => ({ taskId: 't1', actor: 'worker:1', action: 'command', command: `echo ${i}`, exitCode: 0, stdout: `out ${i}` });

const dropTriggers = (db: Db): void => {
  for (const t of ['audit_log_no_update', 'audit_log_no_delete', 'audit_head_no_delete', 'audit_head_forward_only']) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
};

interface RawRow {
  seq: number;
  prev_hash: string;
  hash: string;
  [k: string]: unknown;
}

/** The attack: change row `seq`'s stdout, recompute the hash of it and every later row, move the anchor. */
function rewriteWithRecomputedChain(db: Db, seq: number, stdout: string): void {
  dropTriggers(db);
  db.prepare('UPDATE audit_log SET stdout = ? WHERE seq = ?').run(stdout, seq);
  const rows = db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq').all(seq) as RawRow[];
  let prev = (db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq - 1) as string | undefined) ?? '0'.repeat(64);
  for (const r of rows) {
    const h = rowHash({ ...r, prev_hash: prev } as unknown as Parameters<typeof rowHash>[0]);
    db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, h, r.seq);
    prev = h;
  }
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(rows[rows.length - 1]!.seq, prev);
}

/** The other attack: delete the last rows and move the anchor back to the new end. */
function truncateWithMovedAnchor(db: Db, keep: number): void {
  dropTriggers(db);
  db.prepare('DELETE FROM audit_log WHERE seq > ?').run(keep);
  const last = db.prepare('SELECT seq, hash FROM audit_log WHERE seq = ?').get(keep) as { seq: number; hash: string };
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(last.seq, last.hash);
}

describe('audit: signed heads against a rewritten DB', () => {
  let dir: string;
  let dbFile: string;
  let db: Db;
  let log: AuditLog;
  let lines: string[];
  const cli = async (...args: string[]): Promise<{ code: number; out: string }> => {
    lines = [];
    const code = await main(['audit', ...args, '--data-dir', dir], { out: (s) => lines.push(s), env: {} });
    return { code, out: lines.join('\n') };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-audit-head-'));
    dbFile = path.join(dir, 'pushpals.db');
    db = openDatabase(dbFile);
    log = new AuditLog(db);
    log.appendBatch([1, 2, 3, 4, 5, 6].map(entry));
  });
  afterEach(() => {
    if (db.open) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the signing key is created 0600 on first use, its public key is written next to it, and heads verify with only the public key', () => {
    const signer = loadOrCreateSigner(dir);
    assert.equal(fs.statSync(path.join(dir, 'audit-signing-key')).mode & 0o777, 0o600);
    const head = signer.sign(log.head());
    assert.deepEqual(verifySignedHead(head, loadTrustedPublicKey(dir)!), log.head());
    // Only the public key, elsewhere: a copy of the .pub file, or the raw key in the head itself once trusted.
    const pubCopy = path.join(dir, 'elsewhere.pub');
    fs.copyFileSync(path.join(dir, 'audit-signing-key.pub'), pubCopy);
    fs.rmSync(path.join(dir, 'audit-signing-key'));
    fs.rmSync(path.join(dir, 'audit-signing-key.pub'));
    assert.deepEqual(verifySignedHead(head, loadTrustedPublicKey(dir, pubCopy)!), log.head());
    assert.deepEqual(verifySignedHead(head, loadTrustedPublicKey(dir, head.publicKey)!), log.head());
    assert.equal(loadOrCreateSigner(dir).keyId === head.keyId, false, 'a new key is a new identity');
  });

  it('a row rewritten with a recomputed chain and anchor passes verify() alone, and is caught by a head recorded elsewhere', async () => {
    const signed = loadOrCreateSigner(dir).sign(log.head());
    const kept = path.join(dir, 'kept-elsewhere.json');
    fs.writeFileSync(kept, JSON.stringify(signed));
    rewriteWithRecomputedChain(db, 3, 'nothing to see here');

    assert.equal(log.verify().ok, true, 'the documented limit: a recomputed chain verifies on its own');
    const r = log.verify({ seq: signed.seq, hash: signed.hash });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.seq, 6);
    assert.match(!r.ok ? r.reason : '', /differs from the externally recorded head/);

    db.close();
    const viaFile = await cli('verify', '--expect', kept);
    assert.equal(viaFile.code, 3, viaFile.out);
    assert.match(viaFile.out, /TAMPERED at entry #6/);
    const viaSeqHash = await cli('verify', '--expect', `${signed.seq}:${signed.hash}`);
    assert.equal(viaSeqHash.code, 3, viaSeqHash.out);
    assert.equal((await cli('verify')).code, 0, 'without a head kept elsewhere nothing can tell');
  });

  it('a tail cut with the anchor moved back passes verify() alone, and is caught by a head recorded elsewhere', async () => {
    const signed = loadOrCreateSigner(dir).sign(log.head());
    truncateWithMovedAnchor(db, 4);
    assert.equal(log.verify().ok, true, 'the documented limit');
    const r = log.verify({ seq: signed.seq, hash: signed.hash });
    assert.deepEqual(r, { ok: false, seq: 5, reason: 'rows 5..6 recorded externally are missing (the tail was deleted)' });
    db.close();
    const c = await cli('verify', '--expect', JSON.stringify(signed));
    assert.equal(c.code, 3, c.out);
    assert.match(c.out, /rows 5\.\.6 recorded externally are missing/);
  });

  it('an edited head file and a head forged with another key are rejected', async () => {
    const signed = loadOrCreateSigner(dir).sign(log.head());
    const trusted = loadTrustedPublicKey(dir)!;
    // Edited: an attacker who rewrote the chain moves the recorded head to their new hash.
    rewriteWithRecomputedChain(db, 2, 'forged');
    const edited: SignedHead = { ...signed, hash: log.head().hash };
    assert.throws(() => verifySignedHead(edited, trusted), /signature does not match/);
    assert.throws(() => verifySignedHead({ ...signed, seq: 4 }, trusted), /signature does not match/);
    // Forged: a self-consistent head signed with the attacker's own key.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = rawPublicKey(publicKey);
    const body = { format: signed.format, seq: 6, hash: log.head().hash, signedAt: new Date().toISOString(), keyId: keyIdOf(raw) };
    const forged: SignedHead = { ...body, publicKey: raw, sig: sign(null, Buffer.from(canonicalJson(body)), privateKey).toString('base64url') };
    assert.throws(() => verifySignedHead(forged, trusted), /signed by another key/);
    // ... even when it claims the trusted key id and public key.
    assert.throws(() => verifySignedHead({ ...forged, keyId: signed.keyId, publicKey: signed.publicKey }, trusted), /signature does not match/);
    assert.throws(() => verifySignedHead({ ...signed, format: 'x' }, trusted), /not a signed audit head/);

    db.close();
    const file = path.join(dir, 'edited.json');
    fs.writeFileSync(file, JSON.stringify(edited));
    const c = await cli('verify', '--expect', file);
    assert.equal(c.code, 3, c.out);
    assert.match(c.out, /REJECTED: .*edited\.json: the head's signature does not match/);
    fs.writeFileSync(file, JSON.stringify(forged));
    assert.match((await cli('verify', '--expect', file)).out, /REJECTED: .*signed by another key/);
  });

  it('the publisher writes audit-head.json, checks what was appended since, and refuses to sign a rewritten or cut chain', async () => {
    const logLines: string[] = [];
    const logger = createLogger('info', { write: (l) => logLines.push(l) });
    const pub = new AuditHeadPublisher({ dataDir: dir, db, logger });
    const first = await pub.publish();
    assert.equal(first?.seq, 6);
    const file = path.join(dir, AUDIT_HEAD_FILE);
    const onDisk = JSON.parse(fs.readFileSync(file, 'utf8')) as SignedHead;
    assert.deepEqual(onDisk, first);
    assert.deepEqual(verifySignedHead(onDisk, loadTrustedPublicKey(dir)!), { seq: 6, hash: log.head().hash });
    assert.ok(logLines.some((l) => l.includes(`audit head #6 ${first.hash}`)), 'published to the log');
    assert.deepEqual(pub.status(), { head: first });

    log.append(entry(7));
    assert.equal((await pub.publish())?.seq, 7, 'a moved head is published');

    rewriteWithRecomputedChain(db, 5, 'rewritten');
    log.append(entry(8)); // the writer goes on appending (triggers dropped: plain inserts still chain)
    assert.equal(await pub.publish(), undefined, 'a rewritten chain is never signed');
    assert.match(pub.status().problem ?? '', /no longer extends published head #7: row 7 differs from the head recorded earlier/);
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as SignedHead).seq, 7, 'the head file is kept as evidence');
    assert.ok(logLines.some((l) => / ERROR .*audit: the audit trail no longer extends/.test(l)));

    // A fresh publisher (a restart) reads the file, and `audit verify` uses it without being told.
    const again = new AuditHeadPublisher({ dataDir: dir, db, logger });
    assert.equal(await again.publish(), undefined);
    db.close();
    const c = await cli('verify');
    assert.equal(c.code, 3, c.out);
    assert.match(c.out, /TAMPERED at entry #7: row 7 differs from the externally recorded head/);
  });

  it('a restart with the tail cut and the anchor moved back is reported, not signed', async () => {
    const logger = createLogger('error', { write: () => undefined });
    await new AuditHeadPublisher({ dataDir: dir, db, logger }).publish();
    truncateWithMovedAnchor(db, 3);
    const pub = new AuditHeadPublisher({ dataDir: dir, db, logger });
    assert.equal(await pub.publish(), undefined);
    assert.match(pub.status().problem ?? '', /ends at row 3, but head #6 was published: rows 4\.\.6 were deleted/);
  });

  it('an edited head file is not trusted by the publisher or by verify', async () => {
    const logger = createLogger('error', { write: () => undefined });
    const h = await new AuditHeadPublisher({ dataDir: dir, db, logger }).publish();
    const file = path.join(dir, AUDIT_HEAD_FILE);
    fs.writeFileSync(file, JSON.stringify({ ...h, seq: 3 }));
    const pub = new AuditHeadPublisher({ dataDir: dir, db, logger });
    assert.equal(await pub.publish(), undefined);
    assert.match(pub.status().problem ?? '', /not a valid signed head .* kept as evidence/);
    db.close();
    const c = await cli('verify');
    assert.equal(c.code, 3);
    assert.match(c.out, /REJECTED/);
  });

  it('`audit head` prints a signed head that `audit verify --expect` accepts, and refuses to sign a broken chain', async () => {
    db.close();
    const h = await cli('head');
    assert.equal(h.code, 0, h.out);
    const head = JSON.parse(h.out) as SignedHead;
    assert.equal(head.seq, 6);
    const ok = await cli('verify', '--expect', h.out);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /extends head #6 from --expect \(signature of ed25519:[0-9a-f]{16} valid\)/);
    db = openDatabase(dbFile);
    dropTriggers(db);
    db.prepare('UPDATE audit_log SET stdout = ? WHERE seq = 2').run('edited');
    db.close();
    const refused = await cli('head');
    assert.equal(refused.code, 3);
    assert.match(refused.out, /no head signed/);
    assert.equal((await cli('verify', '--expect', 'nonsense')).code, 1, 'a bad --expect is a usage error');
  });
});

describe('audit: the running orchestrator publishes its signed head', function () {
  this.timeout(20_000);
  after(() => removeTempDirs());

  it('to /api/status and <dataDir>/audit-head.json, signed with the data dir key', async () => {
    const dataDir = tempDir();
    const app = await startApp({ dataDir });
    try {
      new AuditLog(app.services.db).append(entry(1));
      await app.services.auditHead.publish();
      const res = await fetch(`${app.url}/api/status`, { headers: { Authorization: `Bearer ${app.token}` } });
      const status = (await res.json()) as { audit: { head?: SignedHead; problem?: string } };
      assert.equal(status.audit.problem, undefined);
      assert.equal(status.audit.head?.seq, 1);
      assert.deepEqual(verifySignedHead(status.audit.head, loadTrustedPublicKey(dataDir)!), { seq: 1, hash: status.audit.head!.hash });
      assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dataDir, AUDIT_HEAD_FILE), 'utf8')), status.audit.head);
      assert.equal(fs.statSync(path.join(dataDir, 'audit-signing-key')).mode & 0o777, 0o600);
    } finally {
      await app.close();
    }
  });
});
