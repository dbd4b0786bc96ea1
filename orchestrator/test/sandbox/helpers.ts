import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_INSTANCE, LABEL_MANAGED, SandboxManager, type SandboxManagerOptions } from '../../src/sandbox';
import { IMAGE, docker } from '../helpers/docker';
import { tempDir } from '../helpers/temp';

/** One instance label per test process: cleanup never touches other people's containers. */
export const TEST_INSTANCE = `pp-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/** Force-removes every container of an instance label (default: this test process's). */
export async function reapByLabel(instance = TEST_INSTANCE): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_INSTANCE}=${instance}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  return list.length;
}

export async function countByLabel(instance = TEST_INSTANCE): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=1`, `${LABEL_INSTANCE}=${instance}`] } })).length;
}

/** A host directory owned by uid 1000 (the sandbox user), optionally a small git repo. */
export function makeWorkspace(opts: { git?: boolean; prefix?: string } = {}): string {
  const ws = tempDir(opts.prefix ?? 'pp-ws-', { mountable: true });
  writeFileSync(join(ws, 'README.md'), '# demo\n');
  if (opts.git) {
    execFileSync('sh', ['-c', 'git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm init'], { cwd: ws });
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', '1000:1000', ws]);
  return ws;
}

export function newManager(o: SandboxManagerOptions = {}): SandboxManager {
  return new SandboxManager({ image: IMAGE, instanceId: TEST_INSTANCE, ...o });
}
