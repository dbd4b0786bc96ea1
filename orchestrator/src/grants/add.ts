import { newId } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { SYSTEM_SESSION } from '../events/event-log';
import { stmt } from '../store/statements';
import { DEFAULT_GRANT_TTL_MS, GRANT_ACTIONS, MAX_GRANT_TTL_MS, grantInfo, rowToGrant, type GrantAction, type GrantDeps, type GrantRecord, type GrantRow } from './types';

export interface AddGrantInput {
  /** Exactly one of repoId / taskId (already resolved and checked by the caller). */
  repoId?: string;
  taskId?: string;
  actions: readonly GrantAction[];
  /** Default DEFAULT_GRANT_TTL_MS; at most MAX_GRANT_TTL_MS. */
  ttlMs?: number;
  createdBy: string;
  tokenFingerprint?: string;
  /** Shown in `grant_added` (the repository's name). */
  repoName?: string;
  sessionId?: string;
}

/**
 * Stores a grant and announces it (`grant_added`, in the orchestrator's session: every client sees it)
 * in one transaction. Every grant expires: no ttl means 8 h, more than 30 days is refused.
 */
export function addGrant(deps: GrantDeps, input: AddGrantInput): GrantRecord {
  const { db, events, clock } = deps;
  if ((input.repoId === undefined) === (input.taskId === undefined)) throw new PushPalsError('invalid_message', 'a grant is for one repository (repo) or one task (taskId): name exactly one');
  const actions = [...new Set(input.actions)];
  if (!actions.length) throw new PushPalsError('invalid_message', `a grant needs at least one action (${GRANT_ACTIONS.join(', ')})`, undefined, '/payload/actions');
  const bad = actions.find((a) => !GRANT_ACTIONS.includes(a));
  if (bad) throw new PushPalsError('invalid_message', `"${bad}" cannot be granted: only ${GRANT_ACTIONS.join(', ')}`, undefined, '/payload/actions');
  const ttl = input.ttlMs ?? DEFAULT_GRANT_TTL_MS;
  if (!Number.isFinite(ttl) || ttl <= 0 || ttl > MAX_GRANT_TTL_MS) throw new PushPalsError('invalid_message', `a grant lasts more than 0 and at most 30 days (${MAX_GRANT_TTL_MS / 60000} minutes)`, { maxMinutes: MAX_GRANT_TTL_MS / 60000 }, '/payload/ttlMinutes');
  const run = db.transaction((): GrantRecord => {
    const now = clock.now();
    const row = stmt(
      db,
      `INSERT INTO grants (id, scope, repo_id, task_id, actions, created_at, expires_at, created_by, token_fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(newId('gr'), input.repoId !== undefined ? 'repo' : 'task', input.repoId ?? null, input.taskId ?? null, JSON.stringify(GRANT_ACTIONS.filter((a) => actions.includes(a))), now, now + ttl, input.createdBy, input.tokenFingerprint ?? null) as GrantRow;
    const grant = rowToGrant(row);
    events.append({ type: 'grant_added', sessionId: input.sessionId ?? SYSTEM_SESSION, from: 'orchestrator', payload: { grant: grantInfo(grant, input.repoName) } });
    return grant;
  });
  return db.inTransaction ? run() : run.immediate();
}
