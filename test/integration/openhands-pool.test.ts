/**
 * The OpenHands warm pool and pause/resume end to end: the real orchestrator, real Docker, the real
 * OpenHands agent server, a real git fixture and the scripted model behind the broker.
 *
 * 1. A task takes a warm slot (its agent server started ahead): ready in milliseconds against seconds
 *    cold; its working copy and the repository objects reach the slot through mount propagation (git
 *    works inside, the diff comes back); the slot is replaced; nothing is left after shutdown.
 * 2. Pause during a run: no model call reaches the model while paused (counted); resume: it finishes.
 * 3. Cancel while paused ends the task cleanly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenHandsAgent } from '@pushpals/orchestrator/dist/src/agents/openhands/agent';
import { mountsUnder } from '@pushpals/orchestrator/dist/src/agents/openhands/slot-mounts';
import { containersOf, makeFixtureRepo, ModelSuiteSession, removeContainersOf, removeTempDirs, requireDocker, sleep } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-openhands-pool-5d1c2b7e9a04f3aa';
const IMAGE = process.env.PUSHPALS_OPENHANDS_IMAGE ?? 'pushpals-openhands:dev';
const README = '# Demo project\n\nTeh project says hello.\n';
const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: 120_000 });

describe('OpenHands warm pool and pause/resume (real Docker, real agent server, scripted model)', function () {
  this.timeout(900_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';

  const agent = (): OpenHandsAgent => {
    const a = s.app().services.agents.list().find((x) => x.id === 'openhands') as OpenHandsAgent | undefined;
    assert.ok(a?.pool, 'the OpenHands agent has a pool');
    return a;
  };
  /** This instance's OpenHands containers (pool slots and running tasks). */
  const ohContainers = (): string[] => containersOf(s.dataDir()).filter((id) => docker('inspect', '--format', '{{index .Config.Labels "pushpals.openhands"}}', id).stdout.trim() === '1');
  const start = async (request: string): Promise<string> => (await c().send('task_new', { request, repoId, agent: 'openhands' })).taskId;
  const fixScript = (request: string) =>
    m().script(request, [
      { toolCalls: [{ name: 'terminal', arguments: { command: 'git status --short && cat README.md' } }] },
      { toolCalls: [{ name: 'file_editor', arguments: { command: 'str_replace', path: '/workspace/README.md', old_str: 'Teh project', new_str: 'The project' } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'Fixed the typo.' } }] },
    ]);

  before(async function () {
    requireDocker();
    assert.equal(docker('image', 'inspect', IMAGE).status, 0, `the OpenHands image ${IMAGE} is missing: build it with \`sudo bash scripts/setup-openhands-image.sh\``);
    // The planner off: a task given to OpenHands runs on it whole (with the planner on it would be a plan whose tickets run there).
    await s.open('pushpals-e2e-ohpool-', { key: KEY, overrides: { agent: { maxSteps: 12 }, openhands: { warmPool: 1 }, planner: { enabled: false } }, sessionId: 'ohpool-session', waitMs: 300_000 });
    repoId = (await c().send('repo_add', { source: makeFixtureRepo({ files: { 'README.md': README } }) })).repoId;
  });

  after(async function () {
    const { client, app, model, dataDir } = s.parts;
    client?.close();
    await app?.close();
    await model?.close();
    if (!dataDir) return;
    // After shutdown: nothing of ours in Docker, no mount or slot directory left (checked before the forced cleanup).
    const left = containersOf(dataDir);
    const mounts = mountsUnder(dataDir);
    const poolDir = join(dataDir, 'openhands', '.pool');
    const slots = existsSync(poolDir) ? readdirSync(poolDir) : [];
    removeContainersOf(dataDir);
    if (!mounts.length) removeTempDirs();
    assert.deepEqual(left, [], 'no container of this instance after shutdown');
    assert.deepEqual(mounts, [], 'no mount left under the data dir');
    assert.deepEqual(slots, [], 'no slot directory left');
  });

  it('a task from a warm slot is ready far sooner than cold; the slot is replaced; the copy and objects reach it', async function () {
    const pool = agent().pool;
    assert.ok(pool);
    await pool.waitFull(300_000);
    assert.equal(pool.stats().ready, 1);
    fixScript('Warm: fix the typo');
    const warmId = await start('Warm: fix the typo');
    const warmEnd = await waitTerminal(c(), warmId, 300_000);
    await waitIdle(c(), warmId);
    assert.equal(warmEnd.type, 'task_completed', trace(c(), warmId));
    const warm = agent().lastStats;
    assert.ok(warm?.pooled, 'the task used a pool slot');
    // git ran inside the slot (objects bound read-only after start): the diff came back from there.
    const diff = ofType(c().forTask(warmId), 'diff_ready')[0];
    assert.deepEqual(diff?.payload.files, ['README.md'], trace(c(), warmId));
    assert.equal(readFileSync(join(s.dataDir(), 'workspaces', warmId, 'README.md'), 'utf8'), README.replace('Teh', 'The'));

    // Replaced in the background; then a cold start for comparison (the pool drained by hand first).
    await pool.waitFull(300_000);
    const drained = pool.take();
    assert.ok(drained);
    await drained.remove();
    fixScript('Cold: fix the typo');
    const coldId = await start('Cold: fix the typo');
    const coldEnd = await waitTerminal(c(), coldId, 300_000);
    await waitIdle(c(), coldId);
    assert.equal(coldEnd.type, 'task_completed', trace(c(), coldId));
    const cold = agent().lastStats;
    assert.equal(cold?.pooled, false);
    console.log(`      start → ready: warm ${warm.readyMs.toFixed(0)} ms, cold ${cold.readyMs.toFixed(0)} ms`);
    assert.ok(warm.readyMs * 5 < cold.readyMs, `warm ${warm.readyMs} ms should be far below cold ${cold.readyMs} ms`);
    // Only the pool's own container is left (the tasks' are removed with them).
    await pool.waitFull(300_000);
    assert.equal(ohContainers().length, 1, 'of the OpenHands containers only the replacement slot is left');
  });

  it('pause during a run: the command finishes, no model call reaches the model while paused; resume: it finishes', async function () {
    await agent().pool?.waitFull(300_000);
    const request = 'Pause OpenHands: write a note';
    m().script(request, [
      { toolCalls: [{ name: 'terminal', arguments: { command: 'sleep 3 && echo slept', timeout: 60 } }] },
      { toolCalls: [{ name: 'file_editor', arguments: { command: 'create', path: '/workspace/NOTE.md', file_text: 'paused and resumed\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'Wrote NOTE.md.' } }] },
    ]);
    const taskId = await start(request);
    await c().waitForEvent((e) => e.type === 'tool_call' && (e.payload as { taskId: string }).taskId === taskId, 'tool_call sleep', 300_000);
    assert.equal((await c().send('task_pause', { taskId })).paused, true);
    const result = await c().waitFor('tool_result', (p) => p.taskId === taskId, 120_000);
    assert.match(result.payload.stdout ?? result.payload.output ?? '', /slept/, trace(c(), taskId));
    await sleep(4000);
    assert.equal(m().chatRequests(request).length, 1, 'no model call reached the model while paused');
    assert.equal(ofType(c().forTask(taskId), 'tool_call').length, 1, 'no new action while paused');
    assert.equal((await c().send('task_resume', { taskId })).paused, false);
    const end = await waitTerminal(c(), taskId, 300_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    assert.equal(m().chatRequests(request).length, 3);
    assert.deepEqual(ofType(c().forTask(taskId), 'diff_ready')[0]?.payload.files, ['NOTE.md']);
  });

  it('cancel while paused ends the task cleanly: task_cancelled, its container gone', async function () {
    await agent().pool?.waitFull(300_000);
    const slots = ohContainers();
    const request = 'Pause then cancel OpenHands';
    m().script(request, [{ toolCalls: [{ name: 'terminal', arguments: { command: 'echo first' } }] }, { toolCalls: [{ name: 'finish', arguments: { message: 'never reached' } }] }]);
    const taskId = await start(request);
    await c().waitForEvent((e) => e.type === 'tool_call' && (e.payload as { taskId: string }).taskId === taskId, 'tool_call echo', 300_000);
    await c().send('task_pause', { taskId });
    await c().waitFor('tool_result', (p) => p.taskId === taskId, 120_000);
    await sleep(2000);
    assert.equal(m().chatRequests(request).length, 1);
    await c().send('task_cancel', { taskId, reason: 'not needed' });
    await c().waitFor('task_cancelled', (p) => p.taskId === taskId);
    await waitIdle(c(), taskId);
    assert.equal(m().chatRequests(request).length, 1, 'nothing reached the model after the pause');
    for (const id of slots) assert.notEqual(docker('inspect', id).status, 0, `the slot container ${id} the task took is removed`);
  });

});
