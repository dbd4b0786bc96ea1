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
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { App } from '@pushpals/orchestrator';
import { ScriptedModelServer } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import type { EventMessage } from '@pushpals/protocol';
import { CommandError, git, makeFixtureRepo, removeContainersOf, removeTempDirs, requireDocker, runCliAsync, startInProcessOrchestrator, tempDir, WsTestClient } from '../helpers/e2e-env';
import { trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-delivery-key-9c1e5b2d46807f3a';
const FORGE_TOKEN = 'ghp_e2eDeliveryToken0123456789abcdefABCD';
const REPO_NAME = 'deliver-demo';
const README = ['# Delivery demo', '', 'Teh first paragraph.', '', ...Array.from({ length: 10 }, (_, i) => `Line ${i + 1}.`), '', 'The last one: recieve.', ''].join('\n');
const HOOKS = ['pre-receive', 'update', 'post-receive', 'post-update', 'reference-transaction', 'push-to-checkout'];

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** The few GitHub REST endpoints a pull request needs, recording every request. */
async function startFakeGitHub(): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  let next = 41;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const addr = server.address() as AddressInfo;
      if (req.method === 'POST' && req.url === '/repos/acme/widgets/pulls') {
        const number = ++next;
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8', location: `http://127.0.0.1:${addr.port}/repos/acme/widgets/pulls/${number}` });
        res.end(JSON.stringify({
          id: 1000 + number,
          number,
          state: 'open',
          title: body.title,
          body: body.body,
          html_url: `https://github.example.test/acme/widgets/pull/${number}`,
          url: `http://127.0.0.1:${addr.port}/repos/acme/widgets/pulls/${number}`,
          head: { ref: body.head, label: `acme:${String(body.head)}` },
          base: { ref: body.base, label: `acme:${String(body.base)}` },
          user: { login: 'pushpals-bot' },
          draft: false,
          merged: false,
        }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('push and pull request of a committed task branch (real Docker, real git, real HTTP)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let app: App | undefined;
  let client: WsTestClient | undefined;
  let model: ScriptedModelServer | undefined;
  let forge: Awaited<ReturnType<typeof startFakeGitHub>> | undefined;
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
    forge = await startFakeGitHub();
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
    assert.equal(forge!.requests.length, 0, 'nothing is sent to the forge before the approval');
    await c().send('approval_decide', { approvalId: pr.payload.approvalId, decision: 'approve' });
    const opened = await c().waitFor('pr_opened', (p) => p.taskId === taskId, 60_000);

    assert.equal(forge!.requests.length, 1, JSON.stringify(forge!.requests.map((r) => `${r.method} ${r.url}`)));
    const req = forge!.requests[0]!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/repos/acme/widgets/pulls');
    assert.equal(req.headers.authorization, `token ${FORGE_TOKEN}`);
    assert.deepEqual(Object.keys(req.body).sort(), ['base', 'body', 'head', 'title']);
    assert.deepEqual([req.body.head, req.body.base, req.body.title], [`pushpals/${taskId}`, 'main', 'Polish the opening paragraph']);
    const body = String(req.body.body);
    assert.match(body, /> Polish the opening paragraph/);
    assert.ok(body.includes(sha), 'the commit');
    assert.match(body, /## Checks\n\n- ✅ test: `npm test` passed\n- before the change, on the base: test passed\n- ✅ \w+: `npm test` passed — on the commit tree/);
    assert.ok(body.includes(`pushpals audit receipt --task ${taskId}`), body);
    assert.deepEqual(opened.payload, { taskId, url: 'https://github.example.test/acme/widgets/pull/42', number: 42, title: 'Polish the opening paragraph' });
    assert.equal(git(remote, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim(), sha);
    const row = audit(taskId).find((a) => a.action === 'pr_opened');
    assert.deepEqual([row?.data.number, row?.data.url, row?.approval_id], [42, opened.payload.url, pr.payload.approvalId]);
    const db = new Database(app!.services.config.dbFile, { readonly: true });
    try {
      const all = (db.prepare('SELECT json FROM events').pluck().all() as string[]).join('\n') + (db.prepare('SELECT coalesce(data, \'\') || coalesce(command, \'\') FROM audit_log').pluck().all() as string[]).join('\n');
      assert.equal(all.includes(FORGE_TOKEN), false, 'the token is in no event and no audit row');
    } finally {
      db.close();
    }
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
