import { pullRequestTextProblem } from '@pushpals/protocol';
import { PushPalsError } from '../../errors';
import type { CommandHandler } from '../registry';

/**
 * Idempotent: the first decision wins; repeating it acks again, contradicting it is a conflict. A commit
 * approval may carry an edited commit message, a `pr` approval an edited title and body (checked against
 * GitHub's limits now, so a too-long text is refused while the approval still waits); any other
 * combination is refused.
 */
export const approvalDecide: CommandHandler<'approval_decide'> = (cmd, { services, tokenFingerprint }) => {
  const { approvalId, decision, reason, message, title, body } = cmd.payload;
  const kind = message !== undefined || title !== undefined || body !== undefined ? services.approvals.get(approvalId)?.kind : undefined;
  if (kind && message !== undefined && kind !== 'commit') throw new PushPalsError('invalid_message', `a message goes with commit approvals only; ${approvalId} is a ${kind} approval`, undefined, '/payload/message');
  if (kind && (title !== undefined || body !== undefined) && kind !== 'pr') throw new PushPalsError('invalid_message', `a title and body go with pull request (pr) approvals only; ${approvalId} is a ${kind} approval`, undefined, title !== undefined ? '/payload/title' : '/payload/body');
  const problem = pullRequestTextProblem({ title, body });
  if (problem) throw new PushPalsError('invalid_message', `${problem} (nothing was decided)`, undefined, title !== undefined && pullRequestTextProblem({ title }) ? '/payload/title' : '/payload/body');
  const edits = { ...(message !== undefined ? { message } : {}), ...(title !== undefined ? { title } : {}), ...(body !== undefined ? { body } : {}) };
  const details = decision === 'approve' && Object.keys(edits).length ? edits : undefined;
  const { approval } = services.approvals.decide(approvalId, decision, cmd.from, { tokenFingerprint, ...(reason !== undefined ? { reason } : {}), ...(details ? { details } : {}) });
  const state = approval.state === 'pending' ? 'expired' : approval.state; // pending cannot happen after decide
  return { approvalId, state };
};
