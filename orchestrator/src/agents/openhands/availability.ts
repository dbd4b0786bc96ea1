/**
 * Whether the OpenHands worker can take work now: a Docker engine and its image on it. The planner
 * is offered OpenHands for tickets only then, so a plan does not route tickets to a worker that
 * would fail them at once.
 */
import { checkImage } from '../../sandbox/image';
import type { OpenHandsWorkbench } from './agent';

export async function openHandsAvailable(wb: Pick<OpenHandsWorkbench, 'start' | 'sandboxProblem' | 'sandboxes'>, image: string): Promise<boolean> {
  try {
    await wb.start();
    if (wb.sandboxProblem) return false;
    await checkImage(wb.sandboxes.docker, image);
    return true;
  } catch {
    return false;
  }
}
