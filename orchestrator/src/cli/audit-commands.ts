/**
 * `pushpals audit verify | head | export | receipt | verify-receipt`. They read the DB file directly: they must work when the
 * server is down — that is when one checks a trail.
 *
 *   verify [--expect HEAD]... [--public-key KEY]   the chain, its anchor, `<dataDir>/audit-head.json`
 *                                                 and every head recorded elsewhere (a signed head's
 *                                                 JSON or file, or `seq:hash`)
 *   head                                           the current head, checked and signed (one JSON line)
 *   export [--task ID] [--out FILE]                JSONL, one record per line with its hashes
 *   receipt --task ID [--out FILE]                 the task's signed receipt (audit/README.md "Receipts")
 *   verify-receipt FILE [--public-key KEY]         a receipt checked against this data dir's trail and key
 */
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { AuditLog, type AuditHead } from '../audit';
import { auditHeadPath } from '../audit/head-publisher';
import { loadOrCreateSigner, loadTrustedPublicKey, parseExpectedHead, verifySignedHead, type ExpectedHead } from '../audit/head-signing';
import { buildReceipt } from '../audit/receipt';
import { verifyReceipt } from '../audit/receipt-verify';
import { PushPalsError } from '../errors';
import { openDatabase, type Db } from '../store/db';
import { UsageError, common, configFrom, type Io, type Sub } from './shared';

const USAGE =
  'usage: pushpals audit verify [--expect HEAD]... [--public-key KEY] | pushpals audit head | pushpals audit export [--task ID] [--out FILE] | pushpals audit receipt --task ID [--out FILE] | pushpals audit verify-receipt FILE [--public-key KEY]';
const VERBS = ['verify', 'head', 'export', 'receipt', 'verify-receipt'] as const;

/** Exit code of a trail (or head) that fails its check. */
const TAMPERED = 3;

interface Checked {
  heads: AuditHead[];
  described: string[];
}

/**
 * The heads to check the chain against: those given with --expect and the published head file.
 * A signed head must carry a valid signature of the trusted key; otherwise it is REJECTED.
 */
function expectedHeads(dataDir: string, specs: string[], publicKey: string | undefined): Checked | { rejected: string } {
  const list: ExpectedHead[] = specs.map(parseExpectedHead);
  const published = auditHeadPath(dataDir);
  if (existsSync(published)) {
    try {
      list.push(parseExpectedHead(published));
    } catch (e) {
      return { rejected: `${published}: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const out: Checked = { heads: [], described: [] };
  const trusted = list.some((e) => e.signed) ? loadTrustedPublicKey(dataDir, publicKey) : undefined;
  for (const e of list) {
    if (e.signed) {
      if (!trusted) throw new PushPalsError('invalid_message', `${e.source} is a signed head, but there is no public key to check it with: pass --public-key (the audit-signing-key.pub you kept)`);
      try {
        verifySignedHead(e.signed, trusted);
      } catch (err) {
        return { rejected: `${e.source}: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    out.heads.push(e.head);
    out.described.push(`head #${e.head.seq} from ${e.source} (${e.signed ? `signature of ${e.signed.keyId} valid` : 'unsigned'})`);
  }
  return out;
}

async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...common, task: { type: 'string' }, out: { type: 'string' }, expect: { type: 'string', multiple: true }, 'public-key': { type: 'string' } },
    allowPositionals: true,
  });
  const verb = positionals[0];
  if (!(VERBS as readonly unknown[]).includes(verb)) throw new PushPalsError('invalid_message', USAGE);
  if (verb === 'receipt' && !values.task) throw new UsageError('audit receipt needs --task ID');
  if (verb === 'verify-receipt' && positionals.length !== 2) throw new UsageError('audit verify-receipt needs one FILE');
  const config = configFrom(values, io.env);
  const db = openDatabase(config.dbFile);
  try {
    const audit = new AuditLog(db);
    if (verb === 'export') {
      const out = values.out ? createWriteStream(values.out) : process.stdout;
      const n = await audit.exportJsonl(values.task, out);
      if (values.out) {
        out.end();
        await once(out, 'finish');
        io.out(`wrote ${n} entries to ${values.out}`);
      }
      return 0;
    }
    if (verb === 'receipt') return receipt(db, audit, config.dataDir, values.task as string, values.out, io);
    if (verb === 'verify-receipt') return checkReceipt(audit, config.dataDir, positionals[1] as string, values['public-key'], values.json === true, io);
    const expected = expectedHeads(config.dataDir, verb === 'verify' ? (values.expect ?? []) : [], values['public-key']);
    if ('rejected' in expected) {
      io.out(values.json ? JSON.stringify({ ok: false, headRejected: expected.rejected }) : `audit head REJECTED: ${expected.rejected}`);
      return TAMPERED;
    }
    const r = audit.verify(expected.heads);
    if (!r.ok) {
      io.out(values.json ? JSON.stringify(r) : `audit trail TAMPERED at entry #${r.seq}: ${r.reason}${verb === 'head' ? '\n(no head signed: the trail does not verify)' : ''}`);
      return TAMPERED;
    }
    if (verb === 'head') {
      io.out(JSON.stringify(loadOrCreateSigner(config.dataDir).sign(r.head)));
      return 0;
    }
    if (values.json) io.out(JSON.stringify({ ...r, checkedHeads: expected.described }));
    else io.out([`audit trail OK: ${r.count} entries, head #${r.head.seq} ${r.head.hash}`, ...expected.described.map((d) => `  extends ${d}`)].join('\n'));
    return 0;
  } finally {
    db.close();
  }
}

function receipt(db: Db, audit: AuditLog, dataDir: string, taskId: string, out: string | undefined, io: Io): number {
  const chain = audit.verify();
  if (!chain.ok) {
    io.out(`audit trail TAMPERED at entry #${chain.seq}: ${chain.reason}\n(no receipt signed: the trail does not verify)`);
    return TAMPERED;
  }
  const repoId = (db.prepare('SELECT repo_id FROM tasks WHERE id = ?').pluck().get(taskId) as string | null | undefined) ?? null;
  const r = buildReceipt(audit, loadOrCreateSigner(dataDir), taskId, repoId);
  const text = `${JSON.stringify(r, null, 2)}\n`;
  if (!out) {
    io.out(text.trimEnd());
    return 0;
  }
  writeFileSync(out, text);
  io.out(`wrote the receipt of ${taskId} to ${out}: ${r.checks.length} check(s), ${r.approvals.length} approval(s), ${r.commit ? `commit ${r.commit.sha.slice(0, 12)}` : 'not committed'}, head #${r.auditHead.seq}`);
  return 0;
}

function checkReceipt(audit: AuditLog, dataDir: string, file: string, publicKey: string | undefined, json: boolean, io: Io): number {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PushPalsError('invalid_message', `${file}: not a readable JSON file (${e instanceof Error ? e.message : String(e)})`);
  }
  const trusted = loadTrustedPublicKey(dataDir, publicKey);
  if (!trusted) throw new PushPalsError('invalid_message', `no audit key in ${dataDir} to check the receipt with: pass --public-key (the audit-signing-key.pub you kept)`);
  const v = verifyReceipt(value, audit, trusted);
  if (json) io.out(JSON.stringify(v.ok ? { ok: true, summary: v.summary } : v));
  else io.out(v.ok ? v.summary : [`receipt REJECTED (${v.failures.length} problem${v.failures.length === 1 ? '' : 's'}):`, ...v.failures.map((f) => `  - ${f}`)].join('\n'));
  return v.ok ? 0 : TAMPERED;
}

export const AUDIT_COMMAND: Sub = {
  summary: 'audit verify [--expect HEAD] | audit head | audit export [--task ID] [--out FILE] | audit receipt --task ID [--out FILE] | audit verify-receipt FILE: check the chain against signed heads, print the signed head, export JSONL, cut and check a task\'s signed receipt',
  run,
};
