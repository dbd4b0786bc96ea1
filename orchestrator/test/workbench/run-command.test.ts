/**
 * The run_command tool against real Docker: policy verdicts decide what runs where — an approved
 * network command runs alone in a one-off sandbox on the configured network, everything else in
 * the task's network-less sandbox; refused commands never start a container.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventPayload, EventType } from '@pushpals/protocol';
import type { TaskContext } from '../../src/agents/types';
import type { ApprovalRecord } from '../../src/approvals/approvals';
import { AuditLog } from '../../src/audit';
import { classifyCommand, EMPTY_POLICY } from '../../src/policy';
import { ClassifierPool } from '../../src/policy/classifier-pool';
import { SandboxManager } from '../../src/sandbox';
import { openDatabase, type Db } from '../../src/store/db';
import type { TaskRecord } from '../../src/tasks/task-store';
import { LazySandbox, runCommandTool, type CommandToolDeps } from '../../src/tools/run-command';
import { ToolCallJournal } from '../../src/tools/tool-call-journal';
import { systemClock } from '../../src/util/clock';
import { IMAGE, requireDocker } from '../helpers/docker';
import { removeTempDirs } from '../helpers/temp';
import { TEST_INSTANCE, countByLabel, makeWorkspace, reapByLabel } from '../sandbox/helpers';

const NETWORK = `pushpals-test-${process.pid}`;

interface Harness {
  ctx: TaskContext;
  events: Array<{ type: EventType; payload: unknown }>;
  approvals: string[];
  kinds: string[];
}

function harness(decision: ApprovalRecord['state']): Harness {
  const events: Harness['events'] = [];
  const approvals: string[] = [];
  const kinds: string[] = [];
  const task = { id: 't_net', sessionId: 's1', repoId: null, request: 'x' } as unknown as TaskRecord;
  const ctx = {
    task,
    agentId: 'worker:test',
    signal: new AbortController().signal,
    attempt: 1,
    emit: <K extends EventType>(type: K, payload: EventPayload<K>) => {
      events.push({ type, payload });
      return undefined as never;
    },
    progress: () => undefined,
    heartbeat: () => true,
    requestApproval: async (req: { command?: string; kind: string }) => {
      approvals.push(req.command ?? '');
      kinds.push(req.kind);
      return { id: 'ap_1', state: decision, decidedBy: 'user' } as ApprovalRecord;
    },
  } as unknown as TaskContext;
  return { ctx, events, approvals, kinds };
}

describe('run_command tool: network commands (real Docker)', function () {
  this.timeout(120_000);
  let db: Db;
  let dir: string;
  let manager: SandboxManager;
  let ws: string;
  const classifier = new ClassifierPool();

  before(async () => {
    await requireDocker();
    execFileSync('docker', ['network', 'create', '--internal', NETWORK], { stdio: 'ignore' });
    dir = mkdtempSync(join(tmpdir(), 'pp-runcmd-'));
    db = openDatabase(join(dir, 'db.sqlite'));
    ws = makeWorkspace({ git: true });
    manager = new SandboxManager({ image: IMAGE, instanceId: TEST_INSTANCE, allowedNetworks: [NETWORK] });
  });
  after(async () => {
    await classifier.close();
    await manager?.close();
    await reapByLabel();
    execFileSync('docker', ['network', 'rm', NETWORK], { stdio: 'ignore' });
    db?.close();
    rmSync(dir, { recursive: true, force: true });
    removeTempDirs();
  });

  const deps = (withNetwork: boolean): CommandToolDeps => {
    const audit = new AuditLog(db);
    return {
      audit,
      journal: new ToolCallJournal({ db, audit, clock: systemClock, flush: () => undefined }),
      classifier,
      policy: EMPTY_POLICY,
      secrets: [],
      timeoutMs: 20_000,
      maxOutputBytes: 64 * 1024,
      ...(withNetwork ? { networkSandbox: () => manager.acquire({ taskId: 't_net', workspaceHostPath: ws, network: NETWORK }) } : {}),
    };
  };
  const openCalls = (): number => db.prepare('SELECT COUNT(*) FROM open_tool_calls').pluck().get() as number;
  afterEach(() => assert.equal(openCalls(), 0, 'every tool call was closed'));
  const taskSandbox = () => new LazySandbox(() => manager.acquire({ taskId: 't_net', workspaceHostPath: ws }));
  // Needs network by policy (git ls-remote talks to a remote); the second part shows the interfaces.
  const NET_COMMAND = 'timeout 2 git ls-remote http://10.255.255.1/x 2>/dev/null; grep -o "^ *[a-z0-9]*:" /proc/net/dev | tr -d " :" | sort | tr "\\n" " "';

  it('without a configured network: refused before asking anyone, no container started', async () => {
    const h = harness('approved');
    const before = await countByLabel();
    const r = await runCommandTool(h.ctx, taskSandbox(), NET_COMMAND, deps(false), { key: 'n1' });
    assert.equal(r.ran, false);
    assert.match(r.reason, /needs network access/);
    assert.deepEqual(h.approvals, [], 'nobody is asked to approve what cannot run');
    assert.equal(await countByLabel(), before);
    const result = h.events.find((e) => e.type === 'tool_result')?.payload as EventPayload<'tool_result'>;
    assert.equal(result.ok, false);
  });

  it('with a network and approved: runs in a one-off sandbox that has it, then removes that sandbox', async () => {
    const h = harness('approved');
    const lazy = taskSandbox();
    const r = await runCommandTool(h.ctx, lazy, NET_COMMAND, deps(true), { key: 'n2' });
    assert.equal(h.approvals.length, 1);
    assert.equal(r.ran, true);
    assert.match(r.result?.stdout ?? '', /eth0/, `the one-off sandbox is attached to the configured network: ${JSON.stringify(r.result)}`);
    assert.equal(await countByLabel(), 0, 'the one-off sandbox is gone and the task sandbox was never started');
    // The task's own sandbox, used for an ordinary command, has only loopback.
    const plain = await runCommandTool(h.ctx, lazy, 'grep -o "^ *[a-z0-9]*:" /proc/net/dev | tr -d " :" | tr "\\n" " "', deps(true), { key: 'n3' });
    assert.equal(plain.result?.stdout.trim(), 'lo');
    await lazy.release();
  });

  it('a commit asks as a commit (no network needed), and runs in the task sandbox once approved', async () => {
    const h = harness('approved');
    const lazy = taskSandbox();
    const r = await runCommandTool(h.ctx, lazy, 'git -c user.name=t -c user.email=t@t commit --allow-empty -qm pushpals && git log --oneline | wc -l', deps(false), { key: 'c1' });
    assert.deepEqual(h.kinds, ['commit']);
    assert.equal(r.ran, true);
    assert.equal(r.result?.exitCode, 0, r.result?.stderr);
    assert.equal(r.result?.stdout.trim(), '2');
    await lazy.release();
  });

  it('with a network but denied: never runs', async () => {
    const h = harness('denied');
    const r = await runCommandTool(h.ctx, taskSandbox(), NET_COMMAND, deps(true), { key: 'n4' });
    assert.equal(r.ran, false);
    assert.equal(h.approvals.length, 1);
    assert.equal(await countByLabel(), 0);
  });

  it('a command that ran has a committed command_started row before its command row, linked by seq and tool call', async () => {
    const h = harness('approved');
    const lazy = taskSandbox();
    const r = await runCommandTool(h.ctx, lazy, 'echo started-and-done', deps(false), { key: 's1' });
    await lazy.release();
    assert.equal(r.result?.stdout.trim(), 'started-and-done');
    const rows = db.prepare(`SELECT seq, action, command, data FROM audit_log WHERE command = 'echo started-and-done' ORDER BY seq`).all() as Array<{ seq: number; action: string; data: string }>;
    assert.deepEqual(rows.map((x) => x.action), ['command_started', 'command']);
    const call = h.events.find((e) => e.type === 'tool_call')?.payload as EventPayload<'tool_call'>;
    const end = JSON.parse(rows[1]!.data) as { startedSeq: number; toolCallId: string };
    assert.equal(end.startedSeq, rows[0]!.seq);
    assert.equal(end.toolCallId, call.toolCallId);
  });

  it("follows the working copy's links on the host: cd through a committed link to .git is refused, nothing starts", async () => {
    symlinkSync('.git', join(ws, 'cfg'));
    try {
      const h = harness('approved');
      const before = await countByLabel();
      const command = 'cd cfg && echo "[core] fsmonitor = id" >> config';
      const withHost = await runCommandTool(h.ctx, taskSandbox(), command, { ...deps(false), workspaceHostPath: ws }, { key: 'l1' });
      assert.equal(withHost.verdict, 'deny');
      assert.match(withHost.reason, /\/workspace\/\.git\/config/);
      assert.equal(withHost.ran, false);
      assert.equal(await countByLabel(), before);
      // Without the host path the line reads as a write to /workspace/cfg/config (what the policy said before).
      assert.equal(classifyCommand(command, EMPTY_POLICY, { workspace: '/workspace' }).verdict, 'allow');
    } finally {
      rmSync(join(ws, 'cfg'));
    }
  });

  it('a call that fails before its command starts (no sandbox) still gets its tool_result, and nothing claims it ran', async () => {
    const h = harness('approved');
    const broken = new LazySandbox(() => Promise.reject(new Error('no engine here')));
    const before = db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number;
    await assert.rejects(runCommandTool(h.ctx, broken, 'echo never', deps(false), { key: 'b1' }), /no engine here/);
    const result = h.events.find((e) => e.type === 'tool_result')?.payload as EventPayload<'tool_result'>;
    assert.equal(result.ok, false);
    assert.equal(result.output, 'not run: no engine here');
    assert.equal(db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get(), before, 'no command_started row for a command that never started');
  });
});
