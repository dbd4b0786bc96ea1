/**
 * Diff review to a commit, end to end: the real orchestrator on port 0, a real Docker sandbox, a real
 * git fixture repository, a real WebSocket client, the scripted model server playing the coding agent's
 * model. A two-file diff (three hunks) → one hunk rejected, two accepted → the commit approval carries
 * exactly the accepted diff → approved with an edited message → the tests re-run on that exact tree in
 * the sandbox → `committed`; fetched into the person's repository as pushpals/<task>, host git there
 * shows exactly the accepted hunks. A planted AWS key blocks the commit (file, line, rule; audited); a
 * denied commit leaves the branch where it was and the working copy in place; decisions are checked.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventMessage, EventPayload } from '@pushpals/protocol';
import { CommandError, git, makeFixtureRepo, ModelSuiteSession } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-review-key-5b2d46807f3a9c1e';
const README = ['# Review demo', '', 'Teh first paragraph.', '', ...Array.from({ length: 12 }, (_, i) => `Line ${i + 1} of the middle.`), '', 'The last paragraph has a typo: recieve.', ''].join('\n');
const README_NEW = README.replace('Teh first', 'The first').replace('recieve', 'receive');
const CONFIG = "module.exports = { retries: 1, name: 'demo' };\n";
const CONFIG_NEW = "module.exports = { retries: 3, name: 'demo' };\n";
const TEST_SCRIPT = `node -e "const c = require('./src/config.js'); if (!c.retries) process.exit(1); console.log('config ok', c.retries)"`;
const AWS_KEY = 'AKIA4HFJ2KQ7ZT3WXBNM';

describe('diff review → commit of exactly the accepted hunks (real Docker, real git, real WebSocket)', function () {
  this.timeout(240_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';
  let repoDir = '';

  const mirror = (): string => join(s.dataDir(), 'repos', repoId);
  /** Host git on the orchestrator's own (bare) clone: a test fixture we made, read-only use. */
  const branchSha = (taskId: string): string => git(mirror(), 'rev-parse', `refs/heads/pushpals/${taskId}`).trim();
  const auditActions = (taskId: string): Array<{ action: string; stdout: string | null; data: Record<string, unknown> }> => {
    const db = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      return (db.prepare('SELECT action, stdout, data FROM audit_log WHERE task_id = ? ORDER BY seq').all(taskId) as Array<{ action: string; stdout: string | null; data: string | null }>).map((r) => ({ ...r, data: JSON.parse(r.data ?? '{}') as Record<string, unknown> }));
    } finally {
      db.close();
    }
  };
  /** Runs a task whose model writes `files` and finishes; returns its id and diff_ready. */
  const proposeChanges = async (request: string, writes: Array<{ path: string; content: string }>, includeUncommitted = false, repo = repoId) => {
    m().script(request, [...writes.map((w) => ({ toolCalls: [{ name: 'write_file', arguments: w }] })), { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const { taskId } = await c().send('task_new', { request, repoId: repo, includeUncommitted });
    const end = await waitTerminal(c(), taskId, 120_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    const diff = await c().waitFor('diff_ready', (p) => p.taskId === taskId);
    return { taskId, diff: diff.payload };
  };
  const decide = (taskId: string, hunkId: string, decision: 'accept' | 'reject') => c().send('hunk_decide', { taskId, hunkId, decision });
  /** The first commit approval of the task after seq `after`. */
  const commitApproval = async (taskId: string, after = 0): Promise<EventMessage<'approval_required'>> =>
    (await c().waitForEvent((e) => e.seq > after && e.type === 'approval_required' && (e.payload as { taskId: string; kind: string }).taskId === taskId && (e.payload as { kind: string }).kind === 'commit', `a commit approval of ${taskId}`, 60_000)) as EventMessage<'approval_required'>;

  before(async function () {
    await s.open('pushpals-e2e-review-', { key: KEY, overrides: { planner: { enabled: false } }, sessionId: 's-review' });
    repoDir = makeFixtureRepo({ testScript: TEST_SCRIPT, files: { 'README.md': README, 'src/config.js': CONFIG } });
    repoId = (await c().send('repo_add', { source: repoDir })).repoId;
  });

  after(() => s.close());

  it('two files, three hunks: one rejected → the approval shows exactly the accepted diff → tests re-run on that tree → committed; fetched into the repo, git shows exactly the accepted hunks', async function () {
    const base = git(repoDir, 'rev-parse', 'HEAD').trim();
    const { taskId, diff } = await proposeChanges('Polish the docs text and raise the retries', [{ path: 'README.md', content: README_NEW }, { path: 'src/config.js', content: CONFIG_NEW }]);
    assert.equal(diff.baseCommit, base);
    assert.deepEqual(diff.files, ['README.md', 'src/config.js']);
    assert.deepEqual(diff.hunks.map((h) => h.file), ['README.md', 'README.md', 'src/config.js']);
    assert.equal(branchSha(taskId), base, 'the task branch starts at the base');
    const [top, bottom, config] = diff.hunks.map((h) => h.hunkId) as [string, string, string];

    // What a client needs to show it: the base content of each file.
    const review = await c().send('review_get', { taskId });
    assert.equal(review.baseCommit, base);
    assert.deepEqual(review.files, [{ path: 'README.md', base: README }, { path: 'src/config.js', base: CONFIG }]);

    await assert.rejects(decide(taskId, 'h9_9', 'accept'), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found');
    await decide(taskId, top, 'accept');
    await decide(taskId, bottom, 'accept');
    await decide(taskId, bottom, 'reject'); // a change of mind: the latest decision counts
    const before = c().events.at(-1)?.seq ?? 0;
    await decide(taskId, config, 'accept');

    const approval = await commitApproval(taskId, before);
    const patch = approval.payload.patch ?? '';
    assert.match(patch, /^-Teh first paragraph\.\n\+The first paragraph\./m);
    assert.match(patch, /^-module\.exports = \{ retries: 1/m);
    assert.doesNotMatch(patch, /receive/, 'the rejected hunk is not in the commit');
    assert.match(approval.payload.message ?? '', /^Polish the docs text/);
    assert.match(approval.payload.reason, /exactly the 2 accepted hunk\(s\) of 3 \(1 rejected\)[\s\S]*repository's checks run on that exact tree/);

    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve', message: 'Fix the first typo, raise retries\n\nEdited in review.' });
    const outcome = await c().waitForEvent((e) => ((e.type === 'check_result' && (e.payload as { phase?: string }).phase === 'commit') || e.type === 'error') && (e.payload as { taskId?: string }).taskId === taskId, 'the check result on the committed tree', 120_000);
    assert.equal(outcome.type, 'check_result', JSON.stringify(outcome.payload));
    const check = outcome as EventMessage<'check_result'>;
    assert.equal(check.payload.status, 'passed', check.payload.output);
    assert.equal(check.payload.command, 'npm test');
    assert.match(check.payload.output, /config ok 3/, 'the check ran on the tree with the accepted config hunk');
    assert.equal(check.payload.phase, 'commit');
    assert.match(check.payload.outputHash ?? '', /^sha256:[0-9a-f]{64}$/);
    const committed = await c().waitFor('committed', (p) => p.taskId === taskId, 60_000);
    // The evidence names the exact commit and tree that became the task branch.
    assert.equal(check.payload.commit, committed.payload.sha);
    assert.equal(committed.payload.branch, `pushpals/${taskId}`);
    assert.deepEqual(committed.payload.hunks, [top, config]);
    assert.equal(committed.payload.message, 'Fix the first typo, raise retries\n\nEdited in review.');
    assert.equal(branchSha(taskId), committed.payload.sha);

    // Into the person's repository as a local branch: host git there (our fixture) shows exactly the accepted hunks.
    const fetched = await c().send('branch_fetch', { taskId });
    assert.deepEqual([fetched.branch, fetched.sha, fetched.repoPath], [`pushpals/${taskId}`, committed.payload.sha, repoDir]);
    assert.equal(check.payload.treeId, git(repoDir, 'rev-parse', `${committed.payload.sha}^{tree}`).trim(), 'the check ran on exactly the committed tree');
    assert.equal(git(repoDir, 'rev-parse', `pushpals/${taskId}^`).trim(), base);
    assert.equal(git(repoDir, 'show', `pushpals/${taskId}:README.md`), README.replace('Teh first', 'The first'));
    assert.equal(git(repoDir, 'show', `pushpals/${taskId}:src/config.js`), CONFIG_NEW);
    assert.deepEqual(git(repoDir, 'diff', '--name-only', base, `pushpals/${taskId}`).trim().split('\n'), ['README.md', 'src/config.js']);
    assert.equal(git(repoDir, 'log', '-1', '--format=%B', `pushpals/${taskId}`).trim(), 'Fix the first typo, raise retries\n\nEdited in review.');
    assert.equal(git(repoDir, 'rev-parse', 'main').trim(), base, 'the default branch never moves');
    assert.equal(git(repoDir, 'status', '--porcelain'), '', 'the person\'s working tree is untouched');
    git(repoDir, 'fsck', '--no-dangling');

    // The trail: the proposed diff, each decision, the exact diff committed with its sha.
    const trail = auditActions(taskId);
    const actions = trail.map((a) => a.action);
    assert.ok(actions.includes('diff_proposed'));
    assert.deepEqual(trail.filter((a) => a.action === 'hunk_decided').map((a) => [a.data.hunkId, a.data.decision]), [[top, 'accept'], [bottom, 'accept'], [bottom, 'reject'], [config, 'accept']]);
    const commitRow = trail.find((a) => a.action === 'commit');
    assert.equal(commitRow?.data.sha, committed.payload.sha);
    assert.equal(commitRow?.stdout, patch, 'the audited diff is the approved one');
    assert.ok(actions.indexOf('diff_proposed') < actions.indexOf('hunk_decided') && actions.indexOf('hunk_decided') < actions.indexOf('commit'));

    // Decisions are final once committed; the working copy goes.
    await assert.rejects(decide(taskId, bottom, 'accept'), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict');
    await c().waitUntil(() => !existsSync(join(s.dataDir(), 'workspaces', taskId)), 20_000, 'working copy deleted after the commit');
  });

  it('a planted AWS key blocks the commit, naming the file, line and rule (audited); the branch stays at the base', async function () {
    const { taskId, diff } = await proposeChanges('Add the deploy settings', [{ path: 'src/deploy.js', content: `// deploy settings\nconst accessKeyId = "${AWS_KEY}";\nmodule.exports = { accessKeyId };\n` }]);
    for (const h of diff.hunks) await decide(taskId, h.hunkId, 'accept');
    const err = await c().waitFor('error', (p) => p.taskId === taskId, 60_000);
    assert.equal(err.payload.error.code, 'secret_detected');
    assert.match(err.payload.error.message, /src\/deploy\.js:2 \(@secretlint\/secretlint-rule-aws\)/);
    assert.doesNotMatch(err.payload.error.message, new RegExp(AWS_KEY), 'the finding does not repeat the secret');
    assert.equal(ofType(c().forTask(taskId), 'approval_required').length, 0, 'no approval is asked for');
    assert.equal(branchSha(taskId), diff.baseCommit);
    const blocked = auditActions(taskId).find((a) => a.action === 'commit_blocked');
    assert.equal(blocked?.data.reason, 'secret_detected');
    assert.ok(existsSync(join(s.dataDir(), 'workspaces', taskId)), 'the working copy is kept');
  });

  it('a denied commit leaves the branch untouched and the working copy kept; commit_request asks again', async function () {
    const { taskId, diff } = await proposeChanges('Raise the retries only', [{ path: 'src/config.js', content: CONFIG_NEW }]);
    await assert.rejects(c().send('commit_request', { taskId }), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict' && /undecided/.test(e.info.message));
    const before = c().events.at(-1)?.seq ?? 0;
    for (const h of diff.hunks) await decide(taskId, h.hunkId, 'accept');
    const first = await commitApproval(taskId, before);
    await c().send('approval_decide', { approvalId: first.payload.approvalId, decision: 'deny' });
    await c().waitFor('log', (p) => p.taskId === taskId && /Commit denied/.test(p.message), 30_000);
    assert.equal(branchSha(taskId), diff.baseCommit, 'the branch is untouched');
    assert.ok(existsSync(join(s.dataDir(), 'workspaces', taskId)), 'the working copy is kept');
    assert.ok(auditActions(taskId).some((a) => a.action === 'commit_denied'));
    const again = c().events.at(-1)?.seq ?? 0;
    await c().send('commit_request', { taskId });
    const second = await commitApproval(taskId, again);
    assert.notEqual(second.payload.approvalId, first.payload.approvalId);
    await assert.rejects(c().send('approval_decide', { approvalId: first.payload.approvalId, decision: 'approve' }), (e: unknown) => e instanceof CommandError && e.info.code === 'conflict', 'a denied commit cannot be approved later');
    await c().send('approval_decide', { approvalId: second.payload.approvalId, decision: 'deny' });
  });

  it('changing a decision while the commit approval waits voids it and asks again for the new set', async function () {
    const { taskId, diff } = await proposeChanges('Polish the docs text only', [{ path: 'README.md', content: README_NEW }]);
    const [a, b] = diff.hunks.map((h) => h.hunkId) as [string, string];
    const before = c().events.at(-1)?.seq ?? 0;
    await decide(taskId, a, 'accept');
    await decide(taskId, b, 'accept');
    const first = await commitApproval(taskId, before);
    const mid = c().events.at(-1)?.seq ?? 0;
    await decide(taskId, b, 'reject');
    await c().waitFor('denied', (p) => p.approvalId === first.payload.approvalId && /superseded/.test(p.reason ?? ''), 30_000);
    const second = await commitApproval(taskId, mid);
    assert.doesNotMatch(second.payload.patch ?? '', /receive/);
    assert.match(second.payload.reason, /1 accepted hunk\(s\) of 2/);
    await c().send('approval_decide', { approvalId: second.payload.approvalId, decision: 'deny' });
  });

  it('uncommitted changes the task started from become the base commit the review applies to; the commit sits on top of it', async function () {
    const head = git(repoDir, 'rev-parse', 'HEAD').trim();
    const dirty = CONFIG.replace("name: 'demo'", "name: 'demo-local'");
    writeFileSync(join(repoDir, 'src/config.js'), dirty);
    try {
      const { taskId, diff } = await proposeChanges('Raise the retries on my local config', [{ path: 'src/config.js', content: dirty.replace('retries: 1', 'retries: 5') }], true);
      assert.notEqual(diff.baseCommit, head, 'the base is the overlay commit, not HEAD');
      assert.equal(git(mirror(), 'rev-parse', `${diff.baseCommit}^`).trim(), head);
      assert.equal(git(mirror(), 'show', `${diff.baseCommit}:src/config.js`), dirty);
      assert.deepEqual((await c().send('review_get', { taskId })).files, [{ path: 'src/config.js', base: dirty }]);
      // The evidence ran on exactly what is reviewed: its base is the overlay commit, its tree is that base + the diff.
      const checks = c().forTask(taskId).filter((e) => e.type === 'check_result').map((e) => e.payload as EventPayload<'check_result'>);
      assert.equal(checks.find((x) => x.phase === 'base')?.commit, diff.baseCommit);
      const tree = checks.find((x) => x.phase === 'combined')?.treeId;
      assert.equal(tree, diff.evidence?.treeId);
      assert.equal(git(mirror(), 'show', `${tree}:src/config.js`), dirty.replace('retries: 1', 'retries: 5'));
      const before = c().events.at(-1)?.seq ?? 0;
      for (const h of diff.hunks) await decide(taskId, h.hunkId, 'accept');
      const approval = await commitApproval(taskId, before);
      await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
      const committed = await c().waitFor('committed', (p) => p.taskId === taskId, 60_000);
      assert.equal(git(mirror(), 'rev-parse', `${committed.payload.sha}^`).trim(), diff.baseCommit);
      assert.equal(git(mirror(), 'show', `${committed.payload.sha}:src/config.js`), dirty.replace('retries: 1', 'retries: 5'));
      assert.equal(readFileSync(join(repoDir, 'src/config.js'), 'utf8'), dirty, 'the person\'s file is untouched');
    } finally {
      writeFileSync(join(repoDir, 'src/config.js'), CONFIG);
    }
  });

  /** Accepts every hunk of the diff but the last, approves the commit; returns what came of it: committed or an error. */
  const commitAllButLast = async (taskId: string, diff: EventPayload<'diff_ready'>) => {
    const before = c().events.at(-1)?.seq ?? 0;
    for (const [i, h] of diff.hunks.entries()) await decide(taskId, h.hunkId, i === diff.hunks.length - 1 ? 'reject' : 'accept');
    const approval = await commitApproval(taskId, before);
    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
    return c().waitForEvent((e) => e.seq > before && (e.type === 'committed' || e.type === 'error') && (e.payload as { taskId?: string }).taskId === taskId, 'committed or not', 120_000);
  };

  it('accepted hunks that break a check passing on the base: not committed, the branch unchanged, the failing check shown', async function () {
    // x + y must be 3: the base (1 + 2) and the whole change (2 + 1) pass; the change without its second hunk (2 + 2) does not.
    const repo = (await c().send('repo_add', { source: makeFixtureRepo({ testScript: `node -e "if (require('./a.js').x + require('./b.js').y !== 3) { console.error('sum broken'); process.exit(1) }"`, files: { 'a.js': 'exports.x = 1;\n', 'b.js': 'exports.y = 2;\n' } }) })).repoId;
    const { taskId, diff } = await proposeChanges('Swap the two numbers', [{ path: 'a.js', content: 'exports.x = 2;\n' }, { path: 'b.js', content: 'exports.y = 1;\n' }], false, repo);
    assert.deepEqual(diff.evidence?.checks.map((x) => x.status), ['passed'], 'the whole change passes');
    const head = git(join(s.dataDir(), 'repos', repo), 'rev-parse', `refs/heads/pushpals/${taskId}`).trim();
    const outcome = await commitAllButLast(taskId, diff);
    assert.equal(outcome.type, 'error', JSON.stringify(outcome.payload));
    assert.match((outcome.payload as EventPayload<'error'>).error.message, /^Not committed: a check that passes on the base fails on the tree of the accepted hunks/);
    const check = c().forTask(taskId).map((e) => e.payload as EventPayload<'check_result'>).find((p) => p.phase === 'commit');
    assert.equal(check?.status, 'failed');
    assert.match(check?.output ?? '', /sum broken/);
    assert.equal(git(join(s.dataDir(), 'repos', repo), 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), head, 'the task branch did not move');
  });

  it('a check that already fails on the base (lint) does not block a commit that does not make it worse', async function () {
    const pkg = { name: 'lint-fails', version: '1.0.0', private: true, scripts: { test: 'node -e "console.log(1)"', lint: 'node -e "console.error(\'lint: 3 problems\'); process.exit(1)"' } };
    const repoPath = makeFixtureRepo({ testScript: null, files: { 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'notes.md': 'one\n\n\n\n\n\n\n\ntwo\n' } });
    const repo = (await c().send('repo_add', { source: repoPath })).repoId;
    const { taskId, diff } = await proposeChanges('Tidy the notes', [{ path: 'notes.md', content: 'ONE\n\n\n\n\n\n\n\nTWO\n' }], false, repo);
    assert.ok(diff.hunks.length >= 2, `two hunks: ${diff.hunks.length}`);
    assert.deepEqual(diff.evidence?.before?.map((x) => [x.name, x.status]), [['test', 'passed'], ['lint', 'failed']]);
    const outcome = await commitAllButLast(taskId, diff);
    assert.equal(outcome.type, 'committed', JSON.stringify(outcome.payload));
    assert.ok(c().forTask(taskId).some((e) => e.type === 'log' && /lint fail\(s\) on the accepted hunks' tree as on the base/.test((e.payload as EventPayload<'log'>).message)), trace(c(), taskId));
  });
});
