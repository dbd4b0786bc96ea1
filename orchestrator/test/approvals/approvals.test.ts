import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ApprovalService, type ApprovalRequest } from '../../src/approvals/approvals';
import { AuditLog } from '../../src/audit';
import { PushPalsError } from '../../src/errors';
import { EventLog } from '../../src/events/event-log';
import { openDatabase, type Db } from '../../src/store/db';
import { ManualClock } from '../../src/util/clock';
import { removeTempDirs, tempDir } from '../helpers/temp';

const req = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  taskId: 't1',
  kind: 'command',
  title: 'Run git push',
  reason: 'publishes the branch',
  risk: 'high',
  command: 'git push origin pushpals/t1',
  key: 'push:1',
  ...over,
});

describe('approvals', () => {
  let file: string;
  let db: Db;
  let clock: ManualClock;
  let svc: ApprovalService;
  const open = () => {
    db = openDatabase(file);
    svc = new ApprovalService(db, new EventLog(db, clock), clock, { timeoutMs: 60_000, pollMs: 20 });
  };
  const eventTypes = () => db.prepare(`SELECT type FROM events ORDER BY seq`).pluck().all() as string[];

  beforeEach(() => {
    file = join(tempDir(), 'a.db');
    clock = new ManualClock();
    open();
  });
  afterEach(() => {
    svc.close();
    db.close();
    removeTempDirs();
  });

  it('request persists and emits approval_required with an expiry; the same key returns the same approval', () => {
    const a = svc.request(req());
    assert.equal(a.created, true);
    assert.equal(a.approval.state, 'pending');
    assert.equal(a.approval.expiresAt, clock.now() + 60_000);
    const b = svc.request(req());
    assert.equal(b.created, false);
    assert.equal(b.approval.id, a.approval.id);
    assert.deepEqual(eventTypes(), ['approval_required']);
    const ev = JSON.parse(db.prepare(`SELECT json FROM events`).pluck().get() as string) as { payload: Record<string, unknown> };
    assert.equal(ev.payload.command, 'git push origin pushpals/t1');
    assert.equal(ev.payload.risk, 'high');
  });

  it('decisions are idempotent: first wins, repeat is a no-op, the opposite is a conflict', () => {
    const { approval } = svc.request(req());
    const d1 = svc.decide(approval.id, 'approve', 'user', { tokenFingerprint: 'sha256:abc' });
    assert.equal(d1.changed, true);
    assert.equal(d1.approval.state, 'approved');
    assert.equal(d1.approval.tokenFingerprint, 'sha256:abc');
    clock.advance(1000);
    const d2 = svc.decide(approval.id, 'approve', 'other-client');
    assert.equal(d2.changed, false);
    assert.deepEqual(d2.approval, d1.approval, 'a repeat changes nothing (who, when, fingerprint)');
    assert.throws(() => svc.decide(approval.id, 'deny', 'user'), (e: unknown) => e instanceof PushPalsError && e.code === 'conflict');
    assert.deepEqual(svc.get(approval.id), d1.approval, 'the first decision still stands');
    assert.throws(() => svc.decide('ap_missing', 'deny', 'user'), (e: unknown) => e instanceof PushPalsError && e.code === 'not_found');
    assert.deepEqual(eventTypes(), ['approval_required', 'approved']);
  });

  it('expiry: a pending approval past its time is expired (denied event), and a late decision cannot approve it', () => {
    const { approval } = svc.request(req());
    const never = svc.request(req({ key: 'forever', expiresInMs: 0 })).approval;
    clock.advance(60_001);
    const late = svc.decide(approval.id, 'approve', 'user');
    assert.equal(late.approval.state, 'expired');
    assert.equal(late.changed, false);
    assert.equal(svc.expireDue(), 0, 'already expired');
    assert.equal(svc.get(never.id)?.state, 'pending', 'no expiry when 0');
    const types = eventTypes();
    assert.equal(types.at(-1), 'denied');
  });

  it('wait resolves on the decision; an abort rejects with cancelled', async () => {
    const { approval } = svc.request(req());
    const p = svc.wait(approval.id);
    setTimeout(() => svc.decide(approval.id, 'deny', 'user', { reason: 'no' }), 5);
    const r = await p;
    assert.equal(r.state, 'denied');
    assert.equal(r.decisionReason, 'no');
    const other = svc.request(req({ key: 'k2' })).approval;
    const ac = new AbortController();
    const w = svc.wait(other.id, ac.signal);
    ac.abort();
    await assert.rejects(w, (e: unknown) => e instanceof PushPalsError && e.code === 'cancelled');
  });

  it('a pending approval survives a restart; the re-run finds it by key and waits again; a decision from another process is seen', async () => {
    const first = svc.request(req()).approval;
    svc.close();
    db.close();
    open(); // "restart"
    const again = svc.request(req());
    assert.equal(again.created, false);
    assert.equal(again.approval.id, first.id);
    assert.equal(again.approval.state, 'pending');
    const waiting = svc.wait(first.id);
    // Another process decides on the same DB file.
    const db2 = openDatabase(file);
    const other = new ApprovalService(db2, new EventLog(db2, clock), clock, { timeoutMs: 60_000 });
    other.decide(first.id, 'approve', 'user');
    const r = await waiting;
    assert.equal(r.state, 'approved');
    other.close();
    db2.close();
  });

  it('denyAllForTask denies every pending approval of a task (cancellation)', () => {
    svc.request(req({ key: 'a' }));
    svc.request(req({ key: 'b' }));
    svc.request(req({ key: 'c', taskId: 't2' }));
    assert.equal(svc.denyAllForTask('t1', 'orchestrator', 'task cancelled'), 2);
    assert.equal(svc.pending().length, 1);
  });
  it('each decision (approve, deny, expiry) is one approval_decided audit row, in the decision\'s transaction; a repeat adds none', () => {
    const audit = new AuditLog(db, { clock });
    const audited = new ApprovalService(db, new EventLog(db, clock), clock, { timeoutMs: 60_000, audit });
    const a = audited.request(req({ key: 'a' })).approval;
    const b = audited.request(req({ key: 'b', kind: 'commit' })).approval;
    const c = audited.request(req({ key: 'c' })).approval;
    audited.decide(a.id, 'approve', 'extension');
    audited.decide(a.id, 'approve', 'extension');
    audited.decide(b.id, 'deny', 'phone', { reason: 'not now' });
    clock.advance(60_001);
    audited.expireDue();
    const rows = [...audit.records('t1')].map((r) => [r.action, r.approvalId, r.actor, JSON.parse(r.data ?? '{}') as unknown]);
    assert.deepEqual(rows, [
      ['approval_decided', a.id, 'extension', { kind: 'command', key: 'a', state: 'approved' }],
      ['approval_decided', b.id, 'phone', { kind: 'commit', key: 'b', state: 'denied' }],
      ['approval_decided', c.id, 'orchestrator', { kind: 'command', key: 'c', state: 'expired' }],
    ]);
    assert.equal(audit.verify().ok, true);
    audited.close();
  });
});
