/**
 * A command cut off by a crash is not lost. A real orchestrator process (`pushpals serve`) runs a
 * task whose command takes ~6 s and writes files in a real Docker sandbox; it is killed with
 * SIGKILL mid-command. Before any restart the trail already holds the command's committed
 * `command_started` row. After a restart on the same data dir: the cut-off call is closed as
 * `interrupted` (audit row + a tool_result with ok:false), the old container is reaped, the task
 * runs again per the queue's semantics and ends (not left `running`), and no container remains.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type App } from '@pushpals/orchestrator';
import { CLI, REPO_ROOT, containersOf, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, sleep, startOrchestrator, tempDir } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { TestClient } from '../helpers/ws-client';

/** Six seconds of work that leaves a file per second in the working copy. */
const SLOW_TEST = 'for i in 1 2 3 4 5 6; do echo $i > progress-$i.txt; sleep 1; done; echo all-six-done';

interface AuditRow {
  seq: number;
  action: string;
  command: string | null;
  data: string | null;
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a command cut off by SIGKILL of the orchestrator (real process, real Docker)', function () {
  this.timeout(240_000);
  let dataDir = '';
  let child: ChildProcess | undefined;
  let app: App | undefined;
  let client: TestClient | undefined;
  let childLog = '';

  before(() => {
    requireDocker();
    dataDir = tempDir('pushpals-e2e-cmdcrash-');
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    client?.close();
    await app?.close();
    if (dataDir) removeContainersOf(dataDir);
    removeTempDirs();
  });

  it('leaves a committed start row; the restart closes the call as interrupted, reaps the container and ends the task', async () => {
    const repoPath = makeFixtureRepo({ testScript: SLOW_TEST });

    // 1. A real orchestrator process.
    child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: REPO_ROOT, env: { ...process.env, PUSHPALS_HOME: dataDir, PUSHPALS_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (childLog += d.toString()));
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    const info = await until('server.json of the child', 30_000, () => {
      if (child!.exitCode !== null) throw new Error(`the orchestrator exited early:\n${childLog}`);
      const f = join(dataDir, 'server.json');
      return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { wsUrl: string; pid: number }) : undefined;
    });
    assert.equal(info.pid, child.pid);
    const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
    const first = await TestClient.connect(info.wsUrl, token);
    await first.start(0);
    const { repoId } = await first.send('repo_add', { source: repoPath });
    const { taskId } = await first.send('task_new', { request: 'Run the tests', repoId });

    // 2. Mid-command: the command has written two of its six files. Kill the process, no goodbye.
    const ws = join(dataDir, 'workspaces', taskId);
    await until('the command to be running (progress-2.txt)', 90_000, () => (existsSync(join(ws, 'progress-2.txt')) ? true : undefined));
    const containersBefore = containersOf(dataDir);
    child.kill('SIGKILL');
    await exited;
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
    app = await startOrchestrator(dataDir);
    for (const id of containersBefore) {
      assert.notEqual(spawnSync('docker', ['inspect', id], { encoding: 'utf8' }).status, 0, `container ${id} of the killed process was not reaped at start`);
    }
    client = await TestClient.connect(app.wsUrl, app.token, 'after-restart');
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
    await until('the working copy of the finished task to be deleted', 15_000, () => (existsSync(ws) ? undefined : true));

    client.close();
    client = undefined;
    await app.close();
    app = undefined;
    assert.deepEqual(containersOf(dataDir), [], 'no sandbox container remains');
  });
});
