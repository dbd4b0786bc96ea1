import type { ModelRegistry } from '../model/registry';
import type { Services } from '../services';
import type { Workbench } from '../workbench/workbench';
import type { TreeChecks } from '../checks/run';

/** What the review needs: the services, the workbench (repos, audit, sandboxes), secrets, models, checks. */
export interface ReviewDeps {
  services: Services;
  wb: Workbench;
  /** The orchestrator's own secrets: a commit adding one is blocked. */
  secrets: readonly string[];
  models?: ModelRegistry;
  /** Run on the exact tree of a commit that leaves hunks out. */
  checks: Pick<TreeChecks, 'run'>;
}
