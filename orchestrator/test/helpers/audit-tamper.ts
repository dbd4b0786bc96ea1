/**
 * What an attacker who can write the DB file does to the audit trail: drop the triggers, edit a row,
 * recompute its hash and every later one and move the anchor, so the bare chain verifies again.
 */
import { rowHash } from '../../src/audit';
import type { Db } from '../../src/store/db';

export const dropAuditTriggers = (db: Db): void => {
  for (const t of ['audit_log_no_update', 'audit_log_no_delete', 'audit_head_no_delete', 'audit_head_forward_only']) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
};

type Column = 'stdout' | 'data' | 'actor' | 'command' | 'approval_id' | 'exit_code';

/** Sets one column of row `seq`, then recomputes the chain from there and moves the anchor. */
export function rewriteRowWithRecomputedChain(db: Db, seq: number, column: Column, value: string | number | null): void {
  dropAuditTriggers(db);
  db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`).run(value, seq);
  const rows = db.prepare('SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq').all(seq) as Array<Parameters<typeof rowHash>[0] & { seq: number }>;
  let prev = (db.prepare('SELECT hash FROM audit_log WHERE seq = ?').pluck().get(seq - 1) as string | undefined) ?? '0'.repeat(64);
  for (const r of rows) {
    const h = rowHash({ ...r, prev_hash: prev });
    db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, h, r.seq);
    prev = h;
  }
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(rows[rows.length - 1]!.seq, prev);
}
