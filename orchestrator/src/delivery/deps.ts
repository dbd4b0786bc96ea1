import type { Services } from '../services';
import type { Workbench } from '../workbench/workbench';

/** What delivery needs: the services (events, queue, approvals, config) and the workbench (repos, audit). */
export interface DeliveryDeps {
  services: Services;
  wb: Workbench;
  /** Opens the pull request; the forge client by default (tests may point it elsewhere through config). */
  env?: NodeJS.ProcessEnv;
}
