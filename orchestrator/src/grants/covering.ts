import { stmt } from '../store/statements';
import { rowToGrant, type GrantAction, type GrantDeps, type GrantRecord, type GrantRow } from './types';

/** How far up the parent chain a task grant reaches (a plan's task → its tickets → their split tickets). */
const MAX_DEPTH = 8;

/**
 * The active grant that lets `action` go ahead for `taskId` without asking, if any: a grant for the
 * task itself or for a task above it (a plan's task covers its tickets), else a grant for the task's
 * repository. Task grants first (the narrower one names the decision), then the one expiring last.
 * Checked at the moment of the approval: an expired or revoked grant covers nothing.
 */
export function coveringGrant(deps: Pick<GrantDeps, 'db' | 'clock'>, taskId: string, action: GrantAction): GrantRecord | undefined {
  const { db, clock } = deps;
  const now = clock.now();
  const lineage: string[] = [];
  let repoId: string | null = null;
  let cur: string | null = taskId;
  for (let depth = 0; cur !== null && depth < MAX_DEPTH; depth++) {
    const t = stmt(db, 'SELECT id, parent_id, repo_id FROM tasks WHERE id = ?').get(cur) as { id: string; parent_id: string | null; repo_id: string | null } | undefined;
    if (!t) break;
    lineage.push(t.id);
    repoId ??= t.repo_id;
    cur = t.parent_id;
  }
  const candidates: GrantRow[] = [];
  for (const id of lineage) candidates.push(...(stmt(db, 'SELECT * FROM grants WHERE task_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY expires_at DESC').all(id, now) as GrantRow[]));
  if (repoId !== null) candidates.push(...(stmt(db, 'SELECT * FROM grants WHERE repo_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY expires_at DESC').all(repoId, now) as GrantRow[]));
  const hit = candidates.map(rowToGrant).find((g) => g.actions.includes(action));
  return hit;
}
