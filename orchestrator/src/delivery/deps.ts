import type { Services } from '../services';
import type { Workbench } from '../workbench/workbench';

/** What delivery needs: the services (events, queue, approvals, config) and the workbench (repos, audit). */
export interface DeliveryDeps {
  services: Services;
  wb: Workbench;
  /** Where the forge token variables are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}
