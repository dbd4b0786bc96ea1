/**
 * A receipt from a real run: the real orchestrator on port 0, a real Docker sandbox, a real git fixture,
 * the scripted model playing the coding agent. A two-file diff, one hunk rejected → the commit approval
 * → the checks run on the committed tree (phase commit) → committed. `receipt_get` returns the signed
 * receipt; the real CLI (`pushpals audit verify-receipt`, its own process) accepts it, and rejects it
 * (exit 3, naming what failed) after any of several edits, when signed with another key, and — on a
 * copy of the data dir — after the check's audit row was rewritten with the chain recomputed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildReceipt, loadOrCreateSigner, AuditLog } from '@pushpals/orchestrator/dist/src/audit';
import { openDatabase } from '@pushpals/orchestrator/dist/src/store/db';
import { rewriteRowWithRecomputedChain } from '@pushpals/orchestrator/dist/test/helpers/audit-tamper';
import type { EventMessage, EventPayload, Receipt } from '@pushpals/protocol';
import { makeFixtureRepo, ModelSuiteSession, runCliAsync, tempDir } from '../helpers/e2e-env';
import { trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-receipt-key-7c1d9e2f4a6b8c0d';
const README = ['# Receipt demo', '', 'Teh first paragraph.', '', ...Array.from({ length: 12 }, (_, i) => `Line ${i + 1}.`), '', 'The last paragraph: recieve.', ''].join('\n');
const CONFIG = "module.exports = { retries: 1 };\n";
const CONFIG_NEW = "module.exports = { retries: 3 };\n";
const TEST_SCRIPT = `node -e "const c = require('./src/config.js'); if (!c.retries) process.exit(1); console.log('config ok', c.retries)"`;

describe('receipt of a real review → commit (real Docker, real git, the real CLI)', function () {
  this.timeout(240_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let receipt: Receipt;
  let taskId = '';
  let check: EventMessage<'check_result'>;

  const verify = async (value: unknown, dir = s.dataDir()): Promise<{ status: number | null; out: string }> => {
    const file = join(tempDir('pushpals-e2e-receipt-file-'), 'receipt.json');
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    const r = await runCliAsync(dir, ['audit', 'verify-receipt', file]);
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };

  before(async function () {
    await s.open('pushpals-e2e-receipt-', { key: KEY, sessionId: 's-receipt' });
    const repoDir = makeFixtureRepo({ testScript: TEST_SCRIPT, files: { 'README.md': README, 'src/config.js': CONFIG } });
    const repoId = (await c().send('repo_add', { source: repoDir })).repoId;

    const request = 'Polish the docs and raise the retries';
    m().script(request, [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'README.md', content: README.replace('Teh first', 'The first').replace('recieve', 'receive') } }] },
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/config.js', content: CONFIG_NEW } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
    ]);
    taskId = (await c().send('task_new', { request, repoId })).taskId;
    const end = await waitTerminal(c(), taskId, 120_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    const diff = (await c().waitFor('diff_ready', (p) => p.taskId === taskId)).payload;
    const [top, bottom, config] = diff.hunks.map((h) => h.hunkId) as [string, string, string];
    const before = c().events.at(-1)?.seq ?? 0;
    await c().send('hunk_decide', { taskId, hunkId: top, decision: 'accept' });
    await c().send('hunk_decide', { taskId, hunkId: bottom, decision: 'reject' });
    await c().send('hunk_decide', { taskId, hunkId: config, decision: 'accept' });
    const approval = (await c().waitForEvent((e) => e.seq > before && e.type === 'approval_required' && (e.payload as { taskId: string }).taskId === taskId, 'the commit approval', 60_000)) as EventMessage<'approval_required'>;
    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
    check = (await c().waitForEvent((e) => e.type === 'check_result' && (e.payload as EventPayload<'check_result'>).taskId === taskId && (e.payload as EventPayload<'check_result'>).phase === 'commit', 'the check on the committed tree', 120_000)) as EventMessage<'check_result'>;
    await c().waitFor('committed', (p) => p.taskId === taskId, 60_000);
    receipt = (await c().send('receipt_get', { taskId })).receipt;
  });

  after(() => s.close());

  it('receipt_get names the diff, the check on the committed tree, the commit approval and the commit; the CLI accepts it', async function () {
    const committed = c().forTask(taskId).find((e) => e.type === 'committed') as EventMessage<'committed'>;
    assert.equal(receipt.taskId, taskId);
    assert.equal(receipt.commit?.sha, committed.payload.sha);
    assert.equal(receipt.diff.files, 2);
    assert.equal(receipt.diff.hunks, 3);
    const commitCheck = receipt.checks.find((x) => x.phase === 'commit');
    assert.ok(commitCheck, JSON.stringify(receipt.checks));
    assert.deepEqual([commitCheck.name, commitCheck.status, commitCheck.exitCode, commitCheck.outputHash, commitCheck.treeId, commitCheck.commit], ['test', 'passed', 0, check.payload.outputHash, check.payload.treeId, committed.payload.sha]);
    assert.deepEqual(receipt.approvals.map((a) => [a.kind, a.state]), [['commit', 'approved']]);
    // The diff's own evidence: the checks on exactly its tree and on its base, bound by tree id.
    const diff = c().forTask(taskId).find((e) => e.type === 'diff_ready') as EventMessage<'diff_ready'>;
    assert.equal(receipt.treeId, diff.payload.evidence?.treeId);
    assert.deepEqual(receipt.checks.map((x) => x.phase).sort(), ['base', 'combined', 'commit']);
    assert.equal(receipt.checks.find((x) => x.phase === 'combined')?.treeId, receipt.treeId);
    const ok = await verify(receipt);
    assert.equal(ok.status, 0, ok.out);
    assert.match(ok.out, new RegExp(`receipt OK: task ${taskId}, signed by ed25519:[0-9a-f]{16}`));
  });

  it('the CLI rejects it (exit 3, naming the field) after an edit anywhere: output hash, tree id, a row hash, whitespace in a string, the approver, the head', async function () {
    const edits: Array<[string, (r: Receipt) => void]> = [
      ['outputHash', (r) => (r.checks[0]!.outputHash = `sha256:${'0'.repeat(64)}`)],
      ['treeId', (r) => (r.checks[0]!.treeId = '0'.repeat(40))],
      ['row hash', (r) => (r.diff.row.hash = '1'.repeat(64))],
      ['whitespace', (r) => (r.checks[0]!.command = `${r.checks[0]!.command} `)],
      ['approver', (r) => (r.approvals[0]!.decidedBy = 'phone')],
      ['counts', (r) => (r.checks[0]!.counts = { passed: 1, failed: 0, skipped: 0 })],
      ['head', (r) => (r.auditHead.seq -= 1)],
    ];
    for (const [what, edit] of edits) {
      const r = structuredClone(receipt);
      edit(r);
      const out = await verify(r);
      assert.equal(out.status, 3, `${what}: ${out.out}`);
      assert.match(out.out, /^receipt REJECTED \(\d+ problems?\):\n {2}- signature: does not match the receipt's content/, what);
    }
    // Single characters of the file itself, at several places.
    const text = JSON.stringify(receipt, null, 2);
    for (const needle of [receipt.sig.slice(10, 20), receipt.checks[0]!.outputHash!.slice(20, 30), receipt.taskId, `"seq": ${receipt.auditHead.seq}`]) {
      const at = text.indexOf(needle) + needle.length - 1;
      const edited = text.slice(0, at) + (text[at] === '1' ? '2' : '1') + text.slice(at + 1);
      const out = await verify(edited);
      assert.equal(out.status, 3, `${needle}: ${out.out}`);
    }
  });

  it('signed with another key: rejected', async function () {
    const otherDir = tempDir('pushpals-e2e-receipt-otherkey-');
    const db = openDatabase(s.app().services.config.dbFile);
    try {
      const foreign = buildReceipt(new AuditLog(db), loadOrCreateSigner(otherDir), taskId, receipt.repoId);
      const out = await verify(foreign);
      assert.equal(out.status, 3, out.out);
      assert.match(out.out, /signature: the receipt names key ed25519:[0-9a-f]{16}, but the orchestrator's key is ed25519:[0-9a-f]{16}: it was signed by another key/);
    } finally {
      db.close();
    }
  });

  it('the check\'s audit row rewritten with the chain recomputed (on a copy of the data dir): rejected, naming the row', async function () {
    const copy = tempDir('pushpals-e2e-receipt-copy-');
    mkdirSync(copy, { recursive: true });
    const src = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      src.prepare('VACUUM INTO ?').run(join(copy, 'pushpals.db'));
    } finally {
      src.close();
    }
    for (const f of ['audit-signing-key', 'audit-signing-key.pub']) copyFileSync(join(s.dataDir(), f), join(copy, f));
    const row = receipt.checks[0]!.row;
    const db = openDatabase(join(copy, 'pushpals.db'));
    try {
      const data = db.prepare('SELECT data FROM audit_log WHERE seq = ?').pluck().get(row.seq) as string;
      rewriteRowWithRecomputedChain(db, row.seq, 'data', data.replace('"status":"passed"', '"status":"failed"'));
    } finally {
      db.close();
    }
    const out = await verify(receipt, copy);
    assert.equal(out.status, 3, out.out);
    assert.match(out.out, new RegExp(`row #${row.seq} has hash [0-9a-f]{16}…, the receipt says ${row.hash.slice(0, 16)}…`));
    assert.match(out.out, /audit chain: TAMPERED at entry #\d+/);
  });
});
