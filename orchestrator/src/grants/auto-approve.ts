/**
 * The bridge from grants to approvals: an `AutoApprover` for the ApprovalService. For an approval of
 * kind commit/push/pr whose task an active grant covers, the approval is recorded as approved by
 * `grant:<id>` (no person is asked, no `approval_required` is sent) and an audit row names the grant,
 * in the same transaction as the approval. Every other approval is left to a person.
 */
import type { AutoApprover } from '../approvals/approvals';
import type { AuditLog } from '../audit/audit-log';
import { isoAt } from '../util/clock';
import type { GrantStore } from './grant-store';
import { grantActionOf } from './types';

export const grantActor = (grantId: string): string => `grant:${grantId}`;

export function grantAutoApprover(grants: Pick<GrantStore, 'covering'>, audit: Pick<AuditLog, 'append'>): AutoApprover {
  return (req) => {
    const action = grantActionOf(req.kind);
    if (!action) return undefined;
    const grant = grants.covering(req.taskId, action);
    if (!grant) return undefined;
    const by = grantActor(grant.id);
    const whose = grant.scope === 'repo' ? `repository ${grant.repoId ?? '?'}` : `task ${grant.taskId ?? '?'}`;
    const reason = `auto-approved: grant ${grant.id} (${grant.actions.join(', ')} for ${whose}, by ${grant.createdBy}, until ${isoAt(grant.expiresAt)})`;
    return {
      by,
      reason,
      record: (approval) => {
        audit.append({
          taskId: approval.taskId,
          actor: by,
          action: 'approval_granted',
          approvalId: approval.id,
          command: `${approval.kind}: ${approval.title}`,
          data: { grantId: grant.id, scope: grant.scope, repoId: grant.repoId, grantTaskId: grant.taskId, actions: grant.actions, createdBy: grant.createdBy, tokenFingerprint: grant.tokenFingerprint, expiresAt: isoAt(grant.expiresAt), kind: approval.kind, title: approval.title, reason: approval.reason },
        });
      },
    };
  };
}
