/** Delivery of a committed task branch: push and pull request, each behind its own approval. See README.md. */
import { registerDeliveryCommands } from './commands';
import type { DeliveryDeps } from './deps';
import { PR_QUEUE, PUSH_QUEUE, runPrJob, runPushJob } from './jobs';

export type { DeliveryDeps } from './deps';
export { PR_QUEUE, PUSH_QUEUE };

export function installDelivery(deps: DeliveryDeps): void {
  registerDeliveryCommands(deps);
  deps.services.registerJobHandler(PUSH_QUEUE, (job, jctx) => runPushJob(deps, job, jctx));
  deps.services.registerJobHandler(PR_QUEUE, (job, jctx) => runPrJob(deps, job, jctx));
}
