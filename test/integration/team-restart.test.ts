/**
 * The agent team across an orchestrator crash, and plan approval.
 *
 * Crash: a real orchestrator process (`pushpals serve`) works a ticket with the scripted model; it is
 * SIGKILLed while the ticket's third tool call (a 30 s command) runs in its container. Restarted on
 * the same data dir, the ticket resumes from its stored conversation: the planner is not asked
 * again, no model call of the ticket is repeated (the scripted server's recorded requests show each
 * step once, the resumed request carrying the earlier replies), the cut-off call comes back to the
 * model as interrupted, the old container is reaped and none is left at the end.
 *
 * Approval: with planner.requireApproval, a plan waits for an approval of kind `plan` (its tickets
 * shown but not started); approved, it runs; denied, its tickets are cancelled.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type App } from '@pushpals/orchestrator';
import { ScriptedModelServer, type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import { containersOf, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, sleep, spawnServeChild, startInProcessOrchestrator, tempDir, unmountLeftovers, untilValue, WsTestClient, type ServeChild } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { fileOnBranch, planFor, ticket, ticketConv, waitTickets } from '../helpers/team-flow';

const lastText = (r: RecordedRequest): string => (typeof r.last?.content === 'string' ? r.last.content : JSON.stringify(r.last?.content ?? ''));
const expectLast = (role: string, re: RegExp) => (r: RecordedRequest) => (r.last?.role !== role ? `expected a ${role} message last, got ${r.last?.role}` : re.test(lastText(r)) ? undefined : `expected the last message to match ${re}, got ${JSON.stringify(lastText(r).slice(0, 300))}`);

describe('the agent team across an orchestrator crash (real process, SIGKILL, restart; real Docker, git, SQLite; scripted model)', function () {
  this.timeout(240_000);
  let dataDir = '';
  let srv: ServeChild | undefined;
  let app: App | undefined;
  let model: ScriptedModelServer | undefined;
  const clients: WsTestClient[] = [];

  before(async () => {
    await requireDocker();
    dataDir = tempDir('pushpals-e2e-team-crash-');
    model = await ScriptedModelServer.start({ models: ['scripted-team'] });
  });

  after(async () => {
    const child = srv?.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const cl of clients) cl.close();
    await app?.close();
    await model?.close();
    if (dataDir) {
      removeContainersOf(dataDir);
      unmountLeftovers(dataDir);
    }
    removeTempDirs();
  });

  it('SIGKILL mid-ticket, restart: the ticket resumes at its next step; no model call is made twice; no container is left', async () => {
    const m = model ?? assert.fail('no model server');
    const request = 'Resume after a crash';
    const title = 'Write two files';
    m.script(planFor(request), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: 'One ticket.', tickets: [ticket('R1', title, ['a.txt', 'late.txt'])] } }] }]);
    m.script(ticketConv('R1', title), [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'one\n' } }] },
      { toolCalls: [{ name: 'read_file', arguments: { path: 'a.txt' } }] },
      { toolCalls: [{ name: 'run_command', arguments: { command: 'sleep 30 && echo late > late.txt' } }] },
      // After the restart: the same conversation, the cut-off command answered as interrupted.
      { expect: expectLast('tool', /Not completed: the orchestrator restarted/), toolCalls: [{ name: 'finish', arguments: { summary: 'a.txt written; the slow command was cut off.' } }] },
    ]);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ models: { baseUrl: m.url, model: 'scripted-team' } }));

    // 1. A real orchestrator process works the ticket until its slow command runs.
    srv = await spawnServeChild(dataDir);
    const first = await WsTestClient.connect(srv.wsUrl, srv.token, 'crash-session', 60_000);
    clients.push(first);
    await first.start(0);
    const { repoId } = await first.send('repo_add', { source: makeFixtureRepo() });
    const { taskId: planId } = await first.send('task_new', { request, repoId });
    const r1 = (await waitTickets(first, planId, 1)).get('R1')?.taskId ?? assert.fail('no ticket R1');
    await first.waitFor('tool_call', (p) => p.taskId === r1 && p.tool === 'run_command', 90_000);
    await untilValue('the ticket\'s container', 60_000, () => (containersOf(dataDir).length >= 1 ? true : undefined));
    await sleep(500); // the command is running in it

    // 2. Kill it: no goodbye. Three model calls of the ticket were made and stored.
    srv.child.kill('SIGKILL');
    await srv.exited;
    first.close();
    assert.equal(m.chatRequests(String(ticketConv('R1', title))).length, 3);
    const db = openDatabase(join(dataDir, 'pushpals.db'));
    try {
      const stored = db.prepare(`SELECT json FROM agent_messages WHERE task_id = ? ORDER BY idx`).pluck().all(r1) as string[];
      assert.deepEqual(stored.map((j) => (JSON.parse(j) as { role: string }).role), ['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
    } finally {
      db.close();
    }

    // 3. Restart on the same data dir: the ticket resumes; the plan is not made again.
    app = await startInProcessOrchestrator(dataDir);
    const second = await WsTestClient.connect(app.wsUrl, app.token, 'crash-session', 60_000);
    clients.push(second);
    await second.start(0);
    const end = await waitTerminal(second, planId, 120_000);
    await waitIdle(second, planId);
    const t = `${trace(second, planId)}\n${trace(second, r1)}\n${srv.log().slice(-2000)}`;
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m.unscripted, []);
    assert.equal(m.chatRequests(String(planFor(request))).length, 1, 'the planner was asked again');
    const reqs = m.chatRequests(String(ticketConv('R1', title)));
    assert.deepEqual(reqs.map((r) => r.step), [0, 1, 2, 3], 'a model call of the ticket was repeated');
    // The resumed request continues the stored conversation: the replies of steps 0-2 are in it.
    const resumed = reqs[3]?.body?.messages ?? [];
    const callIds = resumed.flatMap((msg) => msg.tool_calls?.map((tc) => tc.id) ?? []);
    assert.deepEqual(callIds, ['call_0_0', 'call_1_0', 'call_2_0'], t);
    assert.equal(resumed.length, (reqs[2]?.body?.messages.length ?? 0) + 2, 'the resumed request is the stored one plus the interrupted call and its reply');

    // The cut-off command is closed as interrupted; the ticket's change is on its branch.
    const results = ofType(second.forTask(r1), 'tool_result').filter((e) => e.payload.tool === 'run_command');
    assert.ok(results.some((e) => !e.payload.ok), t);
    const mirror = app.workbench?.repos.get(repoId)?.mirrorPath ?? assert.fail('no mirror');
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${r1}`, 'a.txt'), 'one\n');
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'late.txt'), undefined);
    await app.close();
    app = undefined;
    assert.deepEqual(containersOf(dataDir), [], 'a sandbox container was left behind');
  });
});

describe('plan approval (planner.requireApproval; real Docker, git, SQLite; scripted model)', function () {
  this.timeout(120_000);
  let app: App | undefined;
  let model: ScriptedModelServer | undefined;
  let client: WsTestClient | undefined;
  let dataDir = '';
  let repoId = '';

  before(async () => {
    await requireDocker();
    model = await ScriptedModelServer.start({ models: ['scripted-team'] });
    dataDir = tempDir('pushpals-e2e-team-approval-');
    app = await startInProcessOrchestrator(dataDir, { models: { baseUrl: model.url, model: 'scripted-team' }, planner: { requireApproval: true } });
    client = await WsTestClient.connect(app.wsUrl, app.token, 'approval-session', 60_000);
    await client.start(0);
    repoId = (await client.send('repo_add', { source: makeFixtureRepo() })).repoId;
  });

  after(async () => {
    client?.close();
    await app?.close();
    await model?.close();
    if (dataDir) removeContainersOf(dataDir);
    removeTempDirs();
  });

  it('the plan waits for an approval of kind "plan" (tickets shown, not started); approved, it runs; denied, its tickets are cancelled', async () => {
    const m = model ?? assert.fail('no model');
    const c = client ?? assert.fail('no client');
    for (const request of ['Approved plan', 'Denied plan']) {
      m.script(planFor(request), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: `${request}.`, tickets: [ticket('P1', `${request} ticket`, ['p.txt'])] } }] }]);
      m.script(ticketConv('P1', `${request} ticket`), [{ toolCalls: [{ name: 'finish', arguments: { summary: 'ok' } }] }]);
    }
    const ok = (await c.send('task_new', { request: 'Approved plan', repoId })).taskId;
    const ar = await c.waitFor('approval_required', (p) => p.taskId === ok).catch((e: unknown) => assert.fail(`${String(e)}\n${trace(c, ok)}`));
    assert.equal(ar.payload.kind, 'plan');
    assert.match(ar.payload.reason, /Plan: Approved plan\.\nTickets:\n- P1 \[queued\] Approved plan ticket \(scope: p\.txt\)/);
    const p1 = (await waitTickets(c, ok, 1)).get('P1')?.taskId ?? assert.fail('no P1');
    await sleep(500);
    assert.equal(ofType(c.forTask(p1), 'task_started').length, 0, 'a ticket started before the plan was approved');
    assert.equal((await c.send('status_get', { taskId: ok })).tasks[0]?.state, 'awaiting_approval');
    await c.send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'approve' });
    assert.equal((await waitTerminal(c, ok, 60_000)).type, 'task_completed', trace(c, ok));

    const no = (await c.send('task_new', { request: 'Denied plan', repoId })).taskId;
    const ar2 = await c.waitFor('approval_required', (p) => p.taskId === no);
    const p2 = (await waitTickets(c, no, 1)).get('P1')?.taskId ?? assert.fail('no P1');
    await c.send('approval_decide', { approvalId: ar2.payload.approvalId, decision: 'deny', reason: 'too risky' });
    const end = await waitTerminal(c, no, 60_000);
    assert.equal(end.type, 'task_failed', trace(c, no));
    assert.equal((end.payload as { error: { code: string } }).error.code, 'approval_denied');
    await c.waitFor('task_cancelled', (p) => p.taskId === p2);
    assert.equal(m.chatRequests(String(ticketConv('P1', 'Denied plan ticket'))).length, 0);
  });
});
