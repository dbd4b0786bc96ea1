/**
 * Auto-commit grants, end to end: the real orchestrator on port 0, real Docker sandboxes, a real git
 * fixture repository, a real WebSocket client, the scripted model server playing the coder, and the
 * real `pushpals grant` CLI (spawned). A repository grant makes the review's commit go ahead with NO
 * `approval_required` (approved by `grant:<id>`, the audit names the grant); after `grant revoke` the
 * next commit asks again; a grant for task A does not cover task B, and a grant for B then does.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventMessage, GrantInfo } from '@pushpals/protocol';
import { CommandError, git, makeFixtureRepo, ModelSuiteSession, runCliAsync } from '../helpers/e2e-env';
import { trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-grants-key-9c1e5b2d46807f3a';
const README = '# Grants demo\n\nTeh first line.\n';

describe('auto-commit grants (real Docker, real git, real WebSocket, the real CLI)', function () {
  this.timeout(300_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';
  let repoName = '';
  let repoDir = '';
  let repoGrant = '';
  const done: Record<string, string> = {};

  const cli = async (...args: string[]) => {
    const r = await runCliAsync(s.dataDir(), ['grant', ...args, '--url', s.app().url]);
    assert.equal(r.status, 0, `pushpals grant ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const audit = (taskId: string): Array<{ actor: string; action: string; approval_id: string | null; data: Record<string, unknown> }> => {
    const db = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      return (db.prepare('SELECT actor, action, approval_id, data FROM audit_log WHERE task_id = ? ORDER BY seq').all(taskId) as Array<{ actor: string; action: string; approval_id: string | null; data: string | null }>).map((r) => ({ ...r, data: JSON.parse(r.data ?? '{}') as Record<string, unknown> }));
    } finally {
      db.close();
    }
  };
  const approvalRow = (id: string) => {
    const db = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      return db.prepare('SELECT state, decided_by, decision_reason FROM approvals WHERE id = ?').get(id) as { state: string; decided_by: string; decision_reason: string };
    } finally {
      db.close();
    }
  };
  /** A task whose coder fixes the README's typo: its id and its one hunk. */
  const propose = async (request: string) => {
    m().script(request, [{ toolCalls: [{ name: 'write_file', arguments: { path: 'README.md', content: README.replace('Teh', 'The') } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const { taskId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), taskId, 120_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    const diff = await c().waitFor('diff_ready', (p) => p.taskId === taskId);
    assert.equal(diff.payload.hunks.length, 1);
    return { taskId, hunkId: (diff.payload.hunks[0] as { hunkId: string }).hunkId };
  };
  const ofTask = (taskId: string, type: string, after = 0): EventMessage[] => c().events.filter((e) => e.seq > after && e.type === type && (e.payload as { taskId?: string }).taskId === taskId);
  const nextCommitOrAsk = (taskId: string, after: number) =>
    c().waitForEvent((e) => e.seq > after && (e.payload as { taskId?: string }).taskId === taskId && (e.type === 'committed' || e.type === 'approval_required' || e.type === 'error'), `a commit or a commit approval of ${taskId}`, 120_000);

  before(async function () {
    await s.open('pushpals-e2e-grants-', { key: KEY, sessionId: 's-grants' });
    repoDir = makeFixtureRepo({ files: { 'README.md': README } });
    ({ repoId, name: repoName } = await c().send('repo_add', { source: repoDir }));
  });

  after(() => s.close());

  it('bad grants are refused with a typed error and nothing is stored', async function () {
    const code = (p: Promise<unknown>, want: string, path?: string) => assert.rejects(p, (e: unknown) => e instanceof CommandError && e.info.code === want && (path === undefined || e.info.path === path));
    await code(c().send('grant_add', { actions: ['commit'] }), 'invalid_message');
    await code(c().send('grant_add', { repo: repoName, taskId: 't_x', actions: ['commit'] }), 'invalid_message');
    await code(c().send('grant_add', { taskId: 't_nope', actions: ['commit'] }), 'not_found', '/payload/taskId');
    await code(c().send('grant_add', { repo: 'no-such-repo', actions: ['commit'] }), 'not_found', '/payload/repo');
    await code(c().send('grant_revoke', { grantId: 'gr_nope' }), 'not_found');
    assert.deepEqual((await c().send('grant_list', { includeInactive: true })).grants, []);
  });

  it('a repository grant (pushpals grant add): the commit goes ahead with no approval_required, approved by grant:<id>, the audit names the grant', async function () {
    const out = await cli('add', '--repo', repoName, '--actions', 'commit', '--for', '1h', '--json');
    const grant = JSON.parse(out) as GrantInfo;
    repoGrant = grant.grantId;
    assert.deepEqual([grant.scope, grant.repoId, grant.repoName, grant.actions], ['repo', repoId, repoName, ['commit']]);
    assert.equal(Date.parse(grant.expiresAt) - Date.parse(grant.createdAt), 60 * 60 * 1000);
    const added = await c().waitFor('grant_added', (p) => p.grant.grantId === repoGrant, 10_000);
    assert.equal(added.payload.grant.repoName, repoName);
    assert.match(await cli('list'), new RegExp(`${repoGrant}\\s+commit\\s+repo ${repoName}`));

    const base = git(repoDir, 'rev-parse', 'HEAD').trim();
    const { taskId, hunkId } = await propose('Fix the typo under a grant');
    done.a = taskId;
    const before = c().events.at(-1)?.seq ?? 0;
    await c().send('hunk_decide', { taskId, hunkId, decision: 'accept' });
    const outcome = await nextCommitOrAsk(taskId, before);
    assert.equal(outcome.type, 'committed', `expected the commit without asking, got ${outcome.type}: ${JSON.stringify(outcome.payload)}`);
    assert.deepEqual(ofTask(taskId, 'approval_required'), [], 'nobody was asked');
    const approved = ofTask(taskId, 'approved', before);
    assert.equal(approved.length, 1);
    const { approvalId, by } = approved[0]?.payload as { approvalId: string; by: string };
    assert.equal(by, `grant:${repoGrant}`);
    const row = approvalRow(approvalId);
    assert.equal(row.state, 'approved');
    assert.equal(row.decided_by, `grant:${repoGrant}`);
    assert.match(row.decision_reason, new RegExp(`auto-approved: grant ${repoGrant} \\(commit for repository ${repoId}`));
    const trail = audit(taskId);
    const granted = trail.find((r) => r.action === 'approval_granted');
    assert.ok(granted, JSON.stringify(trail.map((r) => r.action)));
    assert.deepEqual([granted.actor, granted.approval_id, granted.data.grantId, granted.data.kind], [`grant:${repoGrant}`, approvalId, repoGrant, 'commit']);
    const commit = trail.find((r) => r.action === 'commit');
    assert.ok(commit);
    assert.deepEqual([commit.actor, commit.approval_id], [`grant:${repoGrant}`, approvalId], 'the commit row names who approved it');
    // Still only the task branch: the person's default branch never moves.
    const sha = (outcome.payload as { sha: string; branch: string }).sha;
    assert.equal((outcome.payload as { branch: string }).branch, `pushpals/${taskId}`);
    assert.equal(git(join(s.dataDir(), 'repos', repoId), 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), sha);
    assert.equal(git(repoDir, 'rev-parse', 'main').trim(), base);
  });

  it('after pushpals grant revoke, the next commit asks again; a grant for task A does not cover task B, a grant for B does', async function () {
    assert.ok(repoGrant && done.a, 'the grant test failed earlier');
    assert.match(await cli('revoke', repoGrant), new RegExp(`revoked ${repoGrant}`));
    await c().waitFor('grant_revoked', (p) => p.grantId === repoGrant, 10_000);
    assert.match(await cli('revoke', repoGrant), /was revoked already/);
    const forA = (await c().send('grant_add', { taskId: done.a, actions: ['commit', 'push'], ttlMinutes: 30 })).grant;
    assert.equal(forA.scope, 'task');

    const { taskId: b, hunkId } = await propose('Fix the typo again, asking');
    const before = c().events.at(-1)?.seq ?? 0;
    await c().send('hunk_decide', { taskId: b, hunkId, decision: 'accept' });
    const asked = await nextCommitOrAsk(b, before);
    assert.equal(asked.type, 'approval_required', `expected the commit approval to be asked for, got ${asked.type}: ${JSON.stringify(asked.payload)}`);
    assert.equal((asked.payload as { kind: string }).kind, 'commit');
    const askedId = (asked.payload as { approvalId: string }).approvalId;
    await c().send('approval_decide', { approvalId: askedId, decision: 'deny', reason: 'not yet' });
    await c().waitFor('denied', (p) => p.approvalId === askedId, 10_000);

    // A grant for B, then "Commit…" again: no new approval_required, approved by that grant.
    const forB = (await c().send('grant_add', { taskId: b, actions: ['commit'] })).grant;
    const again = c().events.at(-1)?.seq ?? 0;
    await c().send('commit_request', { taskId: b });
    const outcome = await nextCommitOrAsk(b, again);
    assert.equal(outcome.type, 'committed', `expected the commit under B's grant, got ${outcome.type}: ${JSON.stringify(outcome.payload)}`);
    assert.deepEqual(ofTask(b, 'approval_required', again), []);
    assert.deepEqual(ofTask(b, 'approved', again).map((e) => (e.payload as { by: string }).by), [`grant:${forB.grantId}`]);
    assert.ok(audit(b).some((r) => r.action === 'approval_granted' && r.data.grantId === forB.grantId));

    const active = (await c().send('grant_list', {})).grants.map((g) => g.grantId);
    assert.deepEqual(active.sort(), [forA.grantId, forB.grantId].sort(), 'the revoked grant is not active');
    const all = (await c().send('grant_list', { includeInactive: true })).grants;
    assert.ok(all.find((g) => g.grantId === repoGrant)?.revokedAt, 'the revoked grant is kept, marked revoked');
  });
});
