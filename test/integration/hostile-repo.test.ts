/**
 * End to end with a HOSTILE repository registered through the protocol: its git hooks and
 * config (core.fsmonitor, core.hooksPath, core.sshCommand, filter and diff drivers) never run on the
 * host, its README is a symlink to the orchestrator's token (which must never leak), and its test
 * script prints secrets (which must be redacted on the wire, in the audit trail, its export and the DB).
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CommandError, git, makeFixtureRepo, runCli, SuiteSession, tempDir, workingCopyDeleted } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const GITHUB_TOKEN = `ghp_${'A1b2C3d4E5'.repeat(4)}`;

/** Arms a repository: every host-side git mechanism that can run code writes a marker into `markers`. */
function armHostileRepo(repo: string, markers: string): void {
  const touch = (name: string) => `touch '${join(markers, name)}'`;
  const hooks = join(repo, '.git', 'hooks');
  const altHooks = join(repo, 'evil-hooks');
  mkdirSync(altHooks, { recursive: true });
  for (const dir of [hooks, altHooks]) {
    for (const h of ['post-checkout', 'post-merge', 'post-rewrite', 'pre-commit', 'post-commit', 'reference-transaction', 'pre-push', 'pre-auto-gc', 'post-index-change']) {
      const f = join(dir, h);
      writeFileSync(f, `#!/bin/sh\n${touch(`hook-${h}`)}\nexit 0\n`);
      chmodSync(f, 0o755);
    }
  }
  git(repo, 'config', 'core.fsmonitor', `${touch('fsmonitor')}; false`);
  git(repo, 'config', 'core.hooksPath', altHooks);
  git(repo, 'config', 'core.sshCommand', `${touch('ssh')}; ssh`);
  git(repo, 'config', 'core.pager', `${touch('pager')}; cat`);
  git(repo, 'config', 'core.editor', `${touch('editor')}; true`);
  git(repo, 'config', 'filter.evil.smudge', `${touch('smudge')}; cat`);
  git(repo, 'config', 'filter.evil.clean', `${touch('clean')}; cat`);
  git(repo, 'config', 'filter.evil.process', `${touch('filter-process')}`);
  git(repo, 'config', 'filter.evil.required', 'true');
  git(repo, 'config', 'diff.evil.textconv', `${touch('textconv')}; cat`);
  git(repo, 'config', 'diff.external', `${touch('diff-external')}; true`);
  git(repo, 'config', 'uploadpack.packObjectsHook', `${touch('pack-objects-hook')}; git`);
  git(repo, 'config', 'protocol.file.allow', 'always');
}

describe('end to end: a hostile repository (hooks/config never run on the host, the token never leaks, secrets redacted)', function () {
  const s = new SuiteSession();
  const { c } = s;
  let markers = '';
  let token = '';
  let repoId = '';
  let repoPath = '';
  const tasks: string[] = [];

  const noMarkers = (when: string): void => {
    const ran = readdirSync(markers);
    assert.deepEqual(ran, [], `the hostile repository ran code ON THE HOST ${when}: ${ran.join(', ')}`);
  };

  before(async function () {
    await s.open('pushpals-e2e-hostile-home-');
    markers = tempDir('pushpals-e2e-markers-');
    token = s.app().token;
  });

  after(async function () {
    await s.close();
  });

  it('registers a repository whose hooks, fsmonitor, hooksPath, sshCommand and filter/diff drivers all try to run, and none runs on the host', async function () {
    const repo = makeFixtureRepo({
      // README.md → the orchestrator's token file, seen from <dataDir>/workspaces/<taskId>/README.md.
      symlinks: { 'README.md': '../../token' },
      files: {
        '.gitattributes': '* filter=evil diff=evil\n',
        'secrets.txt': `${token}\nexport GITHUB_TOKEN=${GITHUB_TOKEN}\n`,
      },
      testScript: `node -e "process.stdout.write(require('fs').readFileSync('secrets.txt','utf8')); console.log('tests ok')"`,
    });
    armHostileRepo(repo, markers);
    repoPath = repo;
    noMarkers('while arming it (test bug)');
    const r = await c().send('repo_add', { source: repo });
    repoId = r.repoId;
    noMarkers('during repo_add');
  });

  it('"Run git status on this repo" on it: runs in the sandbox, nothing of the repo runs on the host, the working copy carries none of its config or hooks', async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Run git status on this repo', repoId });
    tasks.push(taskId);
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    const result = ofType(c().forTask(taskId), 'tool_result')[0];
    assert.ok(result, `no tool_result:\n${t}`);
    assert.equal(result.payload.exitCode, 0, `git status failed in the sandbox:\n${t}`);
    assert.match(result.payload.stdout ?? '', new RegExp(`On branch pushpals/${taskId}`), t);
    noMarkers('during workspace creation or git status');

    // The task's copy is deleted once it is done: inspect one made by the same code (RepoRegistry.createWorkspace).
    assert.ok(await workingCopyDeleted(s.dataDir(), taskId), 'the finished task\'s working copy was not deleted');
    const { workbench } = s.app();
    assert.ok(workbench, 'no workbench');
    const inspected = await workbench.repos.createWorkspace(repoId, `${taskId}-inspect`);
    const wsGit = join(inspected.path, '.git');
    assert.ok(existsSync(wsGit), `no .git in the working copy ${wsGit}`);
    const cfg = existsSync(join(wsGit, 'config')) ? readFileSync(join(wsGit, 'config'), 'utf8') : '';
    assert.doesNotMatch(cfg, /fsmonitor|hookspath|sshcommand|pager|editor|filter|textconv|external|packobjectshook|evil/i, `the repository's config was copied into the working copy:\n${cfg}`);
    const hooks = existsSync(join(wsGit, 'hooks')) ? readdirSync(join(wsGit, 'hooks')).filter((f) => !f.endsWith('.sample')) : [];
    assert.deepEqual(hooks, [], `the repository's hooks were copied into the working copy`);
  });

  it("a README that is a symlink to the orchestrator's token is not read through: no patch, no approval, the token appears in no event", async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Apply a patch to fix the README', repoId });
    tasks.push(taskId);
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    assert.equal(ofType(c().forTask(taskId), 'approval_required').length, 0, `a patch was proposed for a symlinked README:\n${t}`);
    for (const e of c().events) assert.ok(!JSON.stringify(e).includes(token), `the token leaked in a ${e.type} event (#${String((e as { seq?: number }).seq)})`);
    noMarkers('during the README task');
  });

  it('"Run the tests" whose output prints the token and a GitHub token: redacted on the wire, in audit_get, in the export and in the DB', async function () {
    assert.ok(repoId && s.parts.app, 'set-up failed earlier');
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId });
    tasks.push(taskId);
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    const result = ofType(c().forTask(taskId), 'tool_result')[0];
    assert.ok(result, `no tool_result:\n${t}`);
    assert.equal(result.payload.exitCode, 0, `npm test failed:\n${t}`);
    const stdout = result.payload.stdout ?? '';
    assert.match(stdout, /tests ok/, t);
    assert.match(stdout, /\[REDACTED\]/, `nothing was redacted: ${JSON.stringify(stdout)}`);
    for (const secret of [token, GITHUB_TOKEN]) {
      for (const e of c().events) assert.ok(!JSON.stringify(e).includes(secret), `a secret leaked in a ${e.type} event`);
    }

    const entries = (await c().send('audit_get', { taskId })).entries;
    const cmd = entries.find((e) => e.action === 'command');
    assert.ok(cmd, `no audit entry for npm test: ${JSON.stringify(entries)}`);
    assert.match(cmd.stdout ?? '', /tests ok/);
    for (const secret of [token, GITHUB_TOKEN]) assert.ok(!JSON.stringify(entries).includes(secret), 'a secret is in audit_get');

    const exp = runCli(s.dataDir(), ['audit', 'export', '--task', taskId]);
    assert.equal(exp.status, 0, exp.stderr);
    assert.match(exp.stdout, /tests ok/);
    for (const secret of [token, GITHUB_TOKEN]) assert.ok(!exp.stdout.includes(secret), 'a secret is in the audit export');
    noMarkers('during npm test');

    // Nothing in the store holds the secrets either (the events and the audit trail are stored redacted).
    const db = new Database(join(s.dataDir(), 'pushpals.db'), { readonly: true });
    try {
      for (const [table, col] of [['events', 'json'], ['audit_log', 'stdout'], ['audit_log', 'stderr'], ['audit_log', 'data'], ['audit_log', 'command']] as const) {
        for (const secret of [token, GITHUB_TOKEN]) {
          const n = db.prepare(`SELECT COUNT(*) FROM ${table} WHERE instr(${col}, ?) > 0`).pluck().get(secret) as number;
          assert.equal(n, 0, `${n} row(s) of ${table}.${col} hold a secret in clear`);
        }
      }
    } finally {
      db.close();
    }
  });

  it('its live state — a commit made after repo_add and uncommitted edits (modified + untracked) — is read on the host without running any of it, and the next task sees both', async function () {
    assert.ok(repoId, 'repo_add failed earlier');
    // The person works in their checkout with their own git (which runs the repository's hooks and
    // filters: the markers it leaves are theirs and are cleared before PushPals reads the repository).
    writeFileSync(join(repoPath, '.git', 'info', 'attributes'), '* !filter !diff !merge\n');
    writeFileSync(join(repoPath, 'later.txt'), 'committed after repo_add\n');
    git(repoPath, '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', 'add', 'later.txt');
    git(repoPath, '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', 'commit', '-q', '--no-verify', '-m', 'a commit after repo_add');
    writeFileSync(join(repoPath, 'later.txt'), 'committed after repo_add, then edited\n');
    writeFileSync(join(repoPath, 'untracked-notes.txt'), 'not committed\n');
    for (const m of readdirSync(markers)) rmSync(join(markers, m));

    const { taskId } = await c().send('task_new', { request: 'Run git status on this repo', repo: repoId, includeUncommitted: true });
    tasks.push(taskId);
    await waitTerminal(c(), taskId);
    await waitIdle(c(), taskId);
    const t = trace(c(), taskId);
    const stdout = ofType(c().forTask(taskId), 'tool_result')[0]?.payload.stdout ?? '';
    assert.match(stdout, /modified:\s+later\.txt/, t);
    assert.match(stdout, /untracked-notes\.txt/, t);
    const base = ofType(c().forTask(taskId), 'task_base')[0]?.payload.base;
    assert.equal(base?.commit, git(repoPath, 'rev-parse', 'HEAD').trim(), t);
    assert.equal(base?.uncommitted, true, t);
    noMarkers('while its live state was read and laid over the working copy');
  });

  it('hostile repo_add sources (ext::, option injection, file://, ssh://, the data dir) get typed errors and run nothing', async function () {
    const cases: Array<[string, string[]]> = [
      [`ext::sh -c touch% ${join(markers, 'ext')}`, ['invalid_message', 'not_found']],
      [`--upload-pack=touch ${join(markers, 'upload-pack')}`, ['invalid_message', 'not_found']],
      [`file://${s.dataDir()}`, ['invalid_message', 'not_found']],
      [`ssh://localhost${markers}/x.git`, ['invalid_message', 'not_found']],
      [s.dataDir(), ['invalid_message', 'forbidden']],
      [join(s.dataDir(), 'repos'), ['invalid_message', 'forbidden', 'not_found']],
      ['/nonexistent/pushpals/e2e/repo', ['not_found', 'invalid_message']],
    ];
    for (const [source, codes] of cases) {
      await assert.rejects(
        c().send('repo_add', { source }),
        (e: unknown) => e instanceof CommandError && codes.includes(e.info.code),
        `repo_add ${JSON.stringify(source)} must be refused with one of ${codes.join('/')}`,
      );
    }
    noMarkers('during hostile repo_add sources');
  });

  it('the audit trail of these runs verifies', async function () {
    const r = runCli(s.dataDir(), ['audit', 'verify']);
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    noMarkers('at the end');
  });
});
