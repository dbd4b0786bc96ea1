/**
 * Auto-commit grants: the shapes every grant operation (add.ts, revoke.ts, list.ts, covering.ts)
 * shares, the limits on their lifetime, and the mapping to the protocol's GrantInfo.
 */
import type { GrantAction, GrantInfo } from '@pushpals/protocol';
import type { EventLog } from '../events/event-log';
import type { Db } from '../store/db';
import { isoAt, type Clock } from '../util/clock';

export type { GrantAction } from '@pushpals/protocol';
export type GrantScope = 'repo' | 'task';

export const GRANT_ACTIONS: readonly GrantAction[] = ['commit', 'push', 'pr'];
/** Without `ttlMinutes`: a working day. */
export const DEFAULT_GRANT_TTL_MS = 8 * 60 * 60 * 1000;
/** Never longer than this: a grant is a convenience for a stretch of work, not a standing policy (that is the policy file). */
export const MAX_GRANT_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface GrantRecord {
  id: string;
  scope: GrantScope;
  repoId: string | null;
  taskId: string | null;
  actions: GrantAction[];
  createdAt: number;
  expiresAt: number;
  createdBy: string;
  tokenFingerprint: string | null;
  revokedAt: number | null;
  revokedBy: string | null;
}

export interface GrantRow {
  id: string;
  scope: GrantScope;
  repo_id: string | null;
  task_id: string | null;
  actions: string;
  created_at: number;
  expires_at: number;
  created_by: string;
  token_fingerprint: string | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

/** What the grant operations work with: the DB, the event log (grant_added/grant_revoked) and the clock (expiry). */
export interface GrantDeps {
  db: Db;
  events: Pick<EventLog, 'append'>;
  clock: Clock;
}

export const rowToGrant = (r: GrantRow): GrantRecord => ({
  id: r.id,
  scope: r.scope,
  repoId: r.repo_id,
  taskId: r.task_id,
  actions: JSON.parse(r.actions) as GrantAction[],
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  createdBy: r.created_by,
  tokenFingerprint: r.token_fingerprint,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

/** Active at `now`: not revoked and not expired. */
export const isActiveAt = (g: GrantRecord, now: number): boolean => g.revokedAt === null && g.expiresAt > now;

/** The protocol's view of a grant; `repoName` when the caller knows it. */
export function grantInfo(g: GrantRecord, repoName?: string): GrantInfo {
  return {
    grantId: g.id,
    scope: g.scope,
    ...(g.repoId !== null ? { repoId: g.repoId } : {}),
    ...(repoName !== undefined ? { repoName } : {}),
    ...(g.taskId !== null ? { taskId: g.taskId } : {}),
    actions: g.actions,
    createdAt: isoAt(g.createdAt),
    expiresAt: isoAt(g.expiresAt),
    createdBy: g.createdBy,
    ...(g.revokedAt !== null ? { revokedAt: isoAt(g.revokedAt) } : {}),
  };
}

/** The grant action an approval kind needs (`commit`, `push`, `pr`); other kinds are never granted. */
export function grantActionOf(kind: string): GrantAction | undefined {
  return (GRANT_ACTIONS as readonly string[]).includes(kind) ? (kind as GrantAction) : undefined;
}

/** "for 8 h", "for 30 min", "for 2 days": how the audit and messages say how long a grant lasts. */
export function describeDuration(ms: number): string {
  const min = Math.round(ms / 60000);
  if (min < 120) return `${min} min`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}
