/**
 * A command cut off by a crash is not lost. A real orchestrator process (`pushpals serve`) runs a
 * task whose command takes ~6 s and writes files in a real Docker sandbox; it is killed with
 * SIGKILL mid-command. Before any restart the trail already holds the command's committed
 * `command_started` row. After a restart on the same data dir: the cut-off call is closed as
 * `interrupted` (audit row + a tool_result with ok:false), the old container is reaped, the task
 * runs again per the queue's semantics and ends (not left `running`), and no container remains.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type App } from '@pushpals/orchestrator';
import { containersOf, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, spawnServeChild, startInProcessOrchestrator, tempDir, untilValue, WsTestClient, type ServeChild } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

/** Six seconds of work that leaves a file per second in the working copy. */
const SLOW_TEST = 'for i in 1 2 3 4 5 6; do echo $i > progress-$i.txt; sleep 1; done; echo all-six-done';

interface AuditRow {
  seq: number;
  action: string;
  command: string | null;
  data: string | null;
}


describe('a command cut off by SIGKILL of the orchestrator (real process, real Docker)', function () {
  this.timeout(240_000);
  let dataDir = '';
  let srv: ServeChild | undefined;
  let app: App | undefined;
  let client: WsTestClient | undefined;

  before(() => {
    requireDocker();
    dataDir = tempDir('pushpals-e2e-cmdcrash-');
  });

  after(async () => {
    const child = srv?.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    client?.close();
    await app?.close();
    if (dataDir) removeContainersOf(dataDir);
    removeTempDirs();
  });

  it('leaves a committed start row; the restart closes the call as interrupted, reaps the container and ends the task', async () => {
    const repoPath = makeFixtureRepo({ testScript: SLOW_TEST });

    // 1. A real orchestrator process.
    srv = await spawnServeChild(dataDir);
    assert.equal(srv.pid, srv.child.pid);
    const first = await WsTestClient.connect(srv.wsUrl, srv.token);
    await first.start(0);
    const { repoId } = await first.send('repo_add', { source: repoPath });
    const { taskId } = await first.send('task_new', { request: 'Run the tests', repoId });

    // 2. Mid-command: the command has written two of its six files. Kill the process, no goodbye.
    const ws = join(dataDir, 'workspaces', taskId);
    await untilValue('the command to be running (progress-2.txt)', 90_000, () => (existsSync(join(ws, 'progress-2.txt')) ? true : undefined));
    const containersBefore = containersOf(dataDir);
    srv.child.kill('SIGKILL');
    await srv.exited;
    first.close();
    assert.ok(containersBefore.length >= 1, 'the task had a sandbox');
    assert.equal(existsSync(join(ws, 'progress-6.txt')), false, 'the command was cut off before it finished');

    // 3. Before any restart: the start is on disk; nothing closed the call; the container is still up.
    const db = openDatabase(join(dataDir, 'pushpals.db'));
    try {
      const rows = db.prepare(`SELECT seq, action, command, data FROM audit_log WHERE task_id = ? ORDER BY seq`).all(taskId) as AuditRow[];
      assert.deepEqual(rows.map((r) => r.action), ['command_started'], `the killed process left: ${JSON.stringify(rows)}`);
      assert.equal(rows[0]!.command, 'npm test');
      assert.equal(db.prepare('SELECT COUNT(*) FROM open_tool_calls WHERE task_id = ? AND started_at IS NOT NULL').pluck().get(taskId), 1);
      assert.equal(db.prepare('SELECT state FROM tasks WHERE id = ?').pluck().get(taskId), 'running', 'the situation a restart must resolve');
    } finally {
      db.close();
    }
    assert.deepEqual(containersOf(dataDir).sort(), [...containersBefore].sort(), 'the sandbox outlives the killed process until a restart');

    // 4. Restart on the same data dir (in this process).
    app = await startInProcessOrchestrator(dataDir);
    for (const id of containersBefore) {
      assert.notEqual(spawnSync('docker', ['inspect', id], { encoding: 'utf8' }).status, 0, `container ${id} of the killed process was not reaped at start`);
    }
    client = await WsTestClient.connect(app.wsUrl, app.token, 'after-restart');
    await client.start(0);
    const end = await waitTerminal(client, taskId, 120_000);
    await waitIdle(client, taskId).catch(() => undefined);
    const t = trace(client, taskId);

    // The cut-off call: its tool_call has a tool_result that says so.
    const evs = client.forTask(taskId);
    const calls = ofType(evs, 'tool_call');
    const results = ofType(evs, 'tool_result');
    assert.ok(calls.length >= 2, `the re-run made a new call:\n${t}`);
    for (const c of calls) {
      assert.equal(results.filter((r) => r.payload.toolCallId === c.payload.toolCallId).length, 1, `tool_call ${c.payload.toolCallId} has exactly one tool_result:\n${t}`);
    }
    const cut = results.find((r) => r.payload.toolCallId === calls[0]!.payload.toolCallId)!;
    assert.equal(cut.payload.ok, false);
    assert.match(cut.payload.output ?? '', /^interrupted: the orchestrator process \(.*:\d+\) stopped while this command ran .*the task runs again from the start$/);

    // The trail: start, interrupted (linked to the start), then the re-run's start and result.
    const audit = app.workbench!.audit;
    const rows = audit.listForTask(taskId).map((e) => e.action);
    assert.deepEqual(rows, ['command_started', 'command_interrupted', 'command_started', 'command'], t);
    const recs = [...audit.records(taskId)];
    const interrupted = JSON.parse(recs[1]!.data ?? '{}') as { startedSeq: number; toolCallId: string };
    assert.equal(interrupted.startedSeq, recs[0]!.seq);
    assert.equal(interrupted.toolCallId, calls[0]!.payload.toolCallId);
    assert.equal(recs[1]!.command, 'npm test');
    assert.equal(audit.verify().ok, true);

    // The task ended (the queue re-ran it: attempts remained), and nothing is left open.
    assert.equal(end.type, 'task_completed', t);
    const s = await client.send('status_get', { taskId });
    assert.equal(s.tasks[0]?.state, 'completed');
    assert.equal(app.services.db.prepare('SELECT COUNT(*) FROM open_tool_calls').pluck().get(), 0);
    assert.equal(recs[3]!.exitCode, 0, 'the re-run finished the work');
    await untilValue('the working copy of the finished task to be deleted', 15_000, () => (existsSync(ws) ? undefined : true));

    client.close();
    client = undefined;
    await app.close();
    app = undefined;
    assert.deepEqual(containersOf(dataDir), [], 'no sandbox container remains');
  });
});
