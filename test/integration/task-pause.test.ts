/**
 * Pause / resume of a task run by the built-in agent, end to end: the real orchestrator, a real Docker
 * sandbox, a real git fixture, a real WebSocket client and the scripted model (requests counted).
 *
 * 1. Pause while a command runs: the command finishes, no further model call starts while paused
 *    (counted at the model), the state shows paused (status_get, the client reducer); the paused
 *    state survives an orchestrator restart; resume → the task finishes.
 * 2. Cancel while paused ends the task cleanly. Pausing a finished task is a conflict.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from '@pushpals/orchestrator';
import { ScriptedModelServer } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import { applyEvents, createClientState } from '@pushpals/protocol';
import { makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, runCliAsync, sleep, startInProcessOrchestrator, tempDir, WsTestClient } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-pause-key-2b9e7c4a1d3f5068';

describe('pause / resume with the built-in agent (real Docker, real git, scripted model)', function () {
  this.timeout(240_000);
  let dataDir = '';
  let app: App | undefined;
  let client: WsTestClient | undefined;
  let model: ScriptedModelServer | undefined;
  let repoId = '';

  const c = (): WsTestClient => {
    assert.ok(client, 'no client: the suite set-up failed');
    return client;
  };
  const m = (): ScriptedModelServer => {
    assert.ok(model);
    return model;
  };
  const url = (): string => app?.url ?? '';
  const boot = async (): Promise<void> => {
    assert.ok(model);
    app = await startInProcessOrchestrator(dataDir, { models: { baseUrl: model.url, model: 'scripted-coder', maxRetries: 1 }, agent: { maxSteps: 8 }, planner: { enabled: false } });
    client = await WsTestClient.connect(app.wsUrl, app.token, 'pause-session', 120_000);
    await client.start(0);
  };
  const toolCallOf = (taskId: string, command: string) => c().waitForEvent((e) => e.type === 'tool_call' && (e.payload as { taskId: string }).taskId === taskId && (e.payload as { args: { command?: string } }).args.command === command, `tool_call ${command}`);

  before(async function () {
    requireDocker();
    model = await ScriptedModelServer.start({ apiKey: KEY, models: ['scripted-coder'] });
    dataDir = tempDir('pushpals-e2e-pause-');
    writeFileSync(join(dataDir, 'model-key'), `${KEY}\n`, { mode: 0o600 });
    await boot();
    repoId = (await c().send('repo_add', { source: makeFixtureRepo({ files: { 'notes.txt': 'one\n' } }) })).repoId;
  });

  after(async function () {
    client?.close();
    await app?.close();
    await model?.close();
    if (dataDir) removeContainersOf(dataDir);
    removeTempDirs();
  });

  it('pause during a command: it finishes, no model call while paused, paused across a restart; resume finishes the task', async function () {
    const request = 'Pause me: append a line to notes.txt';
    m().script(request, [
      { toolCalls: [{ name: 'run_command', arguments: { command: 'sleep 2 && echo slept' } }] },
      { toolCalls: [{ name: 'run_command', arguments: { command: 'echo two >> notes.txt' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Appended a line.' } }] },
    ]);
    const { taskId } = await c().send('task_new', { request, repoId, agent: 'worker:builtin' });
    await toolCallOf(taskId, 'sleep 2 && echo slept');
    const ack = await c().send('task_pause', { taskId });
    assert.deepEqual([ack.taskId, ack.paused], [taskId, true]);
    await c().waitFor('task_paused', (p) => p.taskId === taskId);
    // The running command finishes; its result is recorded.
    const result = await c().waitFor('tool_result', (p) => p.taskId === taskId);
    assert.equal(result.payload.ok, true, trace(c(), taskId));
    assert.match(result.payload.stdout ?? '', /slept/);
    // Paused: no new model call (counted at the model) and no new tool call.
    await sleep(2500);
    assert.equal(m().chatRequests(request).length, 1, 'no model call while paused');
    assert.equal(ofType(c().forTask(taskId), 'tool_call').length, 1);
    const [summary] = (await c().send('status_get', { taskId })).tasks;
    assert.equal(summary?.paused, true);
    const state = createClientState();
    applyEvents(state, c().events);
    assert.equal(state.tasks.get(taskId)?.paused, true, 'the client state shows the task paused');
    assert.equal(await c().send('task_pause', { taskId }).then((r) => r.paused), true, 'pausing again is a no-op');
    assert.equal(ofType(c().forTask(taskId), 'task_paused').length, 1);

    // A restart keeps the paused state: the re-run waits before its next model call.
    c().close();
    await app?.close();
    await boot();
    assert.equal((await c().send('status_get', { taskId })).tasks[0]?.paused, true, 'paused after the restart');
    await sleep(2500);
    assert.equal(m().chatRequests(request).length, 1, 'no model call after the restart while paused');

    // From a terminal: the list shows it paused; `pushpals task resume` resumes it.
    const listed = await runCliAsync(dataDir, ['task', 'list', '--url', url()], 60_000);
    assert.match(listed.stdout, new RegExp(`${taskId}\\s+running \\(paused\\)`), listed.stderr);
    const resumed = await runCliAsync(dataDir, ['task', 'resume', taskId, '--url', url()], 60_000);
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`task ${taskId}: running$`, 'm'));
    const end = await waitTerminal(c(), taskId, 120_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    assert.ok(ofType(c().forTask(taskId), 'task_resumed').length === 1);
    assert.equal(m().chatRequests(request).length, 3);
    const after = createClientState();
    applyEvents(after, c().events);
    assert.equal(after.tasks.get(taskId)?.paused, undefined, 'a finished task is not paused');
  });

  it('cancel while paused ends the task cleanly; pausing a finished task is a conflict', async function () {
    const request = 'Pause then cancel';
    m().script(request, [{ toolCalls: [{ name: 'run_command', arguments: { command: 'echo first' } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'never reached' } }] }]);
    const { taskId } = await c().send('task_new', { request, repoId, agent: 'worker:builtin' });
    await c().send('task_pause', { taskId });
    await c().waitFor('task_paused', (p) => p.taskId === taskId);
    await c().waitFor('task_started', (p) => p.taskId === taskId); // its job runs, held before its first model call
    // The CLI says so too (pausing again changes nothing).
    const paused = await runCliAsync(dataDir, ['task', 'pause', taskId, '--url', url()], 60_000);
    assert.match(paused.stdout, new RegExp(`task ${taskId}: \\w+ \\(paused\\)`), paused.stderr);
    await sleep(1000);
    assert.equal(m().chatRequests(request).length, 0, 'a task paused before its first model call makes none');
    await c().send('task_cancel', { taskId, reason: 'not needed' });
    await c().waitFor('task_cancelled', (p) => p.taskId === taskId);
    await waitIdle(c(), taskId);
    assert.equal(m().chatRequests(request).length, 0);
    assert.equal((await c().send('status_get', { taskId })).tasks[0]?.paused, undefined, 'a cancelled task is not paused');
    await assert.rejects(c().send('task_pause', { taskId }), (e: Error & { info?: { code: string } }) => e.info?.code === 'conflict');
  });
});
