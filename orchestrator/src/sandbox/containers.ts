/**
 * The Docker containers of one sandbox manager: created from the hardened spec with this instance's
 * labels, remembered until removed (so `close()` removes every one it made, even one a failed start
 * left), and the reaping of what a previous run of this instance left (never another instance's).
 */
import type Docker from 'dockerode';
import { explainDockerError } from './image';
import { LABEL_INSTANCE, LABEL_MANAGED, LABEL_POOL, LABEL_SANDBOX } from './container-spec';

export class SandboxContainers {
  private readonly made = new Set<string>();

  constructor(
    private readonly docker: Docker,
    private readonly instanceId: string,
    private readonly log: (msg: string) => void,
  ) {}

  /** The labels of a container of this instance: a task's (`taskId`) or a pool slot's (`pushpals.pool=1`). */
  labels(taskId: string, pool: boolean): Record<string, string> {
    return { [LABEL_MANAGED]: '1', [LABEL_INSTANCE]: this.instanceId, [LABEL_SANDBOX]: taskId || 'pool', ...(pool ? { [LABEL_POOL]: '1' } : {}) };
  }

  /** Creates and starts a container; one that will not start is removed. Docker's errors explained (`sandbox_unavailable`, …). */
  async start(spec: Docker.ContainerCreateOptions, image: string): Promise<Docker.Container> {
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(spec);
    } catch (e) {
      throw explainDockerError(e, image);
    }
    this.made.add(container.id);
    try {
      await container.start();
    } catch (e) {
      await this.remove(container.id);
      throw explainDockerError(e, image);
    }
    return container;
  }

  /** Force-removes a container with its anonymous volumes; already gone (404) or being removed (409) is fine. */
  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) this.log(`sandbox ${id.slice(0, 12)}: remove failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.made.delete(id);
  }

  /** Removes every container this manager made and has not removed yet. */
  async removeAll(): Promise<void> {
    await Promise.all([...this.made].map((id) => this.remove(id)));
  }

  /**
   * Removes every container labelled for this instance (all instances with allInstances) except
   * `keep` (the ones in use now); says how many of them were warm-pool slots (sandbox or OpenHands).
   */
  async reap(keep: ReadonlySet<string>, o: { allInstances?: boolean } = {}): Promise<{ removed: number; pool: number }> {
    const label = [`${LABEL_MANAGED}=1`];
    if (!o.allInstances) label.push(`${LABEL_INSTANCE}=${this.instanceId}`);
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({ all: true, filters: { label } });
    } catch (e) {
      throw explainDockerError(e);
    }
    const victims = list.filter((c) => !keep.has(c.Id));
    await Promise.all(victims.map((c) => this.remove(c.Id)));
    return { removed: victims.length, pool: victims.filter((c) => c.Labels?.[LABEL_POOL] === '1').length };
  }
}
