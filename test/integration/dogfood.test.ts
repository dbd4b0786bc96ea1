/**
 * The dogfood scenarios end to end across the whole orchestrator, over a REAL WebSocket client, against the real orchestrator (createApp with its workbench), a real
 * Docker engine (pushpals-worker:dev sandboxes), a real git repository and the real `pushpals` CLI.
 *
 * The tests of this file share one orchestrator and run in order: the audit tests check the trail of
 * the runs before them; the tamper test closes the orchestrator and edits its DB file.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CommandResult } from '@pushpals/protocol';
import { CommandError, containersOf, containersOfTask, E2E_WAIT_MS, FIXTURE_README, inspectContainer, makeFixtureRepo, runCli, runCliAsync, sleep, SuiteSession, tempDir, WORKER_IMAGE, workingCopyDeleted, WsTestClient } from '../helpers/e2e-env';
import { ofType, seqOf, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

/** What the heuristic README fix must produce from FIXTURE_README. */
const FIXED_README = '# Demo project\n\nThe project says hello.\n\nRun the tests with npm test.\n';

type AuditEntries = CommandResult<'audit_get'>['entries'];

describe('end to end: the dogfood scenarios over a real WebSocket (orchestrator + Docker + git)', function () {
  const s = new SuiteSession();
  const { c } = s;
  let repoPath = '';
  let repoId = '';
  /** Registered through the CLI; its tests take seconds. */
  let slowRepoId = '';
  /** Task ids of the runs, for the audit tests. */
  const runs: { gitStatus?: string; tests?: string; approved?: string; denied?: string; idempotent?: string; parked?: string; lockdown?: string } = {};
  const approvals: { approved?: string; denied?: string } = {};

  const workspaceReadme = (taskId: string): string => join(s.dataDir(), 'workspaces', taskId, 'README.md');

  before(async function () {
    const session = await s.open('pushpals-e2e-home-');
    repoPath = makeFixtureRepo();
    assert.ok(session.app.workbench, 'createApp did not install the workbench (repos, sandboxes, policy, audit) by default');
    assert.equal(session.app.workbench.sandboxProblem, undefined, `the orchestrator says sandboxes are unavailable: ${session.app.workbench.sandboxProblem}`);
  });

  after(async function () {
    await s.close();
  });

  it('registers the fixture repository with repo_add (and broadcasts repo_added)', async function () {
    const r = await c().send('repo_add', { source: repoPath });
    assert.match(r.repoId, /\S/);
    repoId = r.repoId;
    const ev = await c().waitFor('repo_added', (p) => p.repoId === repoId, 10_000);
    assert.equal(ev.payload.source, repoPath);
    assert.equal(ev.payload.defaultBranch, 'main');
  });

  it('pushpals repo add <path> (the CLI) registers a repository with the running orchestrator; registering it again answers with the same one', async function () {
    // Its tests take a few seconds: the lockdown test inspects the sandbox while they run.
    const other = makeFixtureRepo({ testScript: `node -e "setTimeout(() => console.log('tests ok'), 4000)"` });
    const r = await runCliAsync(s.dataDir(), ['repo', 'add', other, '--url', s.app().url, '--json']);
    assert.equal(r.status, 0, `pushpals repo add exited ${r.status}: ${r.stdout}${r.stderr}`);
    const added = JSON.parse(r.stdout) as { repoId: string; name: string };
    assert.match(added.repoId, /\S/);
    slowRepoId = added.repoId;
    await c().waitFor('repo_added', (p) => p.repoId === added.repoId, 10_000);
    // Registering the same path again answers with the same repository (synced now), no second copy.
    const again = await c().send('repo_add', { source: other });
    assert.deepEqual(again, { repoId: added.repoId, name: added.name, existing: true });
  });

  it('"Run git status on this repo": task_created → agent_status busy → task_started → tool_call (git status, allow) → tool_result (real git output) → task_completed → agent_status idle', async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Run git status on this repo', repoId });
    runs.gitStatus = taskId;
    await waitIdle(c(), taskId);
    const evs = c().forTask(taskId);
    const t = trace(c(), taskId);

    const seqs = evs.map(seqOf);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `the task's events did not arrive in seq order:\n${t}`);
    assert.equal(new Set(seqs).size, seqs.length, `duplicate seqs in the task's events:\n${t}`);

    const milestones = evs
      .filter((e) => ['task_created', 'agent_status', 'task_started', 'tool_call', 'tool_result', 'task_completed', 'task_failed', 'approval_required'].includes(e.type))
      .map((e) => (e.type === 'agent_status' ? `agent_status:${(e.payload as { status: string }).status}` : e.type));
    assert.deepEqual(
      milestones,
      ['task_created', 'agent_status:busy', 'task_started', 'tool_call', 'tool_result', 'task_completed', 'agent_status:idle'],
      `wrong event sequence for "Run git status on this repo":\n${t}`,
    );

    const created = ofType(evs, 'task_created')[0];
    assert.equal(created?.payload.repoId, repoId, 'task_created does not carry the repoId');
    const call = ofType(evs, 'tool_call')[0];
    assert.ok(call);
    assert.match(String(call.payload.args.command), /\bgit status\b/, `tool_call args: ${JSON.stringify(call.payload.args)}`);
    assert.equal(call.payload.policy?.verdict, 'allow', `git status must be allowed by the default policy: ${JSON.stringify(call.payload.policy)}`);
    const result = ofType(evs, 'tool_result')[0];
    assert.ok(result);
    assert.equal(result.payload.toolCallId, call.payload.toolCallId, 'tool_result does not answer the tool_call');
    assert.equal(result.payload.ok, true, `git status failed in the sandbox:\n${t}`);
    assert.equal(result.payload.exitCode, 0);
    assert.match(result.payload.stdout ?? '', new RegExp(`On branch pushpals/${taskId.replace(/[.]/g, '\\.')}\\b`), `not the real git output of the task's working copy: ${JSON.stringify(result.payload.stdout)}`);
    assert.match(result.payload.stdout ?? '', /nothing to commit, working tree clean/, `a fresh working copy should be clean: ${JSON.stringify(result.payload.stdout)}`);
  });

  it('"Run the tests": the repo\'s npm test runs in the sandbox and its real output ("tests ok") comes back', async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId });
    runs.tests = taskId;
    await waitIdle(c(), taskId);
    const evs = c().forTask(taskId);
    const t = trace(c(), taskId);
    const call = ofType(evs, 'tool_call')[0];
    assert.ok(call, `no tool_call:\n${t}`);
    assert.match(String(call.payload.args.command), /\bnpm test\b/, `tool_call args: ${JSON.stringify(call.payload.args)}`);
    assert.equal(call.payload.policy?.verdict, 'allow', `npm test must be allowed by the default policy:\n${t}`);
    const result = ofType(evs, 'tool_result')[0];
    assert.ok(result, `no tool_result:\n${t}`);
    assert.equal(result.payload.ok, true, `npm test failed in the sandbox:\n${t}`);
    assert.equal(result.payload.exitCode, 0);
    assert.match(result.payload.stdout ?? '', /tests ok/, `npm test's real output is missing:\n${t}`);
    assert.equal(ofType(evs, 'task_completed').length, 1, `the task did not complete:\n${t}`);
  });

  it('"Apply a patch to fix the README", approved: approval_required (patch, unified diff, risk) → approved → tool_result ok → task_completed, and the working copy is patched', async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    runs.approved = taskId;
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    approvals.approved = ar.payload.approvalId;
    assert.equal(ar.payload.kind, 'patch');
    assert.ok(['low', 'medium', 'high'].includes(ar.payload.risk));
    assert.match(ar.payload.reason, /\S/, 'approval_required must say why');
    const patch = ar.payload.patch ?? '';
    assert.match(patch, /^--- a\/README\.md/m, `not a unified diff of README.md:\n${patch}`);
    assert.match(patch, /^\+\+\+ b\/README\.md/m, `not a unified diff of README.md:\n${patch}`);
    assert.match(patch, /^@@ -\d+(,\d+)? \+\d+(,\d+)? @@/m, `no hunk header:\n${patch}`);
    assert.match(patch, /^-Teh project says hello\. {3}$/m, `the patch does not remove the misspelt line:\n${patch}`);
    assert.match(patch, /^\+The project says hello\.$/m, `the patch does not add the fixed line:\n${patch}`);

    // Nothing is written before the decision; the task says it is waiting.
    assert.ok(existsSync(workspaceReadme(taskId)), `the task's working copy is not at ${workspaceReadme(taskId)}`);
    assert.equal(readFileSync(workspaceReadme(taskId), 'utf8'), FIXTURE_README, 'the README changed before approval');
    const status = await c().send('status_get', { taskId });
    assert.equal(status.tasks[0]?.pendingApprovals, 1, `status_get: ${JSON.stringify(status.tasks)}`);
    assert.equal(status.tasks[0]?.state, 'awaiting_approval', `status_get: ${JSON.stringify(status.tasks)}`);
    assert.equal(ofType(c().forTask(taskId), 'tool_call').length, 0, 'a tool ran before approval');

    const r = await c().send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'approve' });
    assert.deepEqual(r, { approvalId: ar.payload.approvalId, state: 'approved' });
    await waitIdle(c(), taskId);
    const evs = c().forTask(taskId);
    const t = trace(c(), taskId);
    const approved = ofType(evs, 'approved').filter((e) => e.payload.approvalId === ar.payload.approvalId);
    assert.equal(approved.length, 1, `expected one approved event:\n${t}`);
    const results = ofType(evs, 'tool_result');
    assert.equal(results.length, 1, `expected one tool_result (the apply step):\n${t}`);
    const applied = results[0]!;
    assert.ok(seqOf(applied) > seqOf(approved[0]!), `the patch was applied before the approval:\n${t}`);
    assert.equal(applied.payload.ok, true, `applying the approved patch failed:\n${t}`);
    const done = ofType(evs, 'task_completed');
    assert.equal(done.length, 1, `the task did not complete:\n${t}`);
    assert.ok(seqOf(done[0]!) > seqOf(applied), `task_completed before the tool_result:\n${t}`);

    assert.equal(readFileSync(workspaceReadme(taskId), 'utf8'), FIXED_README, "the README in the task's working copy is not the fixed one");
    assert.equal(readFileSync(join(repoPath, 'README.md'), 'utf8'), FIXTURE_README, "the user's own repository must not be touched");
  });

  it('"Apply a patch to fix the README", denied: denied, nothing is applied, and the working copy (nothing to review) is deleted', async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    runs.denied = taskId;
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    approvals.denied = ar.payload.approvalId;
    const before = readFileSync(workspaceReadme(taskId));
    assert.ok(before.equals(Buffer.from(FIXTURE_README)), 'the working copy does not start from the committed README');

    const r = await c().send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'deny', reason: 'not now' });
    assert.deepEqual(r, { approvalId: ar.payload.approvalId, state: 'denied' });
    const denied = await c().waitFor('denied', (p) => p.approvalId === ar.payload.approvalId, 10_000);
    assert.equal(denied.payload.taskId, taskId);
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const evs = c().forTask(taskId);
    const t = trace(c(), taskId);

    // Nothing was applied (no git apply ran, below) and, with no diff to review, the copy is deleted.
    assert.ok(await workingCopyDeleted(s.dataDir(), taskId), 'the declined task\'s working copy was not deleted');
    assert.equal(ofType(evs, 'approved').length, 0, `approved after a deny:\n${t}`);
    assert.deepEqual(
      ofType(evs, 'tool_result').filter((e) => e.payload.ok),
      [],
      `a tool ran successfully after the patch was denied:\n${t}`,
    );
    assert.ok(
      !ofType(evs, 'tool_call').some((e) => /\bapply\b/.test(String(e.payload.args.command))),
      `an apply step was called after the patch was denied:\n${t}`,
    );
  });

  it('approval_decide is idempotent over the wire: approving twice (two clients at once, then again) gives the same result and ONE approved event; deny after approve is a conflict', async function () {
    assert.ok(s.parts.app && repoId, 'set-up failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    runs.idempotent = taskId;
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    const approvalId = ar.payload.approvalId;
    const other = await WsTestClient.connect(s.app().wsUrl, s.app().token, 'test-session-2', E2E_WAIT_MS);
    try {
      await other.start(0);
      const [r1, r2] = await Promise.all([
        c().send('approval_decide', { approvalId, decision: 'approve' }),
        other.send('approval_decide', { approvalId, decision: 'approve' }),
      ]);
      assert.deepEqual(r1, { approvalId, state: 'approved' });
      assert.deepEqual(r2, r1, 'the second approval must give the same result');
      await waitTerminal(c(), taskId);
      await waitIdle(c(), taskId);
      const r3 = await c().send('approval_decide', { approvalId, decision: 'approve' });
      assert.deepEqual(r3, r1, 'approving again after the task finished must give the same result');

      await assert.rejects(
        c().send('approval_decide', { approvalId, decision: 'deny' }),
        (e: unknown) => e instanceof CommandError && e.info.code === 'conflict',
        'deny after approve must be a typed conflict error',
      );
      await other.waitFor('task_completed', (p) => p.taskId === taskId, 10_000);
      await sleep(300); // anything a second decision would have emitted has arrived by now
      for (const [name, cl] of [['client 1', c()], ['client 2', other]] as const) {
        const n = ofType(cl.events, 'approved').filter((e) => e.payload.approvalId === approvalId).length;
        assert.equal(n, 1, `${name} saw ${n} approved events for ${approvalId}:\n${trace(cl, taskId)}`);
        assert.equal(ofType(cl.events, 'denied').filter((e) => e.payload.approvalId === approvalId).length, 0, `${name} saw a denied event after the conflict`);
      }
      const applies = ofType(c().forTask(taskId), 'tool_result');
      assert.equal(applies.length, 1, `the patch must be applied exactly once:\n${trace(c(), taskId)}`);
      assert.equal(applies[0]?.payload.ok, true);
      assert.equal(readFileSync(workspaceReadme(taskId), 'utf8'), FIXED_README);
    } finally {
      other.close();
    }
  });

  it("a README patch waiting for approval holds no sandbox container (the sandbox starts on the first command)", async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    runs.parked = taskId;
    const ar = await c().waitFor('approval_required', (p) => p.taskId === taskId, 60_000);
    await sleep(300);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], 'a task waiting for a person must not hold a container');
    await c().send('approval_decide', { approvalId: ar.payload.approvalId, decision: 'deny' });
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
  });

  it("the sandbox of a running command is locked down: no network, no capabilities, read-only root, non-root, limits, only the task's working copy mounted (and its repository's objects, read-only); removed when the task ends", async function () {
    assert.ok(slowRepoId, 'the CLI repo add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId: slowRepoId });
    runs.lockdown = taskId;
    await c().waitFor('tool_call', (p) => p.taskId === taskId, 60_000);
    let ids: string[] = [];
    const deadline = Date.now() + 15_000;
    while ((ids = containersOfTask(s.dataDir(), taskId)).length === 0 && Date.now() < deadline) await sleep(100);
    assert.equal(ids.length, 1, `expected one sandbox container labelled for task ${taskId} while its command runs, found ${ids.length}:\n${trace(c(), taskId)}`);
    const info = inspectContainer(ids[0]!);
    const h = info.HostConfig;
    assert.equal(info.Config.Image, WORKER_IMAGE);
    assert.equal(h.NetworkMode, 'none');
    assert.ok(h.CapDrop?.map((x) => x.toUpperCase()).includes('ALL'), `CapDrop: ${JSON.stringify(h.CapDrop)}`);
    assert.deepEqual(h.CapAdd ?? [], []);
    assert.ok(h.SecurityOpt?.some((x) => /^no-new-privileges(:true|=true)?$/.test(x)), `SecurityOpt: ${JSON.stringify(h.SecurityOpt)}`);
    assert.equal(h.Privileged, false);
    assert.equal(h.ReadonlyRootfs, true);
    assert.ok((h.PidsLimit ?? 0) > 0, `PidsLimit: ${h.PidsLimit}`);
    assert.ok(h.Memory > 0, `Memory: ${h.Memory}`);
    assert.ok(h.NanoCpus > 0, `NanoCpus: ${h.NanoCpus}`);
    assert.match(info.Config.User, /^[1-9]\d*(:\d+)?$/, `the sandbox must run as a non-root uid, not ${JSON.stringify(info.Config.User)}`);
    const ws = realpathSync(join(s.dataDir(), 'workspaces', taskId));
    const binds = info.Mounts.filter((m) => m.Type === 'bind');
    // The working copy read-write; the repository's shared git objects (objects only) read-only.
    const objects = realpathSync(join(s.dataDir(), 'repos', slowRepoId, 'objects'));
    // (docker inspect lists mounts in no fixed order)
    assert.deepEqual(
      binds.map((m) => [m.Source, m.Destination, m.RW]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        [objects, `/.objects/${slowRepoId}`, false],
        [ws, '/workspace', true],
      ],
      `only the task's working copy (and, read-only, its repository's objects) may be mounted: ${JSON.stringify(info.Mounts)}`,
    );
    const home = realpathSync(s.dataDir());
    for (const m of info.Mounts) {
      assert.ok(m.Source === ws || m.Source === objects || !(m.Source === home || m.Source.startsWith(`${home}/`)), `the data dir leaks into the sandbox: ${JSON.stringify(m)}`);
      assert.notEqual(m.Source, '/var/run/docker.sock', 'the Docker socket is mounted into the sandbox');
    }

    const end = await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    assert.match(ofType(c().forTask(taskId), 'tool_result')[0]?.payload.stdout ?? '', /tests ok/);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], "the task's sandbox was not removed when the task ended");
  });

  it('deciding an unknown approval is a typed not_found error', async function () {
    await assert.rejects(
      c().send('approval_decide', { approvalId: 'ap_does_not_exist', decision: 'approve' }),
      (e: unknown) => e instanceof CommandError && e.info.code === 'not_found',
    );
  });

  for (const request of ['Refactor the parser to use a visitor', 'git push --force origin main', 'Run curl https://example.com/install.sh | sh']) {
    it(`a request the heuristic lane cannot map fails honestly and runs nothing: "${request}"`, async function () {
      assert.ok(s.parts.app && repoId, 'set-up failed earlier');
      const { taskId } = await c().send('task_new', { request, repoId });
      const end = await waitTerminal(c(), taskId, 30_000);
      await waitIdle(c(), taskId, 10_000);
      const evs = c().forTask(taskId);
      const t = trace(c(), taskId);
      assert.equal(end.type, 'task_failed', t);
      // The fallback says why, what the heuristic lane does understand, and how to configure a model.
      const error = (end.payload as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'model_not_configured', t);
      assert.match(error.message, /no coder model is configured.*understands requests like "Run git status on this repo".*PUSHPALS_MODEL_BASE_URL/s, t);
      assert.equal(ofType(evs, 'tool_call').length, 0, `something ran for an unmapped request:\n${t}`);
      assert.equal(ofType(evs, 'tool_result').length, 0, `something ran for an unmapped request:\n${t}`);
      assert.equal(ofType(evs, 'approval_required').length, 0, `an unmapped request asked for approval:\n${t}`);
      assert.equal(existsSync(join(s.dataDir(), 'workspaces', taskId)), false, 'a working copy was made for an unmapped request');
    });
  }

  it('audit_get lists every command of the runs above: command, verdict, exit code, the real output, the approval', async function () {
    const get = async (taskId: string | undefined, what: string): Promise<AuditEntries> => {
      assert.ok(taskId, `the ${what} run failed earlier`);
      return (await c().send('audit_get', { taskId })).entries;
    };
    const git = await get(runs.gitStatus, 'git status');
    const gitCmd = git.filter((e) => e.action === 'command');
    assert.equal(gitCmd.length, 1, `audit of git status: ${JSON.stringify(git, null, 1)}`);
    const g = gitCmd[0]!;
    assert.equal(g.command, 'git status');
    assert.equal(g.exitCode, 0);
    assert.equal(g.verdict, 'allow');
    assert.equal(g.cwd, '/workspace');
    assert.equal(g.taskId, runs.gitStatus);
    assert.match(g.stdout ?? '', new RegExp(`On branch pushpals/${runs.gitStatus}`), `audit stdout is not the real git output: ${JSON.stringify(g.stdout)}`);
    assert.equal(typeof g.durationMs, 'number');
    assert.match(g.hash, /^[0-9a-f]{64}$/);

    const tests = (await get(runs.tests, 'tests')).filter((e) => e.action === 'command');
    assert.equal(tests.length, 1, `audit of the tests run: ${JSON.stringify(tests)}`);
    assert.equal(tests[0]?.command, 'npm test');
    assert.equal(tests[0]?.exitCode, 0);
    assert.match(tests[0]?.stdout ?? '', /tests ok/);

    const applied = (await get(runs.approved, 'approved README')).filter((e) => e.action === 'command');
    assert.equal(applied.length, 1, `audit of the approved patch: ${JSON.stringify(applied)}`);
    assert.match(applied[0]?.command ?? '', /^git apply\b/);
    assert.equal(applied[0]?.exitCode, 0);
    assert.equal(applied[0]?.approvalId, approvals.approved, 'the apply step must name the approval that allowed it');

    const declined = await get(runs.denied, 'denied README');
    assert.equal(declined.filter((e) => e.exitCode !== undefined).length, 0, `a command ran for the denied patch: ${JSON.stringify(declined)}`);
    assert.ok(declined.some((e) => e.approvalId === approvals.denied), `the denial is not in the audit trail: ${JSON.stringify(declined)}`);

    // Cross-check: every tool_result on the wire has its audit entry (same exit code, same order), and vice versa.
    for (const [what, taskId] of Object.entries(runs)) {
      const entries = (await get(taskId, what)).filter((e) => e.action === 'command');
      const wire = ofType(c().forTask(taskId), 'tool_result');
      assert.deepEqual(
        entries.map((e) => e.exitCode),
        wire.map((e) => e.payload.exitCode),
        `${what}: audit entries and tool_results disagree:\naudit: ${JSON.stringify(entries.map((e) => [e.seq, e.command, e.exitCode]))}\n${trace(c(), taskId)}`,
      );
      const seqs = entries.map((e) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    }
  });

  it('pushpals audit export --task ID --out FILE writes one JSONL line per audit entry of the task', async function () {
    assert.ok(runs.gitStatus && runs.approved, 'earlier runs failed');
    for (const taskId of [runs.gitStatus, runs.approved]) {
      const entries = (await c().send('audit_get', { taskId })).entries;
      const out = join(tempDir('pushpals-e2e-export-'), 'audit.jsonl');
      const r = runCli(s.dataDir(), ['audit', 'export', '--task', taskId, '--out', out]);
      assert.equal(r.status, 0, `audit export exited ${r.status}: ${r.stderr}${r.stdout}`);
      const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
      assert.equal(lines.length, entries.length, `export has ${lines.length} lines, audit_get ${entries.length} entries`);
      const recs = lines.map((l) => JSON.parse(l) as { seq: number; taskId: string; command: string | null; exitCode: number | null; hash: string });
      assert.deepEqual(
        recs.map((x) => [x.seq, x.taskId, x.command ?? undefined, x.exitCode ?? undefined, x.hash]),
        entries.map((e) => [e.seq, e.taskId, e.command, e.exitCode, e.hash]),
      );
    }
    // Without --out, JSONL goes to stdout.
    const r = runCli(s.dataDir(), ['audit', 'export', '--task', runs.gitStatus]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n').filter(Boolean);
    assert.ok(lines.length >= 1);
    for (const l of lines) assert.equal((JSON.parse(l) as { taskId: string }).taskId, runs.gitStatus);
  });

  it('pushpals audit verify exits 0 on the untouched trail', async function () {
    const r = runCli(s.dataDir(), ['audit', 'verify']);
    assert.equal(r.status, 0, `audit verify exited ${r.status}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /OK/);
  });

  for (const kind of ['a deleted row', 'a deleted tail', 'two swapped rows'] as const) {
    it(`pushpals audit verify detects ${kind} (on a copy of the live DB) and names the row`, async function () {
      assert.ok(runs.gitStatus, 'earlier runs failed');
      const victim = (await c().send('audit_get', { taskId: runs.gitStatus })).entries.find((e) => e.action === 'command');
      assert.ok(victim, 'no command entry to tamper with');
      const copyDir = tempDir('pushpals-e2e-tamper-');
      const live = new Database(join(s.dataDir(), 'pushpals.db'), { readonly: true });
      try {
        await live.backup(join(copyDir, 'pushpals.db'));
      } finally {
        live.close();
      }
      const db = new Database(join(copyDir, 'pushpals.db'));
      let expected: number;
      try {
        for (const name of db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('audit_log', 'audit_head')`).pluck().all() as string[]) db.exec(`DROP TRIGGER "${name}"`);
        const head = db.prepare('SELECT MAX(seq) FROM audit_log').pluck().get() as number;
        assert.ok(head > victim.seq, 'the git status entry must not be the last one');
        if (kind === 'a deleted row') {
          db.prepare('DELETE FROM audit_log WHERE seq = ?').run(victim.seq);
          expected = victim.seq;
        } else if (kind === 'a deleted tail') {
          db.prepare('DELETE FROM audit_log WHERE seq = ?').run(head);
          expected = head;
        } else {
          // Swap the contents (all but seq) of the victim and its successor: a reordering.
          const cols = (db.prepare(`SELECT name FROM pragma_table_info('audit_log') WHERE name <> 'seq'`).pluck().all() as string[]).map((x) => `"${x}"`);
          const a = db.prepare(`SELECT ${cols.join(', ')} FROM audit_log WHERE seq = ?`).raw().get(victim.seq) as unknown[];
          const b = db.prepare(`SELECT ${cols.join(', ')} FROM audit_log WHERE seq = ?`).raw().get(victim.seq + 1) as unknown[];
          const set = db.prepare(`UPDATE audit_log SET ${cols.map((x) => `${x} = ?`).join(', ')} WHERE seq = ?`);
          db.transaction(() => {
            set.run(...b, victim.seq);
            set.run(...a, victim.seq + 1);
          })();
          expected = victim.seq;
        }
      } finally {
        db.close();
      }
      const r = runCli(copyDir, ['audit', 'verify', '--json']);
      assert.notEqual(r.status, 0, `audit verify did not detect ${kind}: ${r.stdout}${r.stderr}`);
      const v = JSON.parse(r.stdout) as { ok: boolean; seq?: number; reason?: string };
      assert.equal(v.ok, false);
      assert.equal(v.seq, expected, `audit verify named #${v.seq} (${v.reason}) for ${kind} at #${expected}`);
      // The live trail is untouched.
      assert.equal(runCli(s.dataDir(), ['audit', 'verify']).status, 0);
    });
  }

  it('pushpals audit verify detects an edited row (triggers dropped, stdout rewritten) and names its seq', async function () {
    assert.ok(runs.gitStatus && s.parts.app, 'earlier runs failed');
    const entries = (await c().send('audit_get', { taskId: runs.gitStatus })).entries;
    const victim = entries.find((e) => e.action === 'command');
    assert.ok(victim, 'no command entry to tamper with');
    // The orchestrator is stopped: this is someone editing the file afterwards.
    c().close();
    await s.app().close();
    const db = new Database(join(s.dataDir(), 'pushpals.db'));
    try {
      const triggers = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'`).pluck().all() as string[];
      for (const name of triggers) db.exec(`DROP TRIGGER "${name}"`);
      const changed = db.prepare('UPDATE audit_log SET stdout = ? WHERE seq = ?').run('On branch main\nnothing to see here\n', victim.seq).changes;
      assert.equal(changed, 1);
    } finally {
      db.close();
    }
    const r = runCli(s.dataDir(), ['audit', 'verify']);
    assert.notEqual(r.status, 0, `audit verify did not detect the edit: ${r.stdout}${r.stderr}`);
    assert.match(`${r.stdout}${r.stderr}`, new RegExp(`#${victim.seq}\\b`), `audit verify must name the edited row #${victim.seq}: ${r.stdout}${r.stderr}`);
    const j = runCli(s.dataDir(), ['audit', 'verify', '--json']);
    assert.notEqual(j.status, 0);
    const v = JSON.parse(j.stdout) as { ok: boolean; seq?: number };
    assert.equal(v.ok, false);
    assert.equal(v.seq, victim.seq);
  });

  it('no sandbox container of this orchestrator survives its close()', async function () {
    await s.app().close();
    const left = containersOf(s.dataDir());
    assert.deepEqual(left, [], `sandbox containers left behind after close(): ${left.join(' ')}`);
  });
});
