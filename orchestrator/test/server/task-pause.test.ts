/**
 * task_pause / task_resume over the real server (real SQLite file, real WebSocket): an agent that
 * asks the pause gate before each step stops between steps while paused and goes on when resumed;
 * a paused task frees its worker slot; cancel works while paused; the state is stored, announced,
 * idempotent, and a finished task is a conflict. TaskPauses on its own: abort, no listener left.
 */
import assert from 'node:assert/strict';
import type { App } from '../../src/app';
import type { TaskAgent } from '../../src/agents/types';
import { TaskPauses } from '../../src/tasks/task-pauses';
import { CommandError, WsTestClient } from '../helpers/ws-client';
import { startApp } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { sleep, until } from '../helpers/wait';

/** Steps one at a time: each waits for the pause gate, then for the test to let it go. */
function steppingAgent() {
  const steps = new Map<string, number>();
  let tick: () => void = () => {};
  let next = new Promise<void>((r) => (tick = r));
  const agent: TaskAgent = {
    id: 'worker:test',
    canHandle: (t) => t.request.startsWith('test:'),
    async run(ctx) {
      if (ctx.task.request === 'test:quick') return { status: 'completed', summary: 'quick' };
      for (let i = 0; i < 3; i++) {
        await ctx.pause?.wait(ctx.signal);
        steps.set(ctx.task.id, (steps.get(ctx.task.id) ?? 0) + 1);
        await Promise.race([next, new Promise((r) => ctx.signal.addEventListener('abort', r, { once: true }))]);
        if (ctx.signal.aborted) return { status: 'failed', error: { code: 'cancelled', message: 'stopped' } };
      }
      return { status: 'completed', summary: 'three steps' };
    },
  };
  const release = () => {
    tick();
    next = new Promise<void>((r) => (tick = r));
  };
  return { agent, steps, release };
}

describe('task_pause / task_resume', () => {
  let app: App;
  let c: WsTestClient;
  let t: ReturnType<typeof steppingAgent>;
  before(async () => {
    t = steppingAgent();
    // One worker slot: a paused task must free it for the next one.
    app = await startApp({ queue: { concurrency: 1 } }, { setup: (s) => s.registerAgent(t.agent) });
    c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.start();
  });
  after(async () => {
    c.close();
    await app.close();
    removeTempDirs();
  });

  it('paused between steps: no step starts while paused, the slot is free for another task; resume goes on', async () => {
    const { taskId } = await c.send('task_new', { request: 'test:steps' });
    await until(() => t.steps.get(taskId) === 1);
    const ack = await c.send('task_pause', { taskId });
    assert.deepEqual(ack, { taskId, state: 'running', paused: true });
    await c.waitFor('task_paused', (p) => p.taskId === taskId && p.by === 'user');
    t.release(); // step 1 ends; step 2 must wait for the resume
    await sleep(300);
    assert.equal(t.steps.get(taskId), 1, 'no step starts while paused');
    assert.equal(app.services.tasks.get(taskId)?.pausedAt !== null, true, 'stored');
    assert.equal((await c.send('status_get', { taskId })).tasks[0]?.paused, true);
    // The only worker slot is free: another task runs to the end meanwhile.
    const quick = await c.send('task_new', { request: 'test:quick' });
    await c.waitFor('task_completed', (p) => p.taskId === quick.taskId);
    // Idempotent: no second event.
    assert.equal((await c.send('task_pause', { taskId })).paused, true);
    assert.equal(c.events.filter((e) => e.type === 'task_paused').length, 1);

    assert.deepEqual(await c.send('task_resume', { taskId }), { taskId, state: 'running', paused: false });
    await c.waitFor('task_resumed', (p) => p.taskId === taskId);
    await until(() => t.steps.get(taskId) === 2);
    t.release();
    await until(() => t.steps.get(taskId) === 3);
    t.release();
    await c.waitFor('task_completed', (p) => p.taskId === taskId);
    assert.equal((await c.send('status_get', { taskId })).tasks[0]?.paused, undefined);
    await assert.rejects(c.send('task_pause', { taskId }), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict');
    await assert.rejects(c.send('task_resume', { taskId: 't_nope' }), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found');
  });

  it('cancel while paused: the waiting agent stops, the task is cancelled and no longer paused', async () => {
    const { taskId } = await c.send('task_new', { request: 'test:cancel-paused' });
    await until(() => t.steps.get(taskId) === 1);
    await c.send('task_pause', { taskId });
    t.release();
    await sleep(100);
    await c.send('task_cancel', { taskId });
    await c.waitFor('task_cancelled', (p) => p.taskId === taskId);
    await until(() => c.events.some((e) => e.type === 'agent_status' && (e.payload as { taskId?: string; status: string }).taskId === taskId && (e.payload as { status: string }).status === 'idle'));
    assert.equal(t.steps.get(taskId), 1);
    assert.equal(app.services.tasks.get(taskId)?.pausedAt, null);
  });

  it('TaskPauses: wait resolves at once when not paused, on resume, rejects on abort; no listener is left', async () => {
    let paused = true;
    const pauses = new TaskPauses(() => paused);
    const gate = pauses.gate('t1');
    const ac = new AbortController();
    let resumed = false;
    const w = gate.wait(ac.signal).then(() => (resumed = true));
    await sleep(20);
    assert.equal(resumed, false);
    paused = false;
    pauses.notify('t1', false);
    await w;
    assert.equal(resumed, true);
    await gate.wait(ac.signal); // not paused: at once
    paused = true;
    const aborted = gate.wait(ac.signal);
    ac.abort('cancelled');
    await assert.rejects(aborted, (e: Error & { code?: string }) => e.code === 'cancelled');
    assert.equal((pauses as unknown as { listeners: Map<string, unknown> }).listeners.size, 0, 'no listener left behind');
  });
});
