/**
 * The warm pool serving real tasks (config sandbox.warmPool > 0): a task's prepared working copy is
 * taken over by a pooled container, the task gets its real output, and the pool refills. The real
 * orchestrator (createApp + workbench), a real Docker engine, a real git repository.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { App } from '@pushpals/orchestrator';
import { closeSession, instanceIdFor, makeFixtureRepo, openSession, workingCopyDeleted } from '../helpers/e2e-env';
import { ofType, trace, waitIdle } from '../helpers/task-flow';
import type { TestClient } from '../helpers/ws-client';

/** Ids of this instance's ready pool containers (label pushpals.pool=1). */
function poolContainers(dataDir: string): string[] {
  const r = spawnSync('docker', ['ps', '-q', '--no-trunc', '--filter', `label=pushpals.instance=${instanceIdFor(dataDir)}`, '--filter', 'label=pushpals.pool=1'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

describe('warm pool end to end: tasks run in pooled sandboxes (sandbox.warmPool: 1)', function () {
  let dataDir = '';
  let app: App | undefined;
  let client: TestClient | undefined;
  let repoId = '';

  before(async function () {
    // The pool needs working copies on the data dir's filesystem: with per-task volumes it is not used (sandbox/README.md, "Disk limits").
    ({ dataDir, app, client } = await openSession('pushpals-e2e-pool-', { sandbox: { warmPool: 1, diskLimitMb: 0 } }));
    assert.ok(app.workbench, 'createApp did not install the workbench');
    await app.workbench.start();
    assert.equal(app.workbench.sandboxProblem, undefined, `sandboxes unavailable: ${app.workbench.sandboxProblem}`);
    ({ repoId } = await client.send('repo_add', { source: makeFixtureRepo() }));
  });

  after(async function () {
    await closeSession({ app, client, dataDir });
  });

  for (const run of [1, 2]) {
    it(`"Run git status on this repo" (#${run}) runs in the ready pool container, gets the real git output, and the pool refills`, async function () {
      assert.ok(app?.workbench && client && repoId, 'set-up failed');
      const sandboxes = app.workbench.sandboxes;
      await sandboxes.waitForPool(60_000);
      const [pooled, ...more] = poolContainers(dataDir);
      assert.ok(pooled && more.length === 0, `expected exactly one ready pool container, got ${[pooled, ...more].join(', ')}`);

      const { taskId } = await client.send('task_new', { request: 'Run git status on this repo', repoId });
      await waitIdle(client, taskId);
      const evs = client.forTask(taskId);
      const t = trace(client, taskId);
      const result = ofType(evs, 'tool_result')[0];
      assert.ok(result, `no tool_result:\n${t}`);
      assert.equal(result.payload.ok, true, `git status failed in the pooled sandbox:\n${t}`);
      assert.match(result.payload.stdout ?? '', new RegExp(`On branch pushpals/${taskId.replace(/[.]/g, '\\.')}\\b`), `not the task's working copy: ${JSON.stringify(result.payload.stdout)}`);
      assert.match(result.payload.stdout ?? '', /nothing to commit, working tree clean/);
      assert.equal(ofType(evs, 'task_completed').length, 1, `the task did not complete:\n${t}`);
      // Served from <dataDir>/workspaces/<task> (the git output above), deleted once the task is done.
      assert.ok(await workingCopyDeleted(dataDir, taskId), 'the working copy was not deleted after the task');

      // The pool container served the task (it is removed when the task releases it) and a new one replaced it.
      await sandboxes.waitForPool(60_000);
      const now = poolContainers(dataDir);
      assert.ok(!now.includes(pooled), 'the ready pool container was not used by the task');
      assert.equal(now.length, 1, `the pool did not refill: ${now.join(', ')}`);
      assert.deepEqual(sandboxes.poolStats(), { target: 1, ready: 1, filling: false });
    });
  }
});
