/**
 * Push and pull request of a committed task branch, end to end: the real orchestrator on port 0, a real
 * Docker sandbox, real git (a fixture repository whose `origin` is a local bare repository with hooks
 * planted in it), a real WebSocket client, the real CLI, and a GitHub REST API stand-in over real HTTP
 * (node:http on 127.0.0.1:0) that asserts exactly what octokit sends. A task's change is committed →
 * push_request → push approval → approved → the bare remote has refs/heads/pushpals/<task> at the
 * committed sha and no hook ran; a denied push leaves the remote as it was; no other branch can be the
 * target; a non-fast-forward is refused. pr_request → the push (its own approval) → the pr approval →
 * POST /repos/acme/widgets/pulls with the token, head, base, title and a body with the checks and the
 * receipt line → `pr_opened`. Without a token: the push only, and a log saying no pull request was opened.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { App } from '@pushpals/orchestrator';
import { diffPayload } from '@pushpals/orchestrator/dist/src/agents/builtin/changes';
import { FakeGitHub } from '@pushpals/orchestrator/dist/test/helpers/fake-github';
import { ScriptedModelServer } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import type { EventMessage, EventPayload, EventType } from '@pushpals/protocol';
import { CommandError, git, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, runCliAsync, startInProcessOrchestrator, tempDir, WsTestClient } from '../helpers/e2e-env';
import { trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-delivery-key-9c1e5b2d46807f3a';
const FORGE_TOKEN = 'ghp_e2eDeliveryToken0123456789abcdefABCD';
const REPO_NAME = 'deliver-demo';
const README = ['# Delivery demo', '', 'Teh first paragraph.', '', ...Array.from({ length: 10 }, (_, i) => `Line ${i + 1}.`), '', 'The last one: recieve.', ''].join('\n');
const HOOKS = ['pre-receive', 'update', 'post-receive', 'post-update', 'reference-transaction', 'push-to-checkout'];

describe('push and pull request of a committed task branch (real Docker, real git, real HTTP)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let app: App | undefined;
  let client: WsTestClient | undefined;
  let model: ScriptedModelServer | undefined;
  let forge: FakeGitHub | undefined;
  /** The task of the first pull request (#42), committed, pushed and opened by the pr_request test. */
  let prTask = { taskId: '', sha: '' };
  let repoId = '';
  let repoDir = '';
  let remote = '';
  let marker = '';

  const c = (): WsTestClient => {
    assert.ok(client, 'no client: the suite set-up failed');
    return client;
  };
  const remoteRefs = (): string => git(remote, 'for-each-ref', '--format=%(refname) %(objectname)');
  const remoteSha = (ref: string): string | undefined => remoteRefs().split('\n').find((l) => l.startsWith(`${ref} `))?.split(' ')[1];
  const audit = (taskId: string): Array<{ action: string; approval_id: string | null; data: Record<string, unknown> }> => {
    const db = new Database(app?.services.config.dbFile ?? '', { readonly: true });
    try {
      return (db.prepare('SELECT action, approval_id, data FROM audit_log WHERE task_id = ? ORDER BY seq').all(taskId) as Array<{ action: string; approval_id: string | null; data: string | null }>).map((r) => ({ ...r, data: JSON.parse(r.data ?? '{}') as Record<string, unknown> }));
    } finally {
      db.close();
    }
  };
  const approvalOf = async (taskId: string, kind: string, after: number): Promise<EventMessage<'approval_required'>> =>
    (await c().waitForEvent((e) => e.seq > after && e.type === 'approval_required' && (e.payload as { taskId: string }).taskId === taskId && (e.payload as { kind: string }).kind === kind, `a ${kind} approval of ${taskId}`, 60_000)) as EventMessage<'approval_required'>;
  const lastSeq = (): number => c().events.at(-1)?.seq ?? 0;

  /** A task whose model rewrites README.md; its hunks decided (`reject` the last one to have the checks run); committed. */
  const committedTask = async (request: string, rejectLast = false): Promise<{ taskId: string; sha: string }> => {
    model!.script(request, [{ toolCalls: [{ name: 'write_file', arguments: { path: 'README.md', content: README.replace('Teh first', 'The first').replace('recieve', 'receive') } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] }]);
    const { taskId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), taskId, 120_000);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    const diff = (await c().waitFor('diff_ready', (p) => p.taskId === taskId)).payload;
    const before = lastSeq();
    for (const [i, h] of diff.hunks.entries()) await c().send('hunk_decide', { taskId, hunkId: h.hunkId, decision: rejectLast && i === diff.hunks.length - 1 ? 'reject' : 'accept' });
    const approval = await approvalOf(taskId, 'commit', before);
    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
    const committed = await c().waitFor('committed', (p) => p.taskId === taskId, 120_000);
    return { taskId, sha: committed.payload.sha };
  };

  before(async function () {
    await requireDocker();
    forge = await FakeGitHub.start({ owner: 'acme', repo: 'widgets', token: FORGE_TOKEN, firstNumber: 42 });
    model = await ScriptedModelServer.start({ apiKey: KEY, models: ['scripted-coder'] });
    dataDir = tempDir('pushpals-e2e-delivery-');
    writeFileSync(join(dataDir, 'model-key'), `${KEY}\n`, { mode: 0o600 });
    app = await startInProcessOrchestrator(dataDir, {
      models: { baseUrl: model.url, model: 'scripted-coder', maxRetries: 1 },
      planner: { enabled: false },
      // A variable no machine sets: only the token stored through the CLI counts here.
      forge: { tokenEnv: 'PUSHPALS_E2E_DELIVERY_NO_SUCH_VAR', repos: { [REPO_NAME]: { apiBaseUrl: forge.url, repository: 'acme/widgets' } } },
    });
    client = await WsTestClient.connect(app.wsUrl, app.token, 's-delivery', 60_000);
    await client.start(0);
    repoDir = makeFixtureRepo({ files: { 'README.md': README } });
    remote = join(tempDir('pushpals-e2e-remote-'), 'widgets.git');
    git(repoDir, 'clone', '-q', '--bare', repoDir, remote);
    git(repoDir, 'remote', 'add', 'origin', remote);
    // Hooks in the receiving repository: host `git push` would run them (the control below shows it).
    marker = join(tempDir('pushpals-e2e-marker-'), 'hook-ran');
    for (const h of HOOKS) {
      writeFileSync(join(remote, 'hooks', h), `#!/bin/sh\necho ${h} >> ${marker}\nexit 1\n`);
      chmodSync(join(remote, 'hooks', h), 0o755);
    }
    repoId = (await client.send('repo_add', { source: repoDir, name: REPO_NAME })).repoId;
  });

  after(async function () {
    client?.close();
    await app?.close();
    await model?.close();
    await forge?.close();
    if (dataDir) removeContainersOf(dataDir);
    removeTempDirs();
  });

  it('control: host git push into the remote runs its hooks (what PushPals must not do)', function () {
    assert.throws(() => git(repoDir, 'push', '-q', 'origin', 'main:refs/heads/control'), 'the pre-receive hook refuses');
    assert.match(readFileSync(marker, 'utf8'), /pre-receive/);
    rmSync(marker);
    assert.equal(remoteSha('refs/heads/control'), undefined);
  });

  it('push_request (the CLI) → a push approval naming ref, remote and sha → approved → the remote has pushpals/<task> at the committed sha; no hook ran; audited', async function () {
    const mainBefore = remoteSha('refs/heads/main');
    const { taskId, sha } = await committedTask('Polish the docs wording');
    const before = lastSeq();
    const cli = await runCliAsync(dataDir, ['task', 'push', taskId, '--url', app!.url]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /push approval/);
    const approval = await approvalOf(taskId, 'push', before);
    assert.equal(approval.payload.title, `Push pushpals/${taskId} (${sha.slice(0, 12)}) to origin`);
    assert.ok(approval.payload.reason.includes(`Pushes commit ${sha} to origin (${remote}) as refs/heads/pushpals/${taskId}`), approval.payload.reason);
    assert.match(approval.payload.reason, /never the default branch main/);
    assert.equal(remoteSha(`refs/heads/pushpals/${taskId}`), undefined, 'nothing is pushed before the approval');

    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
    const pushed = await c().waitFor('pushed', (p) => p.taskId === taskId, 60_000);
    assert.deepEqual(pushed.payload, { taskId, remote, branch: `pushpals/${taskId}`, sha });
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), sha);
    assert.equal(git(remote, 'show', `${sha}:README.md`), README.replace('Teh first', 'The first').replace('recieve', 'receive'));
    git(remote, 'fsck', '--no-dangling');
    assert.equal(existsSync(marker), false, 'no hook of the remote ran');
    assert.equal(remoteSha('refs/heads/main'), mainBefore, 'the default branch did not move');
    const row = audit(taskId).find((a) => a.action === 'push');
    assert.deepEqual([row?.data.remote, row?.data.branch, row?.data.sha, row?.approval_id], [remote, `pushpals/${taskId}`, sha, approval.payload.approvalId]);

    // Asked again: already there, nothing asked.
    const again = lastSeq();
    await c().send('push_request', { taskId });
    await c().waitFor('log', (p) => p.taskId === taskId && /already at/.test(p.message), 30_000);
    assert.equal(c().events.some((e) => e.seq > again && e.type === 'approval_required'), false);
  });

  it('a denied push leaves the remote untouched; a refspec or another branch as the target is refused; a non-fast-forward is refused', async function () {
    const { taskId, sha } = await committedTask('Polish the opening words only', true);
    const refsBefore = remoteRefs();
    let before = lastSeq();
    await c().send('push_request', { taskId });
    const denied = await approvalOf(taskId, 'push', before);
    await c().send('approval_decide', { approvalId: denied.payload.approvalId, decision: 'deny' });
    await c().waitFor('log', (p) => p.taskId === taskId && /Push denied: nothing was pushed/.test(p.message), 30_000);
    assert.equal(remoteRefs(), refsBefore, 'the remote is exactly as it was');
    assert.ok(audit(taskId).some((a) => a.action === 'push_denied' && a.approval_id === denied.payload.approvalId));

    for (const bad of ['origin:refs/heads/main', 'origin main', '+main', 'HEAD:main']) {
      await assert.rejects(c().send('push_request', { taskId, remote: bad }), (e: unknown) => e instanceof CommandError && e.info.code === 'invalid_message', bad);
    }
    await assert.rejects(c().send('push_request', { taskId, remote: 'upstream' }), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found' && /remotes are origin/.test(e.info.message));

    // Someone else's commit on the remote branch, not contained in ours: refused, the branch stays.
    const tree = git(remote, 'rev-parse', 'main^{tree}').trim();
    const theirs = git(remote, '-c', 'user.name=Other', '-c', 'user.email=o@example.test', 'commit-tree', tree, '-p', 'main', '-m', 'their commit').trim();
    git(remote, '-c', 'core.hooksPath=/dev/null', 'update-ref', `refs/heads/pushpals/${taskId}`, theirs); // our set-up: the planted hooks off
    before = lastSeq();
    await c().send('push_request', { taskId });
    const second = await approvalOf(taskId, 'push', before);
    await c().send('approval_decide', { approvalId: second.payload.approvalId, decision: 'approve' });
    const err = await c().waitFor('error', (p) => p.taskId === taskId && /fast-forward/.test(p.error.message), 60_000);
    assert.equal(err.payload.error.code, 'conflict');
    assert.equal(remoteSha(`refs/heads/pushpals/${taskId}`), theirs);
    assert.notEqual(theirs, sha);
    assert.equal(existsSync(marker), false, 'no hook of the remote ran');
  });

  it('pr_request: the push (its own approval) → the pr approval → octokit POSTs exactly the pull request (token, head, base, title, checks, receipt) → pr_opened', async function () {
    const set = await runCliAsync(dataDir, ['forge', 'token', 'set', '--repo', REPO_NAME, '--url', app!.url], 60_000, `${FORGE_TOKEN}\n`);
    assert.equal(set.status, 0, set.stderr);
    assert.doesNotMatch(set.stdout + set.stderr, new RegExp(FORGE_TOKEN));
    assert.equal(statSync(join(dataDir, 'forge-tokens', repoId)).mode & 0o777, 0o600);

    // A rejected hunk: the test command runs on the commit's tree, so there is a check to report.
    const { taskId, sha } = await committedTask('Polish the opening paragraph', true);
    const check = await c().waitFor('check_result', (p) => p.taskId === taskId);
    assert.equal(check.payload.status, 'passed');
    let before = lastSeq();
    await c().send('pr_request', { taskId, title: 'Polish the opening paragraph' });
    const push = await approvalOf(taskId, 'push', before);
    before = lastSeq();
    await c().send('approval_decide', { approvalId: push.payload.approvalId, decision: 'approve' });
    await c().waitFor('pushed', (p) => p.taskId === taskId, 60_000);
    const pr = await approvalOf(taskId, 'pr', before);
    assert.match(pr.payload.title, new RegExp(`acme/widgets: pushpals/${taskId} → main`));
    const lookup = { method: 'GET', path: '/repos/acme/widgets/pulls', query: { head: `acme:pushpals/${taskId}`, state: 'all', sort: 'created', direction: 'desc', per_page: '100' } };
    assert.deepEqual(forge!.requests.map((r) => ({ method: r.method, path: r.path, query: r.query })), [lookup], 'before the approval only the lookup of the branch\'s pull requests (it found none)');
    assert.deepEqual(pr.payload.pullRequest && Object.keys(pr.payload.pullRequest).sort(), ['body', 'title'], 'a new one: no number to update');
    assert.equal(pr.payload.pullRequest?.title, 'Polish the opening paragraph');
    await c().send('approval_decide', { approvalId: pr.payload.approvalId, decision: 'approve' });
    const opened = await c().waitFor('pr_opened', (p) => p.taskId === taskId, 60_000);

    assert.deepEqual(forge!.requests.map((r) => `${r.method} ${r.path}`), ['GET /repos/acme/widgets/pulls', 'GET /repos/acme/widgets/pulls', 'POST /repos/acme/widgets/pulls'], 'looked up again after the approval, then created');
    const req = forge!.requests[2]!;
    assert.ok(forge!.requests.every((r) => r.headers.authorization === `token ${FORGE_TOKEN}`));
    assert.deepEqual(Object.keys(req.body).sort(), ['base', 'body', 'head', 'title']);
    assert.deepEqual([req.body.head, req.body.base, req.body.title], [`pushpals/${taskId}`, 'main', 'Polish the opening paragraph']);
    const body = String(req.body.body);
    assert.match(body, /> Polish the opening paragraph/);
    assert.ok(body.includes(sha), 'the commit');
    assert.match(body, /## Checks\n\n- ✅ test: `npm test` passed\n- before the change, on the base: test passed\n- ✅ \w+: `npm test` passed — on the commit tree/);
    assert.ok(body.includes(`pushpals audit receipt --task ${taskId}`), body);
    assert.equal(body, pr.payload.pullRequest?.body, 'the body sent is the one the approval proposed');
    assert.deepEqual(opened.payload, { taskId, url: 'https://github.example.test/acme/widgets/pull/42', number: 42, title: 'Polish the opening paragraph' });
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), sha);
    const row = audit(taskId).find((a) => a.action === 'pr_opened');
    assert.deepEqual([row?.data.number, row?.data.url, row?.approval_id, row?.data.title, row?.data.body, row?.data.edited], [42, opened.payload.url, pr.payload.approvalId, 'Polish the opening paragraph', body, false]);
    prTask = { taskId, sha };
    const db = new Database(app!.services.config.dbFile, { readonly: true });
    try {
      const all = (db.prepare('SELECT json FROM events').pluck().all() as string[]).join('\n') + (db.prepare('SELECT coalesce(data, \'\') || coalesce(command, \'\') FROM audit_log').pluck().all() as string[]).join('\n');
      assert.equal(all.includes(FORGE_TOKEN), false, 'the token is in no event and no audit row');
    } finally {
      db.close();
    }
  });

  it('a second commit, pushed, then "Open PR" again: the same pull request #42 is updated with the title and body edited at the approval (CLI), which the forge receives and the audit shows', async function () {
    const { taskId, sha } = prTask;
    assert.ok(taskId, 'needs the pull request of the test before');
    // A second change on the task (PushPals has no follow-up run yet: proposed through the workbench the
    // agents use), reviewed and committed on top of the first commit like any other.
    const task = app!.services.tasks.require(taskId);
    const before = git(remote, 'show', `${sha}:README.md`);
    const change = diffPayload(taskId, [{ path: 'README.md', before, after: before.replace('recieve', 'receive') }]);
    assert.ok(change);
    let seq = lastSeq();
    const events = app!.services.events;
    const emit = <K extends EventType>(type: K, payload: EventPayload<K>): EventMessage<K> => events.append({ type, payload, sessionId: task.sessionId, taskId, from: 'worker:builtin' } as Parameters<typeof events.append<K>>[0]);
    await app!.workbench!.proposeDiff({ task, agentId: 'worker:builtin', emit }, { ...change, baseCommit: sha });
    for (const h of change.hunks) await c().send('hunk_decide', { taskId, hunkId: h.hunkId, decision: 'accept' });
    const commit = await approvalOf(taskId, 'commit', seq);
    const commitCli = await runCliAsync(dataDir, ['approve', commit.payload.approvalId, '--message', 'Fix the last typo too', '--url', app!.url]);
    assert.equal(commitCli.status, 0, commitCli.stderr);
    const secondCommit = (await c().waitFor('committed', (p) => p.taskId === taskId && p.sha !== sha, 120_000)).payload;
    const second = secondCommit.sha;
    assert.equal(secondCommit.message, 'Fix the last typo too', 'the message given with pushpals approve --message');
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), sha, 'not pushed yet');

    seq = lastSeq();
    const push = await runCliAsync(dataDir, ['task', 'push', taskId, '--url', app!.url]);
    assert.equal(push.status, 0, push.stderr);
    await c().send('approval_decide', { approvalId: (await approvalOf(taskId, 'push', seq)).payload.approvalId, decision: 'approve' });
    await c().waitFor('pushed', (p) => p.taskId === taskId && p.sha === second, 60_000);
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), second);
    assert.equal(git(remote, 'rev-parse', `${second}^`).trim(), sha, 'on top of the first commit: a fast-forward');

    const sent = forge!.requests.length;
    seq = lastSeq();
    await c().send('pr_request', { taskId });
    const pr = await approvalOf(taskId, 'pr', seq);
    assert.equal(c().events.some((e) => e.seq > seq && e.type === 'approval_required' && (e.payload as { kind: string }).kind === 'push'), false, 'already pushed: no push approval');
    assert.match(pr.payload.title, new RegExp(`^Update pull request #42 on acme/widgets: pushpals/${taskId} → main$`));
    assert.match(pr.payload.reason, /Updates the open pull request #42 \(https:\/\/github\.example\.test\/acme\/widgets\/pull\/42\)/);
    assert.equal(pr.payload.pullRequest?.number, 42);
    assert.equal(pr.payload.pullRequest?.title, 'Fix the last typo too', 'the proposal: the new commit\'s subject');
    assert.ok(pr.payload.pullRequest?.body.includes(second), 'the proposed body names the new commit');

    // Too long for GitHub: refused at the decision, the approval still waits.
    await assert.rejects(c().send('approval_decide', { approvalId: pr.payload.approvalId, decision: 'approve', title: 'x'.repeat(300) }), (e: unknown) => e instanceof CommandError && e.info.code === 'invalid_message' && e.info.path === '/payload/title' && /at most 256 characters on GitHub; this one has 300/.test(e.info.message));
    await assert.rejects(c().send('approval_decide', { approvalId: pr.payload.approvalId, decision: 'approve', message: 'a commit message' }), (e: unknown) => e instanceof CommandError && e.info.code === 'invalid_message' && /commit approvals only/.test(e.info.message));
    const tooLong = join(tempDir('pushpals-e2e-prbody-'), 'long.md');
    writeFileSync(tooLong, 'y'.repeat(65_537));
    const refused = await runCliAsync(dataDir, ['approve', pr.payload.approvalId, '--body-file', tooLong, '--url', app!.url]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /body is at most 65536 characters on GitHub; this one has 65537/);
    assert.equal(forge!.requests.length, sent + 1, 'only the lookup so far');

    const editedBody = `Both typos of the README are fixed.\n\n${pr.payload.pullRequest?.body ?? ''}\n\nReviewed by a person.`;
    const bodyFile = join(tempDir('pushpals-e2e-prbody-'), 'body.md');
    writeFileSync(bodyFile, editedBody);
    const approved = await runCliAsync(dataDir, ['approve', pr.payload.approvalId, '--title', 'Fix both README typos', '--body-file', bodyFile, '--url', app!.url]);
    assert.equal(approved.status, 0, approved.stderr);
    const updated = await c().waitFor('pr_opened', (p) => p.taskId === taskId && p.updated === true, 60_000);
    assert.deepEqual(updated.payload, { taskId, url: 'https://github.example.test/acme/widgets/pull/42', number: 42, title: 'Fix both README typos', updated: true });

    const now = forge!.requests.slice(sent);
    assert.deepEqual(now.map((r) => `${r.method} ${r.path}`), ['GET /repos/acme/widgets/pulls', 'GET /repos/acme/widgets/pulls', 'PATCH /repos/acme/widgets/pulls/42'], 'no second POST');
    assert.deepEqual(now[2]!.body, { title: 'Fix both README typos', body: editedBody }, 'exactly the edited text; the base stays');
    assert.equal(forge!.pulls.length, 1);
    assert.deepEqual([forge!.pulls[0]!.title, forge!.pulls[0]!.body], ['Fix both README typos', editedBody]);
    const row = audit(taskId).find((a) => a.action === 'pr_updated');
    assert.deepEqual([row?.approval_id, row?.data.number, row?.data.sha, row?.data.title, row?.data.body, row?.data.edited], [pr.payload.approvalId, 42, second, 'Fix both README typos', editedBody, true]);
  });

  it('a closed pull request: a new one is opened (a log says so); a refused token or a forge refusal is a clear error, and the branch stays pushed', async function () {
    const { taskId } = prTask;
    forge!.closePull(42, true);
    let seq = lastSeq();
    await c().send('pr_request', { taskId, title: 'Fix both README typos, again' });
    await c().waitFor('log', (p) => p.taskId === taskId && /Pull request #42 of pushpals\/\S+ is merged \(https:\/\/github\.example\.test\/acme\/widgets\/pull\/42\): a new one is proposed/.test(p.message), 30_000);
    const pr = await approvalOf(taskId, 'pr', seq);
    assert.match(pr.payload.title, /^Open a pull request on acme\/widgets/);
    assert.equal(pr.payload.pullRequest?.number, undefined);
    await c().send('approval_decide', { approvalId: pr.payload.approvalId, decision: 'approve' });
    const opened = await c().waitFor('pr_opened', (p) => p.taskId === taskId && p.number === 43, 60_000);
    assert.equal(opened.payload.updated, undefined);
    assert.deepEqual(forge!.pulls.map((p) => [p.number, p.state]), [[42, 'closed'], [43, 'open']]);

    // A wrong token: known at the lookup, before anyone is asked; the message says which setting to fix.
    const head = git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim();
    const wrong = await runCliAsync(dataDir, ['forge', 'token', 'set', '--repo', REPO_NAME, '--url', app!.url], 60_000, 'ghp_revokedToken000000000000000000000\n');
    assert.equal(wrong.status, 0, wrong.stderr);
    seq = lastSeq();
    await c().send('pr_request', { taskId });
    const refused = await c().waitFor('error', (p) => p.taskId === taskId && /Pull request failed/.test(p.error.message), 30_000);
    assert.equal(refused.payload.error.code, 'forbidden');
    assert.match(refused.payload.error.message, new RegExp(`the forge refused the token \\(file [^)]*forge-tokens/${repoId}\\) with 401 Bad credentials: store a valid one with "pushpals forge token set --repo ${REPO_NAME}"`));
    assert.match(refused.payload.error.message, /nothing was asked; pushpals\/\S+ stays pushed to origin/);
    assert.doesNotMatch(refused.payload.error.message, /ghp_revoked/);
    assert.equal(c().events.some((e) => e.seq > seq && e.type === 'approval_required'), false, 'no approval asked');

    // The right token again; GitHub refuses after the approval (422): its message, audited, the branch as it was.
    const fixed = await runCliAsync(dataDir, ['forge', 'token', 'set', '--repo', REPO_NAME, '--url', app!.url], 60_000, `${FORGE_TOKEN}\n`);
    assert.equal(fixed.status, 0, fixed.stderr);
    seq = lastSeq();
    await c().send('pr_request', { taskId, base: 'release' });
    const asked = await approvalOf(taskId, 'pr', seq);
    assert.match(asked.payload.reason, /its base moves from main to release/);
    forge!.failNext(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid', message: 'base does not exist' }] }, 'PATCH');
    await c().send('approval_decide', { approvalId: asked.payload.approvalId, decision: 'approve' });
    const rejected = await c().waitFor('error', (p) => p.taskId === taskId && /422/.test(p.error.message), 30_000);
    assert.equal(rejected.payload.error.code, 'conflict');
    assert.match(rejected.payload.error.message, /updating pull request #43 on acme\/widgets at .*: the forge refused it \(422 Validation Failed: base does not exist\)/);
    assert.deepEqual(forge!.requests.at(-1)?.body.base, 'release', 'the new base was asked for');
    const failed = audit(taskId).filter((a) => a.action === 'pr_failed').at(-1);
    assert.deepEqual([failed?.approval_id, failed?.data.code, (failed?.data.forge as { kind?: string } | undefined)?.kind], [asked.payload.approvalId, 'conflict', 'rejected']);
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), head, 'the branch stays');
    assert.equal(forge!.pulls.find((p) => p.number === 43)?.base, 'main');
  });

  it('no forge token: the branch is pushed and a log says no pull request was opened', async function () {
    const clear = await runCliAsync(dataDir, ['forge', 'token', 'clear', '--repo', REPO_NAME, '--url', app!.url]);
    assert.equal(clear.status, 0, clear.stderr);
    const requests = forge!.requests.length;
    const { taskId, sha } = await committedTask('Polish both docs paragraphs');
    const before = lastSeq();
    await c().send('pr_request', { taskId });
    const push = await approvalOf(taskId, 'push', before);
    await c().send('approval_decide', { approvalId: push.payload.approvalId, decision: 'approve' });
    await c().waitFor('pushed', (p) => p.taskId === taskId, 60_000);
    const log = await c().waitFor('log', (p) => p.taskId === taskId && /no pull request was opened/.test(p.message), 30_000);
    assert.match(log.payload.message, /no forge token for deliver-demo \(set one with "pushpals forge token set --repo deliver-demo"/);
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), sha);
    assert.equal(forge!.requests.length, requests, 'nothing was sent to the forge');
    assert.equal(c().events.some((e) => e.seq > before && e.type === 'approval_required' && (e.payload as { kind: string }).kind === 'pr'), false);
    assert.equal(c().events.some((e) => e.seq > before && e.type === 'error' && (e.payload as { taskId?: string }).taskId === taskId), false, 'not a failure');
  });
});
