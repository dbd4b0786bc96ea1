#!/usr/bin/env node
// Diff review in a REAL VS Code (code-server) driven by headless Chromium, with a REAL orchestrator
// (child process, Docker sandboxes) whose coding agent is played by the scripted model server (real HTTP):
//   1. A task writes two files (README.md: two hunks far apart; src/config.js: one) → diff_ready. "Review
//      Changes" on the chat card opens the inline review: Accept/Reject CodeLens above each hunk.
//   2. The CodeLens are clicked in the browser: the README's second hunk rejected, the rest accepted; the
//      commit approval arrives (notification); Approve → the proposed message opens in an editor tab
//      (COMMIT_EDITMSG, `#` help lines); a two-line message with a `#` comment is typed over it and Ctrl+Enter
//      commits → the tests re-run on the exact tree in the sandbox → committed: host git on the orchestrator's
//      clone shows exactly the accepted hunks on pushpals/<task> and exactly the typed message (no comment),
//      the default branch did not move.
//   3. "Apply to My Checkout" (three-way merge) with a local edit of the person on the line the config hunk
//      changes: README.md is applied at once; config.js stays as it is and opens in VS Code's merge editor
//      (the Review view says "conflict — merge"); "Accept PushPals" + "Complete Merge" write the resolution.
//      Then "Push" on the card → the push approval → approved → the workspace's bare `origin` has pushpals/<task>
//      at the commit; "Open PR" → the pr approval, its title edited in its editor tab (PULL_REQUEST.md) → a GitHub REST stand-in
//      (orchestrator/test/helpers/fake-github.ts, real HTTP) gets exactly that pull request → the card links it;
//      "Open PR" again → the approval updates #7 → PATCH, no second pull request.
//   4. A task that plants an AWS-style key: "Accept All (Task)" → the commit is blocked with the file, line
//      and rule, shown on the card.
//   5. Reloading the window (nothing pending) shows no approval notification.
// Usage: node vscode-review.mjs [extensionDir]. Screenshots in $OUT_DIR (default <repo>/test-results/vscode-review).
// Last line: "N passed, N failed"; exit 1 on any failure; hard timeout E2E_UI_TIMEOUT_MS (default 600 s).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enterLoopbackOnlyNetns, startVSCode, log } from './lib.mjs';
import { REPO_ROOT, spawnOrchestrator } from './orchestrator.mjs';
import { createHarness, uiScriptSetup, workbench } from './ui-harness.mjs';

enterLoopbackOnlyNetns();
const { extDir, extId, out, taskTimeoutMs: TASK_TIMEOUT } = uiScriptSetup('vscode-review');
const HARD_TIMEOUT = Number(process.env.E2E_UI_TIMEOUT_MS || 600000);
const { ScriptedModelServer } = await import(join(REPO_ROOT, 'orchestrator', 'dist', 'test', 'helpers', 'scripted-model.js'));

const KEY = 'sk-e2e-review-ui-7f3a9c1e5b2d4680';
const README = ['# Review demo', '', 'Teh first paragraph.', '', ...Array.from({ length: 10 }, (_, i) => `Line ${i + 1} of the middle.`), '', 'The last paragraph: recieve.', ''].join('\n');
const README_NEW = README.replace('Teh first', 'The first').replace('recieve', 'receive');
const README_ACCEPTED = README.replace('Teh first', 'The first');
const CONFIG = "module.exports = { retries: 1, name: 'demo' };\n";
const CONFIG_NEW = "module.exports = { retries: 3, name: 'demo' };\n";
/** The person's own edit of the line the task changes: Apply to My Checkout meets a conflict there. */
const CONFIG_LOCAL = "module.exports = { retries: 5, name: 'demo' };\n";
const AWS_KEY = 'AKIA4HFJ2KQ7ZT3WXBNM';

const gitIn = (cwd, ...a) => {
  const r = spawnSync('git', a, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.invalid', GIT_CONFIG_NOSYSTEM: '1' } });
  if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

const t0 = Date.now();
// A fixed folder name: the repository registers as "review-demo", which config forge.repos names.
const workspaceRoot = mkdtempSync(join(tmpdir(), 'pushpals-review-ws-'));
const workspace = join(workspaceRoot, 'review-demo');
mkdirSync(join(workspace, 'src'), { recursive: true });
writeFileSync(join(workspace, 'README.md'), README);
writeFileSync(join(workspace, 'src', 'config.js'), CONFIG);
writeFileSync(join(workspace, 'package.json'), JSON.stringify({ name: 'review-demo', version: '1.0.0', scripts: { test: `node -e "const c = require('./src/config.js'); console.log('config ok', c.retries)"` } }, null, 2));
gitIn(workspace, 'init', '-q', '-b', 'main');
gitIn(workspace, 'add', '-A');
gitIn(workspace, 'commit', '-q', '-m', 'initial');
const base = gitIn(workspace, 'rev-parse', 'HEAD').trim();
const origin = join(workspaceRoot, 'origin.git');
gitIn(workspaceRoot, 'clone', '-q', '--bare', workspace, origin);
gitIn(workspace, 'remote', 'add', 'origin', origin);
const FORGE_TOKEN = 'ghp_e2eReviewUiToken0123456789abcdef';

/** The GitHub REST endpoints a pull request needs (the shared stand-in), recording each request. */
const { FakeGitHub } = await import(join(REPO_ROOT, 'orchestrator', 'dist', 'test', 'helpers', 'fake-github.js'));
const forge = await FakeGitHub.start({ owner: 'acme', repo: 'review-demo', token: FORGE_TOKEN, firstNumber: 7 });
const forgeRequests = forge.requests;
const forgeUrl = forge.url;

let orch, vsc, page, model;
const cleanup = async () => {
  await vsc?.stop().catch(() => {});
  await orch?.cleanup().catch(() => {});
  await model?.close().catch(() => {});
  await forge.close();
  if (!process.env.E2E_KEEP) {
    rmSync(workspaceRoot, { recursive: true, force: true });
    // The orchestrator's home was made here (it holds the model key), so spawnOrchestrator leaves it to us.
    if (orch?.home) rmSync(orch.home, { recursive: true, force: true });
  }
};
const h = createHarness({ out, hardTimeoutMs: HARD_TIMEOUT, cleanup });
const { snap, step, expect } = h;

let unexpected;
try {
  model = await ScriptedModelServer.start({ apiKey: KEY, models: ['scripted-coder'] });
  const write = (path, content) => ({ toolCalls: [{ name: 'write_file', arguments: { path, content } }] });
  const finish = { toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] };
  model.script('Polish the docs text and raise the retries', [write('README.md', README_NEW), write('src/config.js', CONFIG_NEW), finish]);
  // The chat model (the same scripted server) proposes the commit message; the person rewrites it in the editor.
  model.script('Task: Polish the docs text', [{ text: 'Fix the first typo and raise the retries\n\nProposed by the model.' }]);
  // Slow on purpose: the first reply takes 4 s, so "Pause" lands while the task runs.
  model.script('Take notes slowly', [{ delayMs: 4000, ...write('notes.md', '# Notes\n') }, finish]);
  model.script('Add the deploy settings', [write('src/deploy.js', `// deploy settings\nconst accessKeyId = "${AWS_KEY}";\nmodule.exports = { accessKeyId };\n`), finish]);
  const home = mkdtempSync(join(tmpdir(), 'pushpals-home-'));
  writeFileSync(join(home, 'model-key'), `${KEY}\n`, { mode: 0o600 });
  orch = await spawnOrchestrator({
    home,
    env: { PUSHPALS_E2E_REVIEW_FORGE_TOKEN: FORGE_TOKEN },
    config: { models: { baseUrl: model.url, model: 'scripted-coder', maxRetries: 1 }, planner: { enabled: false }, forge: { tokenEnv: 'PUSHPALS_E2E_REVIEW_FORGE_TOKEN', repos: { 'review-demo': { apiBaseUrl: forgeUrl, repository: 'acme/review-demo' } } } },
  });
  log(`orchestrator up on ${orch.url} (data dir ${orch.home}), scripted model at ${model.url}`);
  vsc = await startVSCode({ workspace, extensionDevelopmentPath: extDir, env: { PUSHPALS_HOME: orch.home } });
  page = h.page = vsc.page;
  const { webview, toast, statusItem, palette, runCommand } = workbench(page, extId);
  const lens = (title) => page.locator('.monaco-editor .codelens-decoration a', { hasText: title });
  /** A lens without a command (a state: "Accepted", "Rejected") renders as text, not a link. */
  const lensText = (title) => page.locator('.monaco-editor .codelens-decoration span', { hasText: title });
  const editorTab = (name) => page.locator('.tabs-container .tab', { hasText: name });
  /** The approval editor's text area (COMMIT_EDITMSG / PULL_REQUEST.md), focused. */
  const messageEditorFocus = async (file) => {
    await editorTab(file).first().waitFor({ timeout: 10000 });
    const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    await lines.click();
    return lines;
  };
  /** Submitted: no tab of that name is left (not even a dirty one in the background). */
  const tabGone = (name) => page.waitForFunction((n) => ![...document.querySelectorAll('.tabs-container .tab')].some((t) => t.getAttribute('data-resource-name') === n), name, { timeout: 20000 });
  /** Types lines one by one; Escape closes any suggestion before Enter (Enter would accept it). */
  const typeLines = async (lines) => {
    for (const [i, l] of lines.entries()) {
      if (i) {
        await page.keyboard.press('Escape');
        await page.keyboard.press('Enter');
      }
      await page.keyboard.type(l);
    }
  };
  const TYPED_MESSAGE = ['Fix the first typo and raise the retries', '', 'Typed in the COMMIT_EDITMSG editor of VS Code.'];

  await step('workbench loads; the extension connects', async () => {
    await page.goto(vsc.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await statusItem(/PushPals: idle/).waitFor({ timeout: 60000 });
  });

  // ---- 1. A two-file diff, opened from the chat card ----
  let card;
  let ok = await step('a task writes two files (three hunks): the card offers "Review Changes"', async () => {
    await runCommand('PushPals: New Task');
    await page.locator('.quick-input-widget', { hasText: 'What should PushPals do?' }).waitFor({ timeout: 10000 });
    await palette.fill('Polish the docs text and raise the retries');
    await page.keyboard.press('Enter');
    card = webview.locator('section.card', { hasText: 'Polish the docs text' }).last();
    await card.locator('vscode-button.review').waitFor({ timeout: TASK_TIMEOUT });
    await card.locator('.review-state', { hasText: '2 files, 3 hunks —' }).waitFor({ timeout: 10000 });
  });
  await snap('card-review-changes');
  ok = ok && await step('"Review Changes" opens the inline review: Accept/Reject CodeLens above each README hunk, lines decorated', async () => {
    await card.locator('vscode-button.review').click();
    await editorTab('README.md').first().waitFor({ timeout: 20000 });
    await editorTab('config.js').first().waitFor({ timeout: 20000 });
    await editorTab('README.md').first().click();
    await lens('Accept All in File').first().waitFor({ timeout: 20000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-editor .codelens-decoration a')].filter((a) => a.textContent === 'Accept').length === 2, null, { timeout: 20000 });
    expect(await lens(/^Reject$/).count() === 2, `Reject lenses: ${await lens(/^Reject$/).count()}`);
    const lines = page.locator('.monaco-editor .view-lines', { hasText: 'Teh first paragraph' }).filter({ hasText: 'The first paragraph' });
    await lines.first().waitFor({ timeout: 5000 }); // the inline view shows the removed and the added line
    // Removed and added lines are decorated (whole-line backgrounds in the view overlays).
    const decorated = await page.locator('.monaco-editor .view-overlays .cdr').count();
    expect(decorated >= 4, `only ${decorated} decorated line(s)`);
  });
  await snap('inline-review-codelens');

  // ---- 2. Decide with the CodeLens, approve the commit ----
  let acceptMs = -1;
  ok = ok && await step('CodeLens clicks: accept the first README hunk, reject the second; accept the config hunk', async () => {
    const t = Date.now();
    await lens(/^Accept$/).first().click();
    await lensText('Accepted').first().waitFor({ timeout: 10000 });
    acceptMs = Date.now() - t;
    log(`   click on Accept → CodeLens "Accepted" in the browser: ${acceptMs} ms`);
    await lens(/^Reject$/).first().click();
    await lensText('Rejected').first().waitFor({ timeout: 10000 });
    await snap('readme-decided');
    await editorTab('config.js').first().click();
    await lens(/^Accept$/).first().waitFor({ timeout: 10000 });
    await lens(/^Accept$/).first().click();
    await lensText('Accepted').first().waitFor({ timeout: 10000 });
  });
  await snap('all-decided');
  let taskId;
  ok = ok && await step('the commit approval arrives (notification + chat) with the exact diff; Approve → the message editor → a typed two-line message, Ctrl+Enter → committed after the re-run tests', async () => {
    await toast(/approval required — Commit 2 hunk/).first().waitFor({ timeout: 60000 });
    await snap('commit-approval');
    await toast(/approval required — Commit 2 hunk/).first().getByRole('button', { name: 'Approve' }).click();
    const lines = await messageEditorFocus('COMMIT_EDITMSG');
    await lines.filter({ hasText: 'Proposed by the model.' }).filter({ hasText: 'Commit: Ctrl+Enter' }).waitFor({ timeout: 10000 });
    await lens(/Commit \(Ctrl\+Enter\)/).first().waitFor({ timeout: 10000 });
    await page.locator('.editor-actions .action-label[aria-label^="Commit"]').first().waitFor({ timeout: 10000 });
    await snap('commit-message-editor');
    await page.keyboard.press('Control+a');
    await typeLines([...TYPED_MESSAGE, '# a note typed by hand: a comment, not committed']);
    await snap('commit-message-typed');
    await page.keyboard.press('Control+Enter');
    await tabGone('COMMIT_EDITMSG');
    await lensText(/Committed [0-9a-f]{8}/).first().waitFor({ timeout: TASK_TIMEOUT });
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    await card.locator('.review-state.committed').waitFor({ timeout: 20000 });
    taskId = await card.getAttribute('data-task');
    // The re-run tests as evidence on the card: passed, on the accepted hunks' tree.
    await card.locator('.evidence .check[data-check="test"][data-status="passed"]', { hasText: "on the accepted hunks' tree" }).waitFor({ timeout: 5000 });
  });
  await snap('committed');
  if (ok) await step('host git on the orchestrator\'s clone: pushpals/<task> holds exactly the accepted hunks; main did not move', async () => {
    const repos = readdirSync(join(orch.home, 'repos')).filter((n) => !n.startsWith('.'));
    expect(repos.length === 1, `repos: ${repos}`);
    const gitdir = join(orch.home, 'repos', repos[0]);
    const at = (ref) => gitIn(gitdir, 'rev-parse', ref).trim();
    expect(at(`pushpals/${taskId}^`) === base, 'the commit\'s parent is the base');
    expect(gitIn(gitdir, 'show', `pushpals/${taskId}:README.md`) === README_ACCEPTED, 'README.md on the branch is not exactly the accepted hunk');
    expect(gitIn(gitdir, 'show', `pushpals/${taskId}:src/config.js`) === CONFIG_NEW, 'config.js on the branch');
    expect(at('main') === base, 'main moved');
    const message = gitIn(gitdir, 'log', '-1', '--format=%B', `pushpals/${taskId}`).trim();
    expect(message === TYPED_MESSAGE.join('\n'), `the commit message is the one typed in the editor, without the comment: ${JSON.stringify(message)}`);
    expect(gitIn(workspace, 'rev-parse', 'HEAD').trim() === base && readFileSync(join(workspace, 'README.md'), 'utf8') === README, 'the workspace changed before "Apply"');
  });

  // ---- 3. Apply to My Checkout: one file merges cleanly, one overlaps a local edit → the merge editor ----
  const mergeEditor = page.locator('.merge-editor').first();
  const completeMerge = page.locator('.editor-actions .action-label', { hasText: 'Complete Merge' }).first();
  const reviewRow = (file, state) => page.locator('.pane-body .monaco-list-row', { hasText: file }).filter({ hasText: state }).first();
  let merging = false;
  if (ok) merging = await step('"Apply to My Checkout" with a local edit on the line a hunk changes: README.md applied, config.js left as it is and opened in the merge editor', async () => {
    writeFileSync(join(workspace, 'src', 'config.js'), CONFIG_LOCAL); // the person's own, uncommitted edit
    await runCommand('PushPals: Apply to My Checkout');
    const pickTask = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Polish the docs text' });
    if (await pickTask.first().waitFor({ timeout: 3000 }).then(() => true, () => false)) await pickTask.first().click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Merge into my working tree' }).first().click();
    await mergeEditor.waitFor({ timeout: 20000 });
    await completeMerge.waitFor({ timeout: 10000 });
    // The three panes are titled by their side; the result counts the open conflict.
    for (const title of ['Yours', 'PushPals', 'Result']) await page.locator('.merge-editor .code-view .header .title', { hasText: title }).first().waitFor({ timeout: 10000 });
    await page.locator('.merge-editor .code-view.result .header .detail', { hasText: '1 Conflict Remaining' }).waitFor({ timeout: 10000 });
    expect(readFileSync(join(workspace, 'README.md'), 'utf8') === README_ACCEPTED, 'README.md in the workspace is not base + the accepted hunk');
    expect(readFileSync(join(workspace, 'src', 'config.js'), 'utf8') === CONFIG_LOCAL, 'config.js was changed before the merge was completed');
    await toast('need merging').first().getByRole('button', { name: 'Open Merge Editor: src/config.js' }).waitFor({ timeout: 10000 });
  });
  await snap('merge-editor-open');
  if (merging) await step('the Review view shows config.js as "conflict — merge"; a click on it opens the merge editor again', async () => {
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
    await runCommand('PushPals: Focus on Review View');
    await reviewRow('config.js', 'conflict — merge').waitFor({ timeout: 10000 });
    await snap('review-view-conflict');
    await reviewRow('config.js', 'conflict — merge').click();
    await mergeEditor.waitFor({ timeout: 10000 });
  });
  if (merging) await step('"Accept PushPals" on the conflict, Save (the file stays as it is), then "Complete Merge": config.js on disk holds the resolution, no markers', async () => {
    await page.locator('.merge-editor .merge-editor-conflict-actions a', { hasText: 'Accept PushPals' }).first().click();
    await page.locator('.merge-editor .code-view.result .header .detail', { hasText: /\b0 Conflicts Remaining/ }).waitFor({ timeout: 10000 });
    await snap('merge-editor-resolved');
    // A plain save keeps the result with the merge; only "Complete Merge" writes the person's file.
    await page.locator('.merge-editor .code-view.result .view-lines').first().click();
    await page.keyboard.press('Control+s');
    await page.waitForTimeout(1000);
    expect(readFileSync(join(workspace, 'src', 'config.js'), 'utf8') === CONFIG_LOCAL, 'config.js was written before "Complete Merge"');
    await completeMerge.click();
    const t = Date.now();
    while (Date.now() - t < 15000 && readFileSync(join(workspace, 'src', 'config.js'), 'utf8') !== CONFIG_NEW) await page.waitForTimeout(200);
    const merged = readFileSync(join(workspace, 'src', 'config.js'), 'utf8');
    expect(merged === CONFIG_NEW, `config.js after the merge: ${JSON.stringify(merged)}`);
    expect(!/^(<{7}|={7}|>{7})/m.test(merged), 'conflict markers in config.js');
    await mergeEditor.waitFor({ state: 'hidden', timeout: 10000 });
    await toast('merged src/config.js').first().waitFor({ timeout: 10000 });
    await reviewRow('config.js', 'merged').waitFor({ timeout: 10000 });
  });
  await snap('merge-completed');

  if (ok) await step('"Push" on the card → the push approval → approved → origin has pushpals/<task> at the commit; main did not move', async () => {
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    await card.locator('vscode-button.push').click();
    await toast(/approval required — Push pushpals\//).first().waitFor({ timeout: 30000 });
    await snap('push-approval');
    await toast(/approval required — Push pushpals\//).first().getByRole('button', { name: 'Approve' }).click();
    await card.locator('.note-git', { hasText: `pushed pushpals/${taskId} to ${origin}` }).waitFor({ timeout: 30000 });
    const committedSha = gitIn(join(orch.home, 'repos', readdirSync(join(orch.home, 'repos')).filter((n) => !n.startsWith('.'))[0]), 'rev-parse', `pushpals/${taskId}`).trim();
    expect(gitIn(origin, 'rev-parse', `refs/heads/pushpals/${taskId}`).trim() === committedSha, 'origin has the task branch at the commit');
    expect(gitIn(origin, 'rev-parse', 'main').trim() === base, 'origin\'s main moved');
  });
  await snap('pushed');
  /** Approve the pr approval from its notification; in its editor (title, blank line, body) `title` typed over the first line (or kept); the body kept; Ctrl+Enter. */
  const approvePr = async (toastText, title) => {
    await toast(toastText).first().getByRole('button', { name: 'Approve' }).click();
    const lines = await messageEditorFocus('PULL_REQUEST.md');
    await lines.filter({ hasText: '>8' }).waitFor({ timeout: 10000 });
    await snap('pr-editor');
    if (title !== undefined) {
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('Shift+End');
      await page.keyboard.type(title);
    }
    await page.keyboard.press('Control+Enter');
    await tabGone('PULL_REQUEST.md');
  };
  if (ok) await step('"Open PR" on the card → the pr approval → the title edited at the approval → the forge gets exactly that pull request → the card links it', async () => {
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    await card.locator('vscode-button.pull-request').click();
    await toast(/approval required — Open a pull request on acme\/review-demo/).first().waitFor({ timeout: 30000 });
    expect(forgeRequests.every((r) => r.method === 'GET'), 'the forge got more than the lookup before the approval');
    await approvePr(/approval required — Open a pull request on acme\/review-demo/, 'Fix the first typo (title edited in VS Code)');
    const link = card.locator('.pr-opened a');
    await link.waitFor({ timeout: 30000 });
    expect(await link.getAttribute('href') === 'https://github.example.test/acme/review-demo/pull/7', `link: ${await link.getAttribute('href')}`);
    expect((await link.innerText()).trim() === '#7', `link text: ${await link.innerText()}`);
    const posts = forgeRequests.filter((r) => r.method === 'POST');
    expect(posts.length === 1 && forgeRequests.every((r) => r.headers.authorization === `token ${FORGE_TOKEN}`), JSON.stringify(forgeRequests.map((r) => [r.method, r.url])));
    const b = posts[0].body;
    expect(b.head === `pushpals/${taskId}` && b.base === 'main' && b.title === 'Fix the first typo (title edited in VS Code)', JSON.stringify({ head: b.head, base: b.base, title: b.title }));
    expect(b.body.includes(`pushpals audit receipt --task ${taskId}`) && b.body.includes('npm test'), b.body);
  });
  if (ok) await step('"Open PR" again: the approval says it updates #7; approved with the proposal kept → PATCH #7, no second pull request; the card says updated', async () => {
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    await card.locator('vscode-button.pull-request').click();
    await toast(/approval required — Update pull request #7 on acme\/review-demo/).first().waitFor({ timeout: 30000 });
    await approvePr(/approval required — Update pull request #7 on acme\/review-demo/, undefined);
    await card.locator('.note-git', { hasText: 'PR #7 updated' }).waitFor({ timeout: 30000 });
    const patches = forgeRequests.filter((r) => r.method === 'PATCH');
    expect(patches.length === 1 && patches[0].path === '/repos/acme/review-demo/pulls/7', JSON.stringify(forgeRequests.map((r) => [r.method, r.url])));
    expect(forgeRequests.filter((r) => r.method === 'POST').length === 1 && forge.pulls.length === 1, 'a second pull request was opened');
    expect(forge.pulls[0].title === 'Fix the first typo and raise the retries', `the proposal (the commit's subject) replaced the earlier title: ${forge.pulls[0].title}`);
  });
  await snap('pr-opened');

  // ---- 4. A planted AWS key blocks the commit ----
  await runCommand('Notifications: Clear All Notifications').catch(() => {});
  await step('a planted AWS-style key: "Accept All (Task)" → the commit is blocked, naming file, line and rule', async () => {
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    await webview.locator('#composer textarea').fill('Add the deploy settings');
    await webview.locator('vscode-button#new-task').click();
    const deploy = webview.locator('section.card', { hasText: 'Add the deploy settings' }).last();
    await deploy.locator('vscode-button.review').waitFor({ timeout: TASK_TIMEOUT });
    await deploy.locator('vscode-button.review').click();
    await editorTab('deploy.js').first().waitFor({ timeout: 20000 });
    await lens('Accept All (Task)').first().click();
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    const err = deploy.locator('.note-error', { hasText: 'Commit blocked' });
    await err.waitFor({ timeout: 60000 });
    const text = await err.innerText();
    expect(/src\/deploy\.js:2 \(@secretlint\/secretlint-rule-aws\)/.test(text), text);
    expect(!text.includes(AWS_KEY), 'the message repeats the key');
  });
  await snap('secret-blocked');

  // ---- 5. Pause and resume from the chat card ----
  await step('"Pause" on a running task\'s card: the badge says paused and no model call starts meanwhile; "Resume": it finishes', async () => {
    await page.locator('.tab', { hasText: 'PushPals Chat' }).click();
    await webview.locator('#composer textarea').fill('Take notes slowly');
    await webview.locator('vscode-button#new-task').click();
    const slow = webview.locator('section.card', { hasText: 'Take notes slowly' }).last();
    await slow.locator('vscode-button.pause').click({ timeout: 30000 });
    await slow.locator('vscode-badge.state', { hasText: 'paused' }).waitFor({ timeout: 20000 });
    const calls = model.chatRequests('Take notes slowly').length;
    await page.waitForTimeout(6000); // past the 4 s reply: the agent would have asked again by now
    const later = model.chatRequests('Take notes slowly').length;
    expect(later === calls, `the model was called while paused (${calls} → ${later})`);
    await snap('task-paused');
    await slow.locator('vscode-button.resume').click();
    await slow.locator('vscode-badge.state', { hasText: 'completed' }).waitFor({ timeout: TASK_TIMEOUT });
    expect(model.chatRequests('Take notes slowly').length > later, 'resumed: the agent asked the model again');
  });

  // ---- 6. A window opening with nothing pending: no approval toast ----
  await step('reloading the window with no approval pending shows no approval notification', async () => {
    await runCommand('Notifications: Clear All Notifications').catch(() => {});
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await statusItem(/PushPals: /).waitFor({ timeout: 60000 });
    await page.waitForTimeout(4000); // the replay (with an approval decided in it) is through by now
    const toasts = await toast('approval required').count();
    await snap('reload-no-stale-toast');
    expect(toasts === 0, `${toasts} approval notification(s) after reload`);
  });
  log(`   figure: click on Accept → CodeLens updated (browser, incl. the orchestrator round trip): ${acceptMs} ms`);
} catch (e) {
  unexpected = e;
}
await h.finish(unexpected, { vsc, orch, t0 });
