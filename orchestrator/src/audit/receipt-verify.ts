/**
 * Checks a receipt against the audit trail it claims to come from: its shape, its signature with the
 * key the orchestrator holds (a receipt re-signed with another key fails, whatever key it embeds), the
 * chain up to the receipt's head, every row it names (same seq, same hash, the task's, and the
 * receipt's fields equal to the row's data), and that it lists exactly the rows the selection rule
 * picks at that head (nothing left out, nothing added). Every problem found is reported, not just the first.
 */
import type { KeyObject } from 'node:crypto';
import { PROTOCOL_VERSION, validateServerMessage, type Receipt, type ReceiptRow } from '@pushpals/protocol';
import { canonicalJson, type AuditLog, type AuditRecord } from './audit-log';
import { keyIdOf, rawPublicKey, verifyBytes } from './head-signing';
import { APPROVAL_ACTIONS, approvalFromRow, checkFromRow, diffHashOf, evidenceTreeOf, receiptContent, receiptSignedBytes, rowData } from './receipt';

export type ReceiptVerdict = { ok: true; receipt: Receipt; summary: string } | { ok: false; failures: string[] };

/** Checks the value's shape with the protocol's own validator (the receipt is `receipt_get`'s result). */
function checkShape(value: unknown): Receipt | string {
  const r = validateServerMessage({ protocolVersion: PROTOCOL_VERSION, id: 'receipt', ts: new Date(0).toISOString(), sessionId: 'receipt', type: 'ack', from: 'orchestrator', correlationId: 'receipt', payload: { command: 'receipt_get', result: { receipt: value } } });
  if (r.ok) return value as Receipt;
  return `not a receipt: ${r.error.message.replaceAll('/payload/result/receipt', '') || 'invalid'}`;
}

export function verifyReceipt(value: unknown, audit: AuditLog, trusted: KeyObject): ReceiptVerdict {
  const shaped = checkShape(value);
  if (typeof shaped === 'string') return { ok: false, failures: [shaped] };
  const receipt = shaped;
  const failures: string[] = [];
  const fail = (msg: string): void => void failures.push(msg);

  const trustedRaw = rawPublicKey(trusted);
  const trustedId = keyIdOf(trustedRaw);
  if (receipt.key.publicKey !== trustedRaw || receipt.key.keyId !== trustedId) fail(`signature: the receipt names key ${receipt.key.keyId}, but the orchestrator's key is ${trustedId}: it was signed by another key`);
  else if (!verifyBytes(receiptSignedBytes(receipt), receipt.sig, trusted)) fail('signature: does not match the receipt\'s content (the receipt was edited after it was signed)');

  const chain = audit.verify([receipt.auditHead]);
  if (!chain.ok) fail(`audit chain: TAMPERED at entry #${chain.seq}: ${chain.reason}`);

  const row = (what: string, ref: ReceiptRow, actions: readonly string[], taskId = receipt.taskId): AuditRecord | undefined => {
    if (ref.seq > receipt.auditHead.seq) return void fail(`${what}: row #${ref.seq} is after the receipt's head #${receipt.auditHead.seq}`);
    const r = audit.record(ref.seq);
    if (!r) return void fail(`${what}: row #${ref.seq} is missing from the audit trail`);
    if (r.hash !== ref.hash) return void fail(`${what}: row #${ref.seq} has hash ${r.hash.slice(0, 16)}…, the receipt says ${ref.hash.slice(0, 16)}…`);
    if (!actions.includes(r.action) || r.taskId !== taskId) return void fail(`${what}: row #${ref.seq} is a ${r.action} row of ${r.taskId ?? 'no task'}, not a ${actions.join(' or ')} row of ${taskId}`);
    return r;
  };
  /** Field by field: the receipt's values against the row's (canonical JSON compares nested counts too). */
  const same = (what: string, seq: number, mine: object, theirs: object): void => {
    for (const [k, v] of Object.entries(mine)) {
      if (k === 'row') continue;
      const t = (theirs as Record<string, unknown>)[k];
      if (canonicalJson(v) !== canonicalJson(t)) fail(`${what}: ${k} is ${canonicalJson(v)} in the receipt but ${canonicalJson(t)} in row #${seq}`);
    }
  };

  const d = row('diff', receipt.diff.row, ['diff_proposed']);
  if (d) {
    const data = rowData(d);
    same('diff', d.seq, { hash: receipt.diff.hash, files: receipt.diff.files, hunks: receipt.diff.hunks, baseCommit: receipt.baseCommit, treeId: receipt.treeId }, {
      hash: diffHashOf(d),
      files: Array.isArray(data.files) ? data.files.length : 0,
      hunks: Array.isArray(data.hunks) ? data.hunks.length : 0,
      baseCommit: typeof data.baseCommit === 'string' ? data.baseCommit : null,
      treeId: evidenceTreeOf(d),
    });
  }
  for (const c of receipt.checks) {
    const what = `check "${c.name}" (${c.phase ?? 'no phase'})`;
    // A reused check's row is the task's that ran it (the selection below checks this task's `check_reused` row names it).
    const r = row(what, c.row, ['check_run'], c.reusedFrom?.taskId);
    if (!r) continue;
    same(what, r.seq, c, { ...checkFromRow(r), ...(c.reusedFrom ? { reusedFrom: { taskId: r.taskId, at: r.ts } } : {}) });
    const repo = rowData(r).repoId;
    if (typeof repo === 'string' && repo !== receipt.repoId) fail(`${what}: ran in repository ${repo}, the receipt says ${String(receipt.repoId)}`);
  }
  for (const a of receipt.approvals) {
    const r = row(`approval ${a.approvalId}`, a.row, APPROVAL_ACTIONS);
    if (r) same(`approval ${a.approvalId}`, r.seq, a, approvalFromRow(r));
  }
  if (receipt.commit) {
    const r = row('commit', receipt.commit.row, ['commit']);
    if (r) same('commit', r.seq, { sha: receipt.commit.sha, branch: receipt.commit.branch }, { sha: rowData(r).sha, branch: rowData(r).branch });
  }

  // Nothing left out, nothing added: the rule applied to the trail at the receipt's head picks the same rows.
  if (chain.ok) {
    try {
      const want = receiptContent([...audit.records(receipt.taskId)], receipt.taskId, receipt.repoId, receipt.auditHead, (seq) => audit.record(seq));
      // A reused check is marked: listing it as run by this task (or the reverse) is a different selection.
      const seqs = (xs: ReadonlyArray<{ row: ReceiptRow; reusedFrom?: unknown }>): string => xs.map((x) => `${x.row.seq}${'reusedFrom' in x && x.reusedFrom ? ' (reused)' : ''}`).join(',');
      if (seqs(want.checks) !== seqs(receipt.checks)) fail(`selection: the receipt lists check rows [${seqs(receipt.checks)}], the trail at head #${receipt.auditHead.seq} has [${seqs(want.checks)}]`);
      if (seqs(want.approvals) !== seqs(receipt.approvals)) fail(`selection: the receipt lists approval rows [${seqs(receipt.approvals)}], the trail at head #${receipt.auditHead.seq} has [${seqs(want.approvals)}]`);
      if (want.diff.row.seq !== receipt.diff.row.seq) fail(`selection: the receipt names diff row #${receipt.diff.row.seq}, the task's latest proposed diff at that head is #${want.diff.row.seq}`);
      if ((want.commit?.row.seq ?? null) !== (receipt.commit?.row.seq ?? null)) fail(`selection: the receipt names commit row ${receipt.commit ? `#${receipt.commit.row.seq}` : 'none'}, the trail at that head has ${want.commit ? `#${want.commit.row.seq}` : 'none'}`);
    } catch (e) {
      fail(`selection: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  if (failures.length) return { ok: false, failures };
  const passed = receipt.checks.filter((c) => c.status === 'passed').length;
  return {
    ok: true,
    receipt,
    summary: `receipt OK: task ${receipt.taskId}, signed by ${receipt.key.keyId}, head #${receipt.auditHead.seq}; diff ${receipt.diff.hash.slice(0, 19)}… (row #${receipt.diff.row.seq}), ${receipt.checks.length} check(s) (${passed} passed), ${receipt.approvals.length} approval(s), ${receipt.commit ? `commit ${receipt.commit.sha.slice(0, 12)}` : 'not committed'}`,
  };
}
