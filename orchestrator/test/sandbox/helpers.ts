import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_INSTANCE, LABEL_MANAGED, SandboxManager, checkImage, type SandboxManagerOptions } from '../../src/sandbox';

export const IMAGE = process.env.PUSHPALS_SANDBOX_IMAGE ?? 'pushpals-worker:dev';
/** One instance label per test process: cleanup never touches other people's containers. */
export const TEST_INSTANCE = `pp-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
export const docker = new Docker();

/** Fails (never skips) with an actionable message when Docker or the image is missing. */
export async function requireDocker(): Promise<void> {
  try {
    await Promise.race([docker.ping(), new Promise((_, rej) => setTimeout(() => rej(new Error('no answer within 5 s')), 5000))]);
  } catch (e) {
    throw new Error(
      `These sandbox tests need a running Docker engine (${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}): ` +
        `${e instanceof Error ? e.message : String(e)}. Run \`sudo bash scripts/setup-docker.sh\` first.`,
    );
  }
  try {
    await checkImage(docker, IMAGE);
  } catch (e) {
    throw new Error(`The sandbox tests need the image ${IMAGE}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Force-removes every container of an instance label (default: this test process's). */
export async function reapByLabel(instance = TEST_INSTANCE): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_INSTANCE}=${instance}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  return list.length;
}

export async function countByLabel(instance = TEST_INSTANCE): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_INSTANCE}=${instance}`] } })).length;
}

const tmpDirs: string[] = [];

/** A host directory owned by uid 1000 (the sandbox user), optionally a small git repo. */
export function makeWorkspace(opts: { git?: boolean; prefix?: string } = {}): string {
  const ws = mkdtempSync(join(tmpdir(), opts.prefix ?? 'pp-ws-'));
  chmodSync(ws, 0o755);
  tmpDirs.push(ws);
  writeFileSync(join(ws, 'README.md'), '# demo\n');
  if (opts.git) {
    execFileSync('sh', ['-c', 'git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm init'], { cwd: ws });
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', '1000:1000', ws]);
  return ws;
}

export function makeTempDir(prefix: string, owner1000 = false): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  if (owner1000 && process.getuid?.() === 0) chownSync(d, 1000, 1000);
  tmpDirs.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function newManager(o: SandboxManagerOptions = {}): SandboxManager {
  return new SandboxManager({ image: IMAGE, instanceId: TEST_INSTANCE, ...o });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
