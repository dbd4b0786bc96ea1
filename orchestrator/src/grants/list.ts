import { stmt } from '../store/statements';
import { rowToGrant, type GrantDeps, type GrantRecord, type GrantRow } from './types';

export function getGrant(deps: Pick<GrantDeps, 'db'>, grantId: string): GrantRecord | undefined {
  const r = stmt(deps.db, 'SELECT * FROM grants WHERE id = ?').get(grantId) as GrantRow | undefined;
  return r ? rowToGrant(r) : undefined;
}

/** Newest first: the active grants (not revoked, not expired at the clock's now), or every grant with `includeInactive`. */
export function listGrants(deps: Pick<GrantDeps, 'db' | 'clock'>, opts: { includeInactive?: boolean; limit?: number } = {}): GrantRecord[] {
  const limit = opts.limit ?? 10000;
  const rows = (opts.includeInactive
    ? stmt(deps.db, 'SELECT * FROM grants ORDER BY created_at DESC, id DESC LIMIT ?').all(limit)
    : stmt(deps.db, 'SELECT * FROM grants WHERE revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT ?').all(deps.clock.now(), limit)) as GrantRow[];
  return rows.map(rowToGrant);
}
