/**
 * The tool-call journal's recovery on a real SQLite file: which open calls are cut off (their
 * process is dead, or their job no longer runs under their lease) and which are left to the process
 * still running them; a started call gets a `command_interrupted` audit row, a waiting one only its
 * tool_result. Also: a task whose job ran out of attempts across crashes is failed, not left running.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit';
import { EventLog } from '../../src/events/event-log';
import { silentLogger } from '../../src/log';
import { JobQueue } from '../../src/queue/job-queue';
import { openDatabase, type Db } from '../../src/store/db';
import { TaskStore } from '../../src/tasks/task-store';
import { ToolCallJournal, recoverInterruptedToolCalls } from '../../src/tools/tool-call-journal';
import { ManualClock } from '../../src/util/clock';
import { removeTempDirs, startApp, tempDir } from '../helpers/env';

/** A pid that existed and is gone now. */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
};

describe('tools: tool-call journal recovery', () => {
  let db: Db;
  let clock: ManualClock;
  let events: EventLog;
  let audit: AuditLog;
  let queue: JobQueue;
  let tasks: TaskStore;

  beforeEach(() => {
    db = openDatabase(join(tempDir(), 'j.db'));
    clock = new ManualClock();
    events = new EventLog(db, clock, { groupCommit: false });
    audit = new AuditLog(db, { clock });
    queue = new JobQueue({ db, events, clock }, { leaseMs: 30_000, backoffBaseMs: 1000, backoffMaxMs: 60_000, maxAttempts: 3 });
    tasks = new TaskStore(db, events, clock);
  });
  afterEach(() => {
    db.close();
    removeTempDirs();
  });

  /** An open call as another process would have left it; `started`: with its command_started row. */
  function leaveOpen(id: string, o: { host?: string; pid: number; jobId?: string; leaseOwner?: string; started?: boolean }): void {
    const task = tasks.create({ request: `task of ${id}`, sessionId: 's1' });
    let seq: number | null = null;
    if (o.started) seq = audit.append({ taskId: task.id, actor: 'worker:heuristic', action: 'command_started', command: `run ${id}`, cwd: '/workspace', verdict: 'allow' }).seq;
    db.prepare(
      `INSERT INTO open_tool_calls (tool_call_id, task_id, session_id, agent_id, tool, host, pid, job_id, lease_owner, opened_at, started_at, audit_seq) VALUES (?, ?, 's1', 'worker:heuristic', 'run_command', ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, task.id, o.host ?? hostname(), o.pid, o.jobId ?? null, o.leaseOwner ?? null, clock.now(), o.started ? clock.now() : null, seq);
  }
  const recover = () => recoverInterruptedToolCalls({ db, events, audit, clock, logger: silentLogger });
  const open = () => db.prepare('SELECT tool_call_id FROM open_tool_calls ORDER BY tool_call_id').pluck().all() as string[];
  const resultOf = (id: string) => {
    const row = db.prepare(`SELECT json FROM events WHERE type = 'tool_result' AND json LIKE ?`).get(`%"toolCallId":"${id}"%`) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as { payload: { ok: boolean; output: string; durationMs: number } }).payload : undefined;
  };

  it('closes the calls of a dead local process: a started one with an audit row, a waiting one with its result only', () => {
    const gone = deadPid();
    leaveOpen('tc_started', { pid: gone, started: true });
    leaveOpen('tc_waiting', { pid: gone });
    clock.advance(4000);
    assert.equal(recover(), 2);
    assert.deepEqual(open(), []);
    const started = resultOf('tc_started')!;
    assert.equal(started.ok, false);
    assert.match(started.output, /^interrupted: .* stopped while this command ran \(started 4 s before/);
    assert.equal(started.durationMs, 4000);
    assert.match(resultOf('tc_waiting')!.output, /^not run: .* stopped before this command started/);
    const rows = [...audit.records()];
    assert.deepEqual(rows.map((r) => r.action), ['command_started', 'command_interrupted']);
    assert.equal(rows[1]!.command, 'run tc_started');
    assert.equal((JSON.parse(rows[1]!.data!) as { startedSeq: number }).startedSeq, rows[0]!.seq);
    assert.equal(audit.verify().ok, true);
    assert.equal(recover(), 0, 'idempotent');
  });

  it('leaves the calls a live process is still running; another host’s call closes when its job is no longer leased to it', () => {
    leaveOpen('tc_live_local', { pid: process.ppid, started: true });
    const job = queue.enqueue({ queue: 'task.run', key: 'k1' }).job;
    const claimed = queue.claim('otherhost:7:wabc', ['task.run'])!;
    leaveOpen('tc_remote', { host: 'another-host.invalid', pid: 7, jobId: job.id, leaseOwner: claimed.leaseOwner!, started: true });
    leaveOpen('tc_remote_nojob', { host: 'another-host.invalid', pid: 8 });
    assert.equal(recover(), 0);
    assert.deepEqual(open(), ['tc_live_local', 'tc_remote', 'tc_remote_nojob']);
    clock.advance(31_000); // the remote worker stopped heartbeating: its lease expires, the job is requeued
    assert.equal(queue.recoverExpired(), 1);
    assert.equal(recover(), 1);
    assert.deepEqual(open(), ['tc_live_local', 'tc_remote_nojob']);
    assert.match(resultOf('tc_remote')!.output, /the task runs again from the start$/);
  });

  it('a call of this process is left alone while it runs, and closed by its own close()', () => {
    const journal = new ToolCallJournal({ db, audit, clock, flush: () => undefined });
    const task = tasks.create({ request: 'x', sessionId: 's1' });
    journal.open({ toolCallId: 'tc_here', taskId: task.id, sessionId: 's1', agentId: 'worker:heuristic', tool: 'run_command' }, () => undefined);
    journal.started('tc_here', { taskId: task.id, actor: 'worker:heuristic', command: 'sleep 1' });
    assert.equal(recover(), 0);
    journal.close('tc_here', { taskId: task.id, actor: 'worker:heuristic', action: 'command', exitCode: 0 }, () => undefined);
    assert.deepEqual(open(), []);
    // Not in flight any more, same pid (e.g. the DB closed under it at shutdown): a left-over row is cut off.
    leaveOpen('tc_same_pid_gone', { pid: process.pid });
    assert.equal(recover(), 1);
  });
});

describe('tasks: a task whose job ran out of attempts is failed, not left running', function () {
  this.timeout(30_000);
  after(() => removeTempDirs());

  it('fails it at start with the job’s last error', async () => {
    const dataDir = tempDir();
    let app = await startApp({ dataDir, queue: { maxAttempts: 1 } }, { workbench: false });
    const task = app.services.createTask({ request: 'anything', sessionId: 's1' });
    await app.close();
    // What a process that died during the last attempt leaves: a running task, its job leased to a dead pid.
    const db = openDatabase(join(dataDir, 'pushpals.db'));
    db.prepare(`UPDATE jobs SET state = 'running', attempts = max_attempts, lease_owner = ?, lease_until = ? WHERE task_id = ?`).run(`${hostname()}:${deadPid()}:wdead`, Date.now() + 60_000, task.id);
    db.prepare(`UPDATE tasks SET state = 'running' WHERE id = ?`).run(task.id);
    db.close();
    app = await startApp({ dataDir, queue: { maxAttempts: 1 } }, { workbench: false });
    try {
      const t = app.services.tasks.require(task.id);
      assert.equal(t.state, 'failed');
      assert.match(t.error?.message ?? '', /its job failed for good \(worker process died: job recovered at start\)/);
    } finally {
      await app.close();
    }
  });
});
