/**
 * Auto-commit grants on a real SQLite file with the manual clock: storage and limits, expiry and
 * revocation, which tasks a grant covers (its repository; its task and that task's tickets; never
 * another task), and the approvals a covering grant decides (approved by `grant:<id>`, no
 * `approval_required`, an audit row naming the grant) — and the ones it leaves to a person.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ApprovalService, type ApprovalRequest } from '../../src/approvals/approvals';
import { AuditLog } from '../../src/audit/audit-log';
import { PushPalsError } from '../../src/errors';
import { EventLog } from '../../src/events/event-log';
import { grantAutoApprover } from '../../src/grants/auto-approve';
import { GrantStore } from '../../src/grants/grant-store';
import { DEFAULT_GRANT_TTL_MS, MAX_GRANT_TTL_MS } from '../../src/grants/types';
import { openDatabase, type Db } from '../../src/store/db';
import { TaskStore } from '../../src/tasks/task-store';
import { ManualClock } from '../../src/util/clock';
import { removeTempDirs, tempDir } from '../helpers/temp';

const HOUR = 60 * 60 * 1000;

describe('auto-commit grants', () => {
  let db: Db;
  let clock: ManualClock;
  let events: EventLog;
  let grants: GrantStore;
  let approvals: ApprovalService;
  let audit: AuditLog;
  let tasks: TaskStore;

  const eventsOf = (type: string) => (db.prepare('SELECT json FROM events WHERE type = ? ORDER BY seq').pluck().all(type) as string[]).map((j) => (JSON.parse(j) as { payload: Record<string, unknown> }).payload);
  const task = (repoId: string, parentId?: string) => tasks.create({ request: `work in ${repoId}`, sessionId: 's1', repoId, ...(parentId ? { parentId } : {}) }).id;
  const commitReq = (taskId: string, key: string, kind: ApprovalRequest['kind'] = 'commit'): ApprovalRequest => ({ taskId, kind, title: `Commit 1 hunk to pushpals/${taskId}`, reason: 'a commit of exactly the accepted hunk', risk: 'low', key });
  const rejectsWith = (fn: () => unknown, code: string, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof PushPalsError && e.code === code && re.test(e.message));

  beforeEach(() => {
    db = openDatabase(join(tempDir('pushpals-grants-'), 'g.db'));
    clock = new ManualClock();
    events = new EventLog(db, clock);
    grants = new GrantStore({ db, events, clock });
    approvals = new ApprovalService(db, events, clock, { timeoutMs: 60_000, pollMs: 20 });
    audit = new AuditLog(db, { clock });
    tasks = new TaskStore(db, events, clock);
    approvals.setAutoApprover(grantAutoApprover(grants, audit));
  });
  afterEach(() => {
    approvals.close();
    db.close();
    removeTempDirs();
  });

  it('stores a grant with an 8 h default expiry, announces it, and lists it while active', () => {
    const g = grants.add({ repoId: 'repo-a', actions: ['push', 'commit', 'commit'], createdBy: 'user', tokenFingerprint: 'fp1', repoName: 'calc' });
    assert.equal(g.scope, 'repo');
    assert.deepEqual(g.actions, ['commit', 'push'], 'deduplicated, in a fixed order');
    assert.equal(g.expiresAt - g.createdAt, DEFAULT_GRANT_TTL_MS);
    assert.equal(g.tokenFingerprint, 'fp1');
    const [added] = eventsOf('grant_added');
    assert.deepEqual((added?.grant as { grantId: string; repoName: string; expiresAt: string }).grantId, g.id);
    assert.equal((added?.grant as { repoName: string }).repoName, 'calc');
    assert.deepEqual(grants.list().map((x) => x.id), [g.id]);
    assert.equal(grants.get(g.id)?.createdBy, 'user');
  });

  it('refuses a grant with no scope or two, no action, an unknown action, no time or more than 30 days', () => {
    rejectsWith(() => grants.add({ actions: ['commit'], createdBy: 'user' }), 'invalid_message', /exactly one/);
    rejectsWith(() => grants.add({ repoId: 'r', taskId: 't', actions: ['commit'], createdBy: 'user' }), 'invalid_message', /exactly one/);
    rejectsWith(() => grants.add({ repoId: 'r', actions: [], createdBy: 'user' }), 'invalid_message', /at least one action/);
    rejectsWith(() => grants.add({ repoId: 'r', actions: ['merge' as 'commit'], createdBy: 'user' }), 'invalid_message', /"merge" cannot be granted/);
    rejectsWith(() => grants.add({ repoId: 'r', actions: ['commit'], ttlMs: 0, createdBy: 'user' }), 'invalid_message', /30 days/);
    rejectsWith(() => grants.add({ repoId: 'r', actions: ['commit'], ttlMs: MAX_GRANT_TTL_MS + 1, createdBy: 'user' }), 'invalid_message', /30 days/);
    assert.equal(grants.add({ repoId: 'r', actions: ['commit'], ttlMs: MAX_GRANT_TTL_MS, createdBy: 'user' }).expiresAt - clock.now(), MAX_GRANT_TTL_MS);
    assert.equal(grants.list().length, 1, 'nothing of the refused ones was stored');
    assert.equal(eventsOf('grant_added').length, 1);
  });

  it('expires by the clock: active until its expiry, then covers nothing and drops out of the list', () => {
    const t = task('repo-a');
    const g = grants.add({ repoId: 'repo-a', actions: ['commit'], ttlMs: 2 * HOUR, createdBy: 'user' });
    clock.advance(2 * HOUR - 1);
    assert.equal(grants.covering(t, 'commit')?.id, g.id);
    clock.advance(1);
    assert.equal(grants.covering(t, 'commit'), undefined);
    assert.deepEqual(grants.list(), []);
    assert.deepEqual(grants.list({ includeInactive: true }).map((x) => x.id), [g.id]);
  });

  it('revocation is immediate and idempotent; an unknown grant is not_found', () => {
    const t = task('repo-a');
    const g = grants.add({ repoId: 'repo-a', actions: ['commit'], createdBy: 'user' });
    clock.advance(1000);
    const r = grants.revoke(g.id, 'extension');
    assert.equal(r.changed, true);
    assert.equal(r.grant.revokedAt, clock.now());
    assert.equal(r.grant.revokedBy, 'extension');
    assert.equal(grants.covering(t, 'commit'), undefined);
    const again = grants.revoke(g.id, 'user');
    assert.equal(again.changed, false);
    assert.equal(again.grant.revokedBy, 'extension', 'the first revocation stays');
    assert.deepEqual(eventsOf('grant_revoked'), [{ grantId: g.id, by: 'extension', revokedAt: new Date(clock.now()).toISOString() }]);
    rejectsWith(() => grants.revoke('gr_nope', 'user'), 'not_found', /no grant gr_nope/);
  });

  it('covers its repository for its actions only; a task grant covers that task and its tickets, not another task', () => {
    const a = task('repo-a');
    const b = task('repo-a');
    const other = task('repo-b');
    const repoGrant = grants.add({ repoId: 'repo-a', actions: ['commit'], createdBy: 'user' });
    assert.equal(grants.covering(a, 'commit')?.id, repoGrant.id);
    assert.equal(grants.covering(b, 'commit')?.id, repoGrant.id);
    assert.equal(grants.covering(a, 'push'), undefined, 'commit only');
    assert.equal(grants.covering(other, 'commit'), undefined, 'another repository');

    const plan = task('repo-b');
    const ticket = task('repo-b', plan);
    const taskGrant = grants.add({ taskId: plan, actions: ['commit', 'push', 'pr'], createdBy: 'user' });
    assert.equal(grants.covering(plan, 'push')?.id, taskGrant.id);
    assert.equal(grants.covering(ticket, 'pr')?.id, taskGrant.id, "a plan's task covers its tickets");
    assert.equal(grants.covering(other, 'commit'), undefined, 'a grant for task A does not cover task B');
    // Both cover: the narrower (task) grant names the decision.
    const both = grants.add({ repoId: 'repo-b', actions: ['commit'], createdBy: 'user' });
    assert.equal(grants.covering(plan, 'commit')?.id, taskGrant.id);
    grants.revoke(taskGrant.id, 'user');
    assert.equal(grants.covering(ticket, 'commit')?.id, both.id);
  });

  it('a covering grant approves a commit at once: approved by grant:<id>, no approval_required, an audit row names the grant', async () => {
    const t = task('repo-a');
    const g = grants.add({ repoId: 'repo-a', actions: ['commit'], createdBy: 'user', tokenFingerprint: 'fp1' });
    const { approval, created } = approvals.request(commitReq(t, 'commit:1'));
    assert.equal(created, true);
    assert.equal(approval.state, 'approved');
    assert.equal(approval.decidedBy, `grant:${g.id}`);
    assert.match(approval.decisionReason ?? '', new RegExp(`grant ${g.id} \\(commit for repository repo-a, by user, until `));
    assert.equal(approval.expiresAt, null);
    assert.equal((await approvals.wait(approval.id)).state, 'approved', 'a waiter returns at once');
    assert.deepEqual(eventsOf('approval_required'), []);
    assert.deepEqual(eventsOf('approved'), [{ approvalId: approval.id, taskId: t, by: `grant:${g.id}` }]);
    const rows = audit.listForTask(t, 100);
    const row = rows.find((r) => r.action === 'approval_granted');
    assert.ok(row, JSON.stringify(rows));
    assert.equal(row.actor, `grant:${g.id}`);
    assert.equal(row.approvalId, approval.id);
    const data = JSON.parse((db.prepare('SELECT data FROM audit_log WHERE action = ?').pluck().get('approval_granted') as string)) as Record<string, unknown>;
    assert.equal(data.grantId, g.id);
    assert.equal(data.kind, 'commit');
    assert.equal(approvals.pending().length, 0);
  });

  it('asks a person again once the grant expired or was revoked, for other kinds, and for tasks it does not cover', () => {
    const t = task('repo-a');
    const u = task('repo-b');
    const g = grants.add({ repoId: 'repo-a', actions: ['commit', 'push'], ttlMs: HOUR, createdBy: 'user' });
    assert.equal(approvals.request(commitReq(t, 'push:1', 'push')).approval.state, 'approved');
    assert.equal(approvals.request(commitReq(t, 'pr:1', 'pr')).approval.state, 'pending', 'pr is not granted');
    assert.equal(approvals.request(commitReq(t, 'cmd:1', 'command')).approval.state, 'pending', 'commands are never granted');
    assert.equal(approvals.request(commitReq(u, 'commit:u', 'commit')).approval.state, 'pending', 'another repository');
    clock.advance(HOUR);
    assert.equal(approvals.request(commitReq(t, 'commit:2')).approval.state, 'pending', 'expired');
    const g2 = grants.add({ repoId: 'repo-a', actions: ['commit'], createdBy: 'user' });
    assert.equal(approvals.request(commitReq(t, 'commit:3')).approval.decidedBy, `grant:${g2.id}`);
    grants.revoke(g2.id, 'user');
    assert.equal(approvals.request(commitReq(t, 'commit:4')).approval.state, 'pending', 'revoked');
    assert.equal(eventsOf('approval_required').length, 5);
    assert.notEqual(g.id, g2.id);
  });

  it('the same key after a restart finds the approval the grant decided, even once the grant is gone', () => {
    const t = task('repo-a');
    const g = grants.add({ taskId: t, actions: ['commit'], createdBy: 'user' });
    const first = approvals.request(commitReq(t, 'commit:k')).approval;
    grants.revoke(g.id, 'user');
    const again = approvals.request(commitReq(t, 'commit:k'));
    assert.equal(again.created, false);
    assert.equal(again.approval.id, first.id);
    assert.equal(again.approval.state, 'approved');
  });
});
