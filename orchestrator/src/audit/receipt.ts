/**
 * A task's receipt: a small signed JSON naming what was proposed, the checks bound to the proposed
 * tree and to the committed tree, the approvals and the commit — each with the audit row it was read
 * from (seq + hash) — cut at the current audit head and signed with the orchestrator's audit key.
 * Everything in it is read from the audit trail, so `verifyReceipt` can check it against that trail.
 * The selection rule is documented in README.md ("Receipts").
 */
import { RECEIPT_FORMAT, type Receipt, type ReceiptApproval, type ReceiptCheck } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { sha256Ref } from '../util/hash';
import { canonicalJson, type AuditHead, type AuditLog, type AuditRecord } from './audit-log';
import type { HeadSigner } from './head-signing';

export type ReceiptBody = Omit<Receipt, 'sig'>;

/** "sha256:<hex>" of a text. */
export { sha256Ref };

/** The bytes a receipt's signature covers: the canonical JSON of every field but `sig`. */
export function receiptSignedBytes(r: ReceiptBody | Receipt): Buffer {
  const { sig: _sig, ...body } = r as Receipt;
  return Buffer.from(canonicalJson(body), 'utf8');
}

type Data = Record<string, unknown>;
export const rowData = (r: AuditRecord): Data => {
  try {
    const v = r.data === null ? {} : (JSON.parse(r.data) as unknown);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Data) : {};
  } catch {
    return {};
  }
};
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The hash the receipt gives the proposed diff: the one recorded at proposal time, else the stored diff's. */
export const diffHashOf = (r: AuditRecord): string => str(rowData(r).diffHash) ?? sha256Ref(r.stdout ?? '');

/** The evidence tree a `diff_proposed` row names (its `evidence.treeId`), or null. */
export const evidenceTreeOf = (r: AuditRecord): string | null => {
  const ev = rowData(r).evidence;
  return ev && typeof ev === 'object' ? str((ev as Data).treeId) : null;
};

/** A `check_run` row as the receipt lists it. */
export function checkFromRow(r: AuditRecord): ReceiptCheck {
  const d = rowData(r);
  const counts = d.counts && typeof d.counts === 'object' ? (d.counts as ReceiptCheck['counts']) : null;
  return {
    name: str(d.name) ?? '',
    command: str(d.command) ?? r.command ?? '',
    status: (str(d.status) ?? 'error') as ReceiptCheck['status'],
    exitCode: typeof d.exitCode === 'number' ? d.exitCode : null,
    counts,
    outputHash: str(d.outputHash),
    phase: str(d.phase) as ReceiptCheck['phase'],
    commit: str(d.commit),
    treeId: str(d.treeId),
    row: { seq: r.seq, hash: r.hash },
  };
}

/**
 * The `check_run` row a `check_reused` row names (`data.reusedFrom`: seq, hash, task), as the receipt
 * lists it, with `reusedFrom`; undefined when that row is not there as named (at or before the head,
 * same hash, a `check_run` of that task) — the chain's verification reports a rewritten row.
 */
export function reusedCheck(r: AuditRecord, head: AuditHead, lookup: (seq: number) => AuditRecord | undefined): ReceiptCheck | undefined {
  const from = rowData(r).reusedFrom as Data | undefined;
  if (!from || typeof from.seq !== 'number' || from.seq > head.seq) return undefined;
  const original = lookup(from.seq);
  if (!original || original.action !== 'check_run' || original.hash !== from.hash || original.taskId === null || original.taskId !== from.taskId) return undefined;
  return { ...checkFromRow(original), reusedFrom: { taskId: original.taskId, at: original.ts } };
}

/** The rows that record an approval's decision: by a person or an expiry, or by an auto-commit grant (always approved). */
export const APPROVAL_ACTIONS: readonly string[] = ['approval_decided', 'approval_granted'];

/** An `approval_decided` / `approval_granted` row as the receipt lists it. */
export function approvalFromRow(r: AuditRecord): ReceiptApproval {
  const d = rowData(r);
  const state = r.action === 'approval_granted' ? 'approved' : (str(d.state) ?? 'denied');
  return { approvalId: r.approvalId ?? '', kind: str(d.kind) ?? '', state: state as ReceiptApproval['state'], decidedBy: r.actor, row: { seq: r.seq, hash: r.hash } };
}

/**
 * The receipt's content for a task, read from its rows at or before `head`. Which rows:
 * the latest `diff_proposed` (before the commit, if committed); every approval decision (`approval_decided`,
 * `approval_granted`); the
 * `commit`; and the `check_run` rows bound to the diff — on its evidence tree, on its base commit
 * (phase base) and on the committed commit (phase commit) — the latest per phase, tree and name. A base
 * check reused from another task (a `check_reused` row of this task) is listed as that task's `check_run` row.
 */
export function receiptContent(rows: readonly AuditRecord[], taskId: string, repoId: string | null, head: AuditHead, lookup: (seq: number) => AuditRecord | undefined): Omit<ReceiptBody, 'issuedAt' | 'key' | 'format'> {
  const upTo = rows.filter((r) => r.seq <= head.seq && r.taskId === taskId);
  const commitRow = upTo.filter((r) => r.action === 'commit').at(-1);
  const diffRow = upTo.filter((r) => r.action === 'diff_proposed' && (!commitRow || r.seq < commitRow.seq)).at(-1);
  if (!diffRow) throw new PushPalsError('not_found', `task ${taskId} has proposed no diff: there is nothing to give a receipt for`);
  const diff = rowData(diffRow);
  const baseCommit = str(diff.baseCommit);
  const treeId = evidenceTreeOf(diffRow);
  const sha = commitRow ? str(rowData(commitRow).sha) : null;
  const bound = (c: ReceiptCheck): boolean => (treeId !== null && c.treeId === treeId) || (c.phase === 'base' && baseCommit !== null && c.commit === baseCommit) || (c.phase === 'commit' && sha !== null && c.commit === sha);
  const latest = new Map<string, ReceiptCheck>();
  for (const r of upTo) {
    if (r.action !== 'check_run' && r.action !== 'check_reused') continue;
    // Bound by this task's own row; a reused base check is then listed as the row that ran it.
    const own = checkFromRow(r);
    const c = !bound(own) ? undefined : r.action === 'check_run' ? own : reusedCheck(r, head, lookup);
    if (c) latest.set(`${c.phase ?? ''}\u0000${c.treeId ?? ''}\u0000${c.name}`, c);
  }
  return {
    taskId,
    repoId,
    baseCommit,
    treeId,
    diff: { hash: diffHashOf(diffRow), files: Array.isArray(diff.files) ? diff.files.length : 0, hunks: Array.isArray(diff.hunks) ? diff.hunks.length : 0, row: { seq: diffRow.seq, hash: diffRow.hash } },
    checks: [...latest.values()].sort((a, b) => a.row.seq - b.row.seq),
    approvals: upTo.filter((r) => APPROVAL_ACTIONS.includes(r.action)).map(approvalFromRow),
    commit: commitRow && sha ? { sha, branch: str(rowData(commitRow).branch) ?? '', row: { seq: commitRow.seq, hash: commitRow.hash } } : null,
    auditHead: { seq: head.seq, hash: head.hash },
  };
}

/** Builds and signs a task's receipt at the trail's current head. Throws `not_found` when the task proposed no diff. */
export function buildReceipt(audit: AuditLog, signer: Pick<HeadSigner, 'keyId' | 'publicKey' | 'signBytes'>, taskId: string, repoId: string | null, at = new Date()): Receipt {
  const head = audit.head();
  const body: ReceiptBody = {
    format: RECEIPT_FORMAT,
    ...receiptContent([...audit.records(taskId)], taskId, repoId, head, (seq) => audit.record(seq)),
    issuedAt: at.toISOString(),
    key: { keyId: signer.keyId, publicKey: String(signer.publicKey.export({ format: 'jwk' }).x) },
  };
  return { ...body, sig: signer.signBytes(receiptSignedBytes(body)) };
}
