/** Diff review: hunk decisions, the commit of exactly the accepted hunks, the task branch. See README.md. */
import { COMMIT_QUEUE, runCommitJob } from './commit-job';
import { registerReviewCommands } from './commands';
import type { ReviewDeps } from './deps';

export type { ReviewDeps } from './deps';
export { reviewNeedsWorkingCopy } from './review-state';
export { branchHead, startTaskBranch, taskBranch } from './task-branch';
export { COMMIT_QUEUE };

/** Registers the review's commands and the commit job. */
export function installReview(full: ReviewDeps): ReviewDeps {
  registerReviewCommands(full);
  full.services.registerJobHandler(COMMIT_QUEUE, (job, jctx) => runCommitJob(full, job, jctx));
  return full;
}
