/**
 * Receipts against a real SQLite trail and real Ed25519 keys: a receipt verifies; changing any byte
 * of its content fails; a field edited and re-signed with the orchestrator's own key still fails (the
 * rows disagree); an audit row it names, rewritten with the chain recomputed, fails; a receipt signed
 * with another key fails, whatever key it embeds; one that leaves out a failing check fails. The trail
 * is written with the shapes the orchestrator writes (diff_proposed, check_run, commit) and the real
 * ApprovalService for the decision row.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Receipt } from '@pushpals/protocol';
import { ApprovalService } from '../../src/approvals/approvals';
import { AuditLog, buildReceipt, loadOrCreateSigner, loadTrustedPublicKey, receiptSignedBytes, sha256Ref, verifyReceipt } from '../../src/audit';
import { main } from '../../src/cli';
import { EventLog } from '../../src/events/event-log';
import { grantAutoApprover } from '../../src/grants/auto-approve';
import { GrantStore } from '../../src/grants/grant-store';
import { openDatabase, type Db } from '../../src/store/db';
import { systemClock } from '../../src/util/clock';
import { rewriteRowWithRecomputedChain } from '../helpers/audit-tamper';
import { removeTempDirs, tempDir } from '../helpers/temp';

const BASE = 'b'.repeat(40);
const TREE = 'e'.repeat(39) + '1';
const SHA = 'c'.repeat(39) + '2';
const COMMIT_TREE = 'd'.repeat(39) + '3';
const DIFF = '--- a/a.js\n+++ b/a.js\n@@ -1 +1 @@\n-x\n+y\n';
const hashOf = (s: string): string => sha256Ref(s);

describe('audit receipts: cut from the trail, signed, checked against the trail', () => {
  let dir: string;
  let db: Db;
  let audit: AuditLog;
  let seqs: Record<string, number>;

  const check = (name: string, phase: string, commit: string, treeId: string, status: string, counts: object | undefined, exitCode: number) => ({
    taskId: 't1',
    actor: 'worker:builtin',
    action: 'check_run',
    command: `npm run ${name}`,
    exitCode,
    durationMs: 120,
    data: { name, command: `npm run ${name}`, status, exitCode, durationMs: 120, ...(counts ? { counts } : {}), outputHash: hashOf(`${name}-${phase}-${status}`), phase, commit, treeId, repoId: 'r1' },
  });

  beforeEach(() => {
    dir = tempDir('pp-receipt-');
    db = openDatabase(path.join(dir, 'pushpals.db'));
    audit = new AuditLog(db);
    db.prepare(`INSERT INTO sessions (id, created_at, last_seen_at) VALUES ('s1', 0, 0)`).run();
    db.prepare(`INSERT INTO tasks (id, session_id, title, request, state, repo_id, created_at, updated_at) VALUES ('t1', 's1', 'fix it', 'fix it', 'completed', 'r1', 0, 0)`).run();
    const approvals = new ApprovalService(db, new EventLog(db, systemClock), systemClock, { timeoutMs: 0, audit });
    seqs = {};
    audit.append({ taskId: 't0', actor: 'worker:1', action: 'command', command: 'echo other task' });
    seqs.base = audit.append(check('test', 'base', BASE, 'a'.repeat(40), 'failed', { passed: 9, failed: 3, skipped: 1 }, 1)).seq;
    seqs.combined = audit.append(check('test', 'combined', SHA, TREE, 'passed', { passed: 12, failed: 0, skipped: 1 }, 0)).seq;
    seqs.lint = audit.append(check('lint', 'combined', SHA, TREE, 'passed', undefined, 0)).seq;
    audit.append(check('test', 'ticket', 'f'.repeat(40), 'f'.repeat(40), 'passed', undefined, 0)); // another tree: not in the receipt
    seqs.diff = audit.append({ taskId: 't1', actor: 'worker:builtin', action: 'diff_proposed', stdout: DIFF, data: { files: ['a.js'], hunks: ['h1', 'h2'], baseCommit: BASE, diffHash: hashOf(DIFF), evidence: { treeId: TREE, checks: [] } } }).seq;
    const { approval } = approvals.request({ taskId: 't1', kind: 'commit', title: 'Commit', reason: 'r', risk: 'low' });
    approvals.decide(approval.id, 'approve', 'extension');
    seqs.commitCheck = audit.append(check('test', 'commit', SHA, COMMIT_TREE, 'passed', { passed: 11, failed: 0, skipped: 2 }, 0)).seq;
    seqs.commit = audit.append({ taskId: 't1', actor: 'extension', action: 'commit', approvalId: approval.id, stdout: DIFF, data: { sha: SHA, branch: 'pushpals/t1', base: BASE } }).seq;
    audit.append({ taskId: 't0', actor: 'worker:1', action: 'command', command: 'echo later' });
  });
  afterEach(() => {
    if (db.open) db.close();
    removeTempDirs();
  });

  const trusted = () => loadTrustedPublicKey(dir)!;
  const receipt = (): Receipt => buildReceipt(audit, loadOrCreateSigner(dir), 't1', 'r1');
  const failures = (value: unknown): string[] => {
    const v = verifyReceipt(value, audit, trusted());
    return v.ok ? [] : v.failures;
  };
  const resign = (r: Receipt): Receipt => ({ ...r, sig: loadOrCreateSigner(dir).signBytes(receiptSignedBytes(r)) });
  const cli = async (...args: string[]): Promise<{ code: number; out: string }> => {
    const lines: string[] = [];
    const code = await main(['audit', ...args, '--data-dir', dir], { out: (s) => lines.push(s), env: {} });
    return { code, out: lines.join('\n') };
  };

  it('lists the latest diff, the checks bound to its tree, its base and the committed commit, the decided approval and the commit, each with its row', () => {
    const r = receipt();
    assert.equal(r.format, 'pushpals-receipt/1');
    assert.deepEqual([r.taskId, r.repoId, r.baseCommit, r.treeId], ['t1', 'r1', BASE, TREE]);
    assert.deepEqual(r.diff, { hash: hashOf(DIFF), files: 1, hunks: 2, row: { seq: seqs.diff, hash: audit.record(seqs.diff!)!.hash } });
    assert.deepEqual(r.checks.map((c) => [c.row.seq, c.name, c.phase, c.counts]), [
      [seqs.base, 'test', 'base', { passed: 9, failed: 3, skipped: 1 }],
      [seqs.combined, 'test', 'combined', { passed: 12, failed: 0, skipped: 1 }],
      [seqs.lint, 'lint', 'combined', null],
      [seqs.commitCheck, 'test', 'commit', { passed: 11, failed: 0, skipped: 2 }],
    ]);
    assert.equal(r.approvals.length, 1);
    assert.deepEqual([r.approvals[0]!.kind, r.approvals[0]!.state, r.approvals[0]!.decidedBy], ['commit', 'approved', 'extension']);
    assert.deepEqual(r.commit, { sha: SHA, branch: 'pushpals/t1', row: { seq: seqs.commit, hash: audit.record(seqs.commit!)!.hash } });
    assert.deepEqual(r.auditHead, audit.head());
    assert.deepEqual(failures(r), []);
  });

  it('the CLI writes it and verifies it (exit 0); re-indenting the file changes nothing the signature covers', async () => {
    const file = path.join(dir, 'receipt.json');
    const made = await cli('receipt', '--task', 't1', '--out', file);
    assert.equal(made.code, 0, made.out);
    const ok = await cli('verify-receipt', file);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /^receipt OK: task t1, signed by ed25519:[0-9a-f]{16}, head #\d+; .*4 check\(s\) \(3 passed\), 1 approval\(s\), commit cccccccccccc/);
    fs.writeFileSync(file, JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8'))));
    assert.equal((await cli('verify-receipt', file)).code, 0);
    assert.equal((await cli('receipt')).code, 2, 'no --task: a usage error');
    assert.equal((await cli('receipt', '--task', 't0')).code, 1, 'a task without a proposed diff: no receipt');
  });

  it('changing any byte of its content (every character inside a string or number) fails verification', () => {
    const text = JSON.stringify(receipt(), null, 2);
    // Positions inside JSON strings and numbers: every byte a value is made of.
    const positions: number[] = [];
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
        else positions.push(i);
      } else if (ch === '"') inString = true;
      else if (/[0-9]/.test(ch)) positions.push(i);
    }
    assert.ok(positions.length > 1000, `${positions.length} positions`);
    const other = (ch: string): string => (/[0-9]/.test(ch) ? String((Number(ch) + 1) % 10) : /[a-f]/.test(ch) ? (ch === 'a' ? 'b' : 'a') : /[a-z]/.test(ch) ? (ch === 'z' ? 'y' : 'z') : /[A-Z]/.test(ch) ? (ch === 'Z' ? 'Y' : 'Z') : ch === ' ' ? '_' : ' ');
    let accepted = 0;
    for (const i of positions) {
      const edited = text.slice(0, i) + other(text[i]!) + text.slice(i + 1);
      let value: unknown;
      try {
        value = JSON.parse(edited);
      } catch {
        continue; // not JSON any more: the CLI refuses it before anything else
      }
      if (failures(value).length === 0) accepted++;
    }
    assert.equal(accepted, 0);
  });

  it('a field edited and re-signed with the orchestrator\'s own key still fails: the row it names says otherwise', () => {
    const cases: Array<[string, (r: Receipt) => void, RegExp]> = [
      ['a count', (r) => (r.checks[1]!.counts = { passed: 13, failed: 0, skipped: 1 }), /check "test" \(combined\): counts is .*"passed":13.* in the receipt but .*"passed":12.* in row #/],
      ['the output hash', (r) => (r.checks[3]!.outputHash = hashOf('other output')), /check "test" \(commit\): outputHash is/],
      ['the tree id', (r) => (r.treeId = 'e'.repeat(40)), /diff: treeId is "e{40}" in the receipt but "e{39}1"/],
      ['a check\'s tree id', (r) => (r.checks[1]!.treeId = 'e'.repeat(40)), /check "test" \(combined\): treeId is/],
      ['a row hash', (r) => (r.checks[0]!.row.hash = '0'.repeat(64)), /check "test" \(base\): row #\d+ has hash .* the receipt says 0000000000000000/],
      ['whitespace inside a string', (r) => (r.checks[2]!.command = 'npm run  lint'), /check "lint" \(combined\): command is "npm run  lint" in the receipt but "npm run lint"/],
      ['a status', (r) => (r.checks[0]!.status = 'passed'), /check "test" \(base\): status is "passed" in the receipt but "failed"/],
      ['who approved', (r) => (r.approvals[0]!.decidedBy = 'someone-else'), /approval ap_.*: decidedBy is "someone-else"/],
      ['the commit', (r) => (r.commit!.sha = 'c'.repeat(40)), /commit: sha is "c{40}"/],
      ['the diff hash', (r) => (r.diff.hash = hashOf('another diff')), /diff: hash is/],
      ['a check left out', (r) => r.checks.splice(0, 1), /selection: the receipt lists check rows \[\d+,\d+,\d+\], the trail at head #\d+ has \[\d+,\d+,\d+,\d+\]/],
      ['another task\'s row', (r) => (r.checks[2]!.row = { seq: 1, hash: audit.record(1)!.hash }), /row #1 is a command row of t0, not a check_run row of t1/],
    ];
    for (const [what, edit, expected] of cases) {
      const r = structuredClone(receipt());
      edit(r);
      const f = failures(resign(r));
      assert.ok(f.some((x) => expected.test(x)), `${what}: ${JSON.stringify(f)}`);
      assert.ok(!f.some((x) => x.startsWith('signature')), `${what}: re-signed with the right key, the signature itself is fine`);
    }
  });

  it('an audit row it names, rewritten with the chain and anchor recomputed, fails (the CLI exits 3 and names the row)', async () => {
    const file = path.join(dir, 'receipt.json');
    assert.equal((await cli('receipt', '--task', 't1', '--out', file)).code, 0);
    const row = audit.record(seqs.combined!)!;
    rewriteRowWithRecomputedChain(db, row.seq, 'data', row.data!.replace('"passed":12', '"passed":13'));
    assert.equal(audit.verify().ok, true, 'the bare chain verifies again after the rewrite');
    const r = await cli('verify-receipt', file);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /^receipt REJECTED/);
    assert.match(r.out, new RegExp(`check "test" \\(combined\\): row #${row.seq} has hash`));
    assert.match(r.out, /audit chain: TAMPERED at entry #\d+: row \d+ differs from the externally recorded head/);
  });

  it('a receipt signed with another key fails, whether it names that key or the orchestrator\'s', () => {
    const mine = receipt();
    const otherDir = tempDir('pp-receipt-other-');
    const foreign = buildReceipt(audit, loadOrCreateSigner(otherDir), 't1', 'r1');
    assert.ok(failures(foreign).some((f) => /^signature: the receipt names key ed25519:[0-9a-f]{16}, but the orchestrator's key is .*signed by another key/.test(f)));
    const forged = { ...foreign, key: mine.key };
    assert.ok(failures(forged).some((f) => /^signature: does not match the receipt's content/.test(f)));
    assert.deepEqual(failures(mine), []);
  });

  it('an approval an auto-commit grant decided is listed from its approval_granted row, decided by the grant', () => {
    const events = new EventLog(db, systemClock);
    const grants = new GrantStore({ db, events, clock: systemClock });
    const approvals = new ApprovalService(db, events, systemClock, { timeoutMs: 0, audit });
    approvals.setAutoApprover(grantAutoApprover(grants, audit));
    const grant = grants.add({ taskId: 't1', actions: ['commit'], createdBy: 'extension' });
    const { approval } = approvals.request({ taskId: 't1', kind: 'commit', title: 'Commit again', reason: 'r', risk: 'low' });
    assert.equal(approval.state, 'approved');
    const r = receipt();
    assert.deepEqual(r.approvals.map((a) => [a.kind, a.state, a.decidedBy]), [['commit', 'approved', 'extension'], ['commit', 'approved', `grant:${grant.id}`]]);
    assert.deepEqual(failures(r), []);
    const edited = structuredClone(r);
    edited.approvals[1]!.decidedBy = 'extension';
    assert.ok(failures(resign(edited)).some((f) => /decidedBy is "extension" in the receipt but "grant:gr_/.test(f)));
  });

  it('names the problem with a malformed receipt', () => {
    assert.deepEqual(failures({ format: 'x' }), [failures({ format: 'x' })[0]]);
    assert.match(failures({ format: 'x' })[0]!, /^not a receipt: /);
    const r = receipt() as unknown as Record<string, unknown>;
    assert.match(failures({ ...r, extra: 1 })[0]!, /^not a receipt: /);
  });
});
