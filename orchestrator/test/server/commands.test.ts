import assert from 'node:assert/strict';
import { PROTOCOL_VERSION } from '@pushpals/protocol';
import type { App } from '../../src/app';
import type { TaskAgent } from '../../src/agents/types';
import { main as cli } from '../../src/cli';
import { writeServerInfo } from '../../src/server-info';
import { CommandError, WsTestClient } from '../helpers/ws-client';
import { startApp, storeSnapshot } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';
import { sleep } from '../helpers/wait';

/** An agent that asks for approval, then finishes; or blocks until released (to hold tasks running). */
function testAgent(): { agent: TaskAgent; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const agent: TaskAgent = {
    id: 'worker:test',
    canHandle: (t) => t.request.startsWith('test:'),
    async run(ctx) {
      if (ctx.task.request === 'test:approve') {
        const a = await ctx.requestApproval({ key: 'cmd:1', kind: 'command', title: 'Run rm -rf build', reason: 'cleanup', risk: 'medium', command: 'rm -rf build' });
        return a.state === 'approved' ? { status: 'completed', summary: 'ran it' } : { status: 'failed', error: { code: 'approval_denied', message: `approval ${a.state}` } };
      }
      ctx.progress('waiting');
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        void released.then(resolve);
      });
      return { status: 'completed', summary: 'done' };
    },
  };
  return { agent, release };
}

describe('server: chat, tasks and approvals over the protocol', () => {
  let app: App;
  let c: WsTestClient;
  let t: ReturnType<typeof testAgent>;
  before(async () => {
    t = testAgent();
    app = await startApp({}, { setup: (s) => s.registerAgent(t.agent) });
    c = await WsTestClient.connect(app.wsUrl, app.token);
    await c.start();
  });
  after(async () => {
    t.release();
    c.close();
    await app.close();
    removeTempDirs();
  });

  it('hello answers with versions and the head seq', async () => {
    const r = await c.send('hello', { clientName: 'x', clientVersion: '1' });
    assert.equal(r.protocolVersion, PROTOCOL_VERSION);
    assert.equal(r.sessionId, 's-test');
    assert.equal(r.headSeq, storeSnapshot(app.services.db).headSeq);
    const m = await c.send('chat_send', { text: 'hello' });
    const again = await c.send('hello', { clientName: 'x', clientVersion: '1' });
    assert.ok(m.messageSeq > r.headSeq && again.headSeq >= m.messageSeq, `head ${r.headSeq} → message ${m.messageSeq} → head ${again.headSeq}`);
  });

  it('a request no agent can handle fails honestly', async () => {
    const r = await c.send('task_new', { request: 'Refactor everything' });
    assert.equal(r.state, 'queued');
    await c.waitFor('task_created', (p) => p.taskId === r.taskId);
    const failed = await c.waitFor('task_failed', (p) => p.taskId === r.taskId);
    assert.match(failed.payload.error.message, /no agent is configured/);
  });

  it('the chat answers "status" while tasks are running (never blocks)', async () => {
    const a = await c.send('task_new', { request: 'test:hold one' });
    const b = await c.send('task_new', { request: 'test:hold two' });
    await c.waitFor('task_started', (p) => p.taskId === b.taskId);
    const sent = Date.now();
    const m = await c.send('chat_send', { text: 'status' });
    const reply = await c.waitFor('assistant_message', (p) => p.text.includes(a.taskId));
    // the held tasks never end by themselves: any answer shows the chat is not blocked behind them
    assert.ok(Date.now() - sent < 5000, `${Date.now() - sent} ms`);
    assert.ok(reply.seq > m.messageSeq);
    assert.match(reply.payload.text, new RegExp(`${a.taskId} \\[running\\]`));
    assert.match(reply.payload.text, new RegExp(`${b.taskId} \\[running\\]`));
    const st = await c.send('status_get', {});
    assert.equal(st.tasks.find((x) => x.taskId === a.taskId)?.state, 'running');
  });

  it('task_cancel stops a running task; cancelling again is idempotent; a finished task is a conflict', async () => {
    const r = await c.send('task_new', { request: 'test:hold cancel me' });
    await c.waitFor('task_started', (p) => p.taskId === r.taskId);
    const x = await c.send('task_cancel', { taskId: r.taskId, reason: 'changed my mind' });
    assert.equal(x.state, 'cancelled');
    await c.waitFor('task_cancelled', (p) => p.taskId === r.taskId);
    assert.equal((await c.send('task_cancel', { taskId: r.taskId })).state, 'cancelled');
    await sleep(50);
    assert.equal(app.services.tasks.get(r.taskId)?.state, 'cancelled');
    assert.equal(c.events.filter((e) => e.type === 'task_completed' && (e.payload as { taskId: string }).taskId === r.taskId).length, 0);
    const finished = await c.send('task_new', { request: 'Refactor everything' }); // no agent takes it: it fails at once
    await c.waitFor('task_failed', (p) => p.taskId === finished.taskId);
    await assert.rejects(c.send('task_cancel', { taskId: finished.taskId }), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict');
  });

  it('approval: the task waits (awaiting_approval), approve resumes it; the decision is idempotent, the opposite is a conflict', async () => {
    const r = await c.send('task_new', { request: 'test:approve' });
    const req = await c.waitFor('approval_required', (p) => p.taskId === r.taskId);
    assert.equal(app.services.tasks.get(r.taskId)?.state, 'awaiting_approval');
    assert.equal((await c.send('status_get', { taskId: r.taskId })).tasks[0]?.pendingApprovals, 1);
    const d = await c.send('approval_decide', { approvalId: req.payload.approvalId, decision: 'approve' });
    assert.equal(d.state, 'approved');
    await c.waitFor('task_completed', (p) => p.taskId === r.taskId);
    assert.equal((await c.send('approval_decide', { approvalId: req.payload.approvalId, decision: 'approve' })).state, 'approved');
    await assert.rejects(c.send('approval_decide', { approvalId: req.payload.approvalId, decision: 'deny' }), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict');
    const rec = app.services.approvals.get(req.payload.approvalId)!;
    assert.match(rec.tokenFingerprint ?? '', /^sha256:[0-9a-f]{16}$/);
  });

  it('hunk_decide records a hunk_decided event; unavailable commands get a typed error', async () => {
    const r = await c.send('task_new', { request: 'test:hold hunks' });
    await c.send('hunk_decide', { taskId: r.taskId, hunkId: 'h1', decision: 'accept' });
    await c.waitFor('hunk_decided', (p) => p.taskId === r.taskId && p.hunkId === 'h1');
    await assert.rejects(c.send('repo_add', { source: '/tmp/x' }), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found');
  });

  it('the CLI talks to the running server (task new, status) through server.json + token', async () => {
    writeServerInfo(app.services.config.dataDir, app.url, app.wsUrl);
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), env: { PUSHPALS_HOME: app.services.config.dataDir } };
    assert.equal(await cli(['task', 'new', 'test:hold', 'from', 'the', 'cli'], io), 0);
    const m = /created task (\S+) \(queued\)/.exec(out.join('\n'));
    assert.ok(m, out.join('\n'));
    assert.equal(app.services.tasks.get(m[1]!)?.request, 'test:hold from the cli');
    out.length = 0;
    assert.equal(await cli(['status'], io), 0);
    assert.match(out.join('\n'), new RegExp(m[1]!));
    out.length = 0;
    assert.equal(await cli(['token'], io), 0);
    assert.match(out.join('\n'), new RegExp(`URL:   ${app.url}[\\s\\S]*Token: ${app.token}`));
  });
});
