/**
 * A task's review, read from the event log (its only store): the latest `diff_ready`, the latest decision
 * per hunk since, and the commit made of it. The same facts the clients fold with the shared reducer.
 */
import { createHash } from 'node:crypto';
import type { EventPayload } from '@pushpals/protocol';
import type { Db } from '../store/db';

/** What reading a review needs: the event log's table. */
export interface ReviewReader {
  readonly db: Db;
}

export type HunkDecision = 'accept' | 'reject';

export interface ReviewState {
  diffSeq: number;
  diff: EventPayload<'diff_ready'>;
  decisions: Map<string, HunkDecision>;
  committed?: EventPayload<'committed'> & { seq: number };
}

/** The task's review, or undefined when it never produced a diff. */
export function loadReview(services: ReviewReader, taskId: string): ReviewState | undefined {
  const row = services.db.prepare("SELECT seq, json FROM events WHERE task_id = ? AND type = 'diff_ready' ORDER BY seq DESC LIMIT 1").get(taskId) as { seq: number; json: string } | undefined;
  if (!row) return undefined;
  const diff = (JSON.parse(row.json) as { payload: EventPayload<'diff_ready'> }).payload;
  const known = new Set([...diff.hunks.map((h) => h.hunkId), ...(diff.fileChanges ?? []).map((f) => f.fileId)]);
  const decisions = new Map<string, HunkDecision>();
  let committed: ReviewState['committed'];
  const later = services.db.prepare("SELECT seq, type, json FROM events WHERE task_id = ? AND seq > ? AND type IN ('hunk_decided', 'committed') ORDER BY seq").all(taskId, row.seq) as Array<{ seq: number; type: string; json: string }>;
  for (const e of later) {
    if (e.type === 'committed') {
      committed = { ...(JSON.parse(e.json) as { payload: EventPayload<'committed'> }).payload, seq: e.seq };
      break; // decisions after the commit change nothing (the reducer ignores them too)
    }
    const p = (JSON.parse(e.json) as { payload: EventPayload<'hunk_decided'> }).payload;
    if (known.has(p.hunkId)) decisions.set(p.hunkId, p.decision);
  }
  return { diffSeq: row.seq, diff, decisions, ...(committed ? { committed } : {}) };
}

/** What is decided in a review, in diff order: each hunk's id, then each whole-file change's. */
export function reviewItems(r: Pick<ReviewState, 'diff'>): string[] {
  return [...r.diff.hunks.map((h) => h.hunkId), ...(r.diff.fileChanges ?? []).map((f) => f.fileId)];
}

export function undecided(r: ReviewState): string[] {
  return reviewItems(r).filter((id) => !r.decisions.has(id));
}

/** The accepted hunks and whole-file changes. */
export function acceptedItems(r: ReviewState): string[] {
  return reviewItems(r).filter((id) => r.decisions.get(id) === 'accept');
}

/** Identifies one set of decisions on one diff: an approval given for it is not valid for another. */
export function decisionsDigest(r: ReviewState): string {
  const h = createHash('sha256').update(String(r.diffSeq));
  for (const id of reviewItems(r)) h.update(`\n${id}=${r.decisions.get(id) ?? '?'}`);
  return h.digest('hex').slice(0, 16);
}

/**
 * Does the review still need the task's working copy? While the diff is not committed and some hunk
 * or whole-file change is undecided or accepted (a denied commit keeps it too, for another try). All rejected: no.
 */
export function reviewNeedsWorkingCopy(services: ReviewReader, taskId: string): boolean {
  const r = loadReview(services, taskId);
  if (!r || r.committed) return false;
  return reviewItems(r).some((id) => r.decisions.get(id) !== 'reject');
}
