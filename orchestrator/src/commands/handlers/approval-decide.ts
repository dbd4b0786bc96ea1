import { PushPalsError } from '../../errors';
import type { CommandHandler } from '../registry';

/**
 * Idempotent: the first decision wins; repeating it acks again, contradicting it is a conflict. A commit
 * approval may carry an edited commit message; on any other kind a message is refused.
 */
export const approvalDecide: CommandHandler<'approval_decide'> = (cmd, { services, tokenFingerprint }) => {
  const { approvalId, decision, reason, message } = cmd.payload;
  if (message !== undefined) {
    const kind = services.approvals.get(approvalId)?.kind;
    if (kind && kind !== 'commit') throw new PushPalsError('invalid_message', `a message goes with commit approvals only; ${approvalId} is a ${kind} approval`, undefined, '/payload/message');
  }
  const details = message !== undefined && decision === 'approve' ? { message } : undefined;
  const { approval } = services.approvals.decide(approvalId, decision, cmd.from, { tokenFingerprint, ...(reason !== undefined ? { reason } : {}), ...(details ? { details } : {}) });
  const state = approval.state === 'pending' ? 'expired' : approval.state; // pending cannot happen after decide
  return { approvalId, state };
};
