/**
 * Auto-commit grants as one object over the per-operation modules (add.ts, revoke.ts, list.ts,
 * covering.ts), bound to the DB, the event log and the clock (tests move the clock to expire them).
 */
import { addGrant, type AddGrantInput } from './add';
import { coveringGrant } from './covering';
import { getGrant, listGrants } from './list';
import { revokeGrant } from './revoke';
import type { GrantAction, GrantDeps, GrantRecord } from './types';

export class GrantStore {
  constructor(readonly deps: GrantDeps) {}

  add(input: AddGrantInput): GrantRecord {
    return addGrant(this.deps, input);
  }

  revoke(grantId: string, by: string, sessionId?: string): { grant: GrantRecord; changed: boolean } {
    return revokeGrant(this.deps, grantId, by, sessionId);
  }

  get(grantId: string): GrantRecord | undefined {
    return getGrant(this.deps, grantId);
  }

  list(opts?: { includeInactive?: boolean; limit?: number }): GrantRecord[] {
    return listGrants(this.deps, opts);
  }

  /** The active grant covering `action` for the task (its own, a parent's, or its repository's). */
  covering(taskId: string, action: GrantAction): GrantRecord | undefined {
    return coveringGrant(this.deps, taskId, action);
  }
}
