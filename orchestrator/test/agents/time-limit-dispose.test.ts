/**
 * Both workers (the built-in agent, OpenHands) start the task's running-time limit before they
 * prepare the working copy; when preparing throws (here: the task's repository is gone), the limit
 * is disposed all the same: no pause listener of the run is left registered. The real workbench
 * (never started: resolving the repository fails first), the real services and pause registry.
 */
import assert from 'node:assert/strict';
import { BuiltinAgent } from '../../src/agents/builtin/agent';
import { OpenHandsAgent } from '../../src/agents/openhands/agent';
import type { TaskAgent, TaskContext } from '../../src/agents/types';
import type { Config } from '../../src/config';
import { PushPalsError } from '../../src/errors';
import { silentLogger } from '../../src/log';
import { createServices, type ServicesHandle } from '../../src/services';
import type { PauseGate } from '../../src/tasks/task-pauses';
import { Workbench } from '../../src/workbench/workbench';
import { testConfig } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';

/** A real pause gate that counts the listeners registered on it and not yet removed. */
function countingGate(inner: PauseGate): PauseGate & { live: number } {
  const g = {
    live: 0,
    get paused() {
      return inner.paused;
    },
    wait: (signal: AbortSignal) => inner.wait(signal),
    onChange(fn: (paused: boolean) => void): () => void {
      const off = inner.onChange(fn);
      g.live++;
      let done = false;
      return () => {
        if (!done) g.live--;
        done = true;
        off();
      };
    },
  };
  return g;
}

describe('agents: the running-time limit is disposed when preparing the working copy fails', function () {
  let handle: ServicesHandle;
  let wb: Workbench;
  let config: Config;
  const models = {
    configured: () => true,
    client: (): never => {
      throw new Error('no model call is expected: preparing fails first');
    },
  };

  before(() => {
    // Made here, not when the file loads: another suite's removeTempDirs() would delete its data dir.
    config = testConfig({ sandbox: { warmPool: 0, diskLimitMb: 0 } });
    handle = createServices(config, { logger: silentLogger });
    wb = new Workbench(handle.services, { secrets: [] });
  });
  after(async () => {
    await handle.stop(0);
    removeTempDirs();
  });

  const agents: Array<[string, () => TaskAgent]> = [
    ['worker:builtin', () => new BuiltinAgent({ workbench: wb, models, secrets: [], limits: config.agent, tokensSpent: () => 0, db: handle.services.db })],
    ['openhands', () => new OpenHandsAgent({ workbench: wb, models, secrets: [], config, tokensSpent: () => 0, logger: silentLogger })],
  ];
  for (const [name, make] of agents) {
    it(`${name}: prepareWorkspace throws (repository gone) → the error comes out, no pause listener is left`, async () => {
      const task = handle.services.tasks.create({ request: 'Fix the README', sessionId: 's1', repoId: 'repo-that-was-removed' });
      const pause = countingGate(handle.services.pauses.gate(task.id));
      const unexpected = (what: string) => (): never => {
        throw new Error(`${what} is not expected before the working copy exists`);
      };
      const ctx: TaskContext = {
        task,
        agentId: name,
        signal: new AbortController().signal,
        attempt: 1,
        emit: unexpected('emit'),
        progress: () => {},
        requestApproval: unexpected('requestApproval'),
        heartbeat: () => true,
        park: (p) => p,
        pause,
      };
      const run = make().run(ctx);
      assert.equal(pause.live, 1, 'the limit listens for pauses while the run is under way');
      await assert.rejects(run, (e: unknown) => e instanceof PushPalsError && e.code === 'not_found');
      assert.equal(pause.live, 0, 'the pause listener outlived the failed run');
      handle.services.pauses.notify(task.id, true); // nothing of the run reacts any more (no throw, no timer)
    });
  }
});
