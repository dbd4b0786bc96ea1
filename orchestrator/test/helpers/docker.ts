/**
 * The Docker engine of the tests (sandbox, workbench and end-to-end suites): the worker image and
 * the check every such suite starts with. A missing engine or image FAILS the suite (never skips)
 * with a message that says what to do.
 */
import Docker from 'dockerode';
import { checkImage } from '../../src/sandbox';

export const IMAGE = process.env.PUSHPALS_SANDBOX_IMAGE ?? 'pushpals-worker:dev';
export const docker = new Docker();

export async function requireDocker(): Promise<void> {
  try {
    await Promise.race([docker.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 5 s')), 5000))]);
  } catch (e) {
    throw new Error(
      `These tests need a running Docker engine (${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}): ` +
        `${e instanceof Error ? e.message : String(e)}. Run \`sudo bash scripts/setup-docker.sh\` first, or point DOCKER_HOST at an engine.`,
    );
  }
  try {
    await checkImage(docker, IMAGE);
  } catch (e) {
    throw new Error(`These tests need the worker image ${IMAGE}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
