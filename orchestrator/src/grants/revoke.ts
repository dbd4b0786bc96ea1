import { PushPalsError } from '../errors';
import { SYSTEM_SESSION } from '../events/event-log';
import { stmt } from '../store/statements';
import { isoAt } from '../util/clock';
import { rowToGrant, type GrantDeps, type GrantRecord, type GrantRow } from './types';

/**
 * Revokes a grant now (`grant_revoked`, every client sees it): the next approval it covered asks a
 * person again. Idempotent — revoking a revoked grant changes nothing (`changed: false`); revoking an
 * expired one records the revocation all the same (a person's explicit "no more").
 */
export function revokeGrant(deps: GrantDeps, grantId: string, by: string, sessionId?: string): { grant: GrantRecord; changed: boolean } {
  const { db, events, clock } = deps;
  const run = db.transaction(() => {
    const cur = stmt(db, 'SELECT * FROM grants WHERE id = ?').get(grantId) as GrantRow | undefined;
    if (!cur) throw new PushPalsError('not_found', `no grant ${grantId} (pushpals grant list shows them)`, undefined, '/payload/grantId');
    if (cur.revoked_at !== null) return { grant: rowToGrant(cur), changed: false };
    const now = clock.now();
    const row = stmt(db, 'UPDATE grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING *').get(now, by, grantId) as GrantRow;
    events.append({ type: 'grant_revoked', sessionId: sessionId ?? SYSTEM_SESSION, from: 'orchestrator', payload: { grantId, by, revokedAt: isoAt(now) } });
    return { grant: rowToGrant(row), changed: true };
  });
  return db.inTransaction ? run() : run.immediate();
}
