/**
 * An agent's own network command (policy `ask` + needsNetwork), once approved, runs alone in a
 * one-off egress sandbox: through the proxy and the machine's allowlist, audited per connection;
 * a host outside the allowlist is refused there too; the task's own sandbox keeps no network.
 * Real Docker, the real registry npm is configured with on this machine.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { EventPayload, EventType } from '@pushpals/protocol';
import type { TaskContext } from '../../src/agents/types';
import type { ApprovalRecord } from '../../src/approvals/approvals';
import { AuditLog } from '../../src/audit';
import { Allowlist } from '../../src/egress/allowlist';
import { detectRegistries } from '../../src/egress/registries';
import { EgressSandbox } from '../../src/egress/sandbox';
import { EMPTY_POLICY } from '../../src/policy';
import { ClassifierPool } from '../../src/policy/classifier-pool';
import { openDatabase, type Db } from '../../src/store/db';
import type { TaskRecord } from '../../src/tasks/task-store';
import { LazySandbox, runCommandTool, type CommandToolDeps } from '../../src/tools/run-command';
import { ToolCallJournal } from '../../src/tools/tool-call-journal';
import { systemClock } from '../../src/util/clock';
import { IMAGE, requireDocker } from '../helpers/docker';
import { removeTempDirs, tempDir } from '../helpers/temp';
import { makeWorkspace, newManager, reapByLabel } from '../sandbox/helpers';

describe('approved network commands run through the egress proxy (real Docker, real registry)', function () {
  this.timeout(180_000);
  let db: Db;
  let audit: AuditLog;
  let deps: CommandToolDeps;
  let ws = '';
  const manager = newManager({ image: IMAGE });
  const classifier = new ClassifierPool();
  const approvals: string[] = [];
  const events: Array<{ type: EventType; payload: unknown }> = [];
  const ctx = {
    task: { id: 't_egress', sessionId: 's1', repoId: null, request: 'x' } as unknown as TaskRecord,
    agentId: 'worker:test',
    signal: new AbortController().signal,
    attempt: 1,
    emit: <K extends EventType>(type: K, payload: EventPayload<K>) => {
      events.push({ type, payload });
      return undefined as never;
    },
    progress: () => undefined,
    heartbeat: () => true,
    requestApproval: async (req: { command?: string }) => {
      approvals.push(req.command ?? '');
      return { id: 'ap_1', state: 'approved', decidedBy: 'user' } as ApprovalRecord;
    },
  } as unknown as TaskContext;

  before(async () => {
    await requireDocker();
    const dir = tempDir('pp-egress-net-');
    db = openDatabase(join(dir, 'db.sqlite'));
    audit = new AuditLog(db);
    ws = makeWorkspace({ git: true });
    const reg = await detectRegistries({ discoverFileHosts: false });
    deps = {
      audit,
      journal: new ToolCallJournal({ db, audit, clock: systemClock, flush: () => undefined }),
      classifier,
      policy: EMPTY_POLICY,
      secrets: [],
      timeoutMs: 120_000,
      maxOutputBytes: 256 * 1024,
      networkSandbox: (c) =>
        EgressSandbox.open({
          sandboxes: manager,
          audit,
          taskId: c.task.id,
          workspaceHostPath: ws,
          socketsDir: join(dir, 'egress'),
          cacheDir: join(dir, 'cache'),
          allowlist: new Allowlist(reg.entries),
          registryEnv: reg.env,
          caFiles: reg.caFiles,
          uid: 1000,
          gid: 1000,
          actor: 'egress-proxy',
          onBlocked: (d, command) => c.emit('egress_blocked', { taskId: c.task.id, host: d.host, port: d.port, reason: d.reason, ...(command ? { command } : {}) }),
        }),
    };
  });
  after(async () => {
    await classifier.close();
    await manager.close();
    await reapByLabel();
    db?.close();
    removeTempDirs();
  });

  const rows = (action: string) => audit.listForTask('t_egress').filter((r) => r.action === action).map((r) => r.command);

  it('asks, then runs through the proxy: the registry answers, each connection is audited', async () => {
    const r = await runCommandTool(ctx, new LazySandbox(() => manager.acquire({ taskId: 't_egress', workspaceHostPath: ws })), 'npm view is-number@7.0.0 version', deps, { key: 'n1' });
    assert.deepEqual(approvals, ['npm view is-number@7.0.0 version'], 'a person was asked');
    assert.equal(r.result?.exitCode, 0, r.result?.stderr);
    assert.equal(r.result?.stdout.trim(), '7.0.0');
    assert.ok(rows('egress_allowed').length >= 1, 'the connection went through the proxy and was audited');
    assert.equal(manager.list().length, 0, 'the one-off sandbox is gone');
  });

  it('an approved command that asks for a host outside the allowlist is refused and reported', async () => {
    const r = await runCommandTool(ctx, new LazySandbox(() => manager.acquire({ taskId: 't_egress', workspaceHostPath: ws })), 'npm view left-pad version --registry https://x.invalid/ --fetch-retries 0', deps, { key: 'n2' });
    assert.notEqual(r.result?.exitCode, 0);
    assert.ok(rows('egress_refused').includes('CONNECT x.invalid:443'));
    const blocked = events.filter((e) => e.type === 'egress_blocked').map((e) => e.payload as EventPayload<'egress_blocked'>);
    assert.deepEqual(blocked.map((b) => [b.host, b.port, b.command]), [['x.invalid', 443, 'npm view left-pad version --registry https://x.invalid/ --fetch-retries 0']]);
  });

  it("the task's own sandbox still has no network: no interface but lo, no proxy socket", async () => {
    const lazy = new LazySandbox(() => manager.acquire({ taskId: 't_egress', workspaceHostPath: ws }));
    const r = await runCommandTool(ctx, lazy, 'ls /proc/sys/net/ipv4/conf; test -e /run/pushpals-egress && echo MOUNTED || echo absent', deps, { key: 'n3' });
    await lazy.release();
    assert.equal(r.result?.stdout.split('\n').filter(Boolean).join(' '), 'all default lo absent');
  });
});
