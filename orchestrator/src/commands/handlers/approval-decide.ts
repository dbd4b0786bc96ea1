import type { CommandHandler } from '../registry';

/** Idempotent: the first decision wins; repeating it acks again, contradicting it is a conflict. */
export const approvalDecide: CommandHandler<'approval_decide'> = (cmd, { services, tokenFingerprint }) => {
  const { approvalId, decision, reason } = cmd.payload;
  const { approval } = services.approvals.decide(approvalId, decision, cmd.from, { tokenFingerprint, ...(reason !== undefined ? { reason } : {}) });
  const state = approval.state === 'pending' ? 'expired' : approval.state; // pending cannot happen after decide
  return { approvalId, state };
};
