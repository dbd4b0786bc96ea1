#!/usr/bin/env node
// The PACKAGED extension in a REAL VS Code (code-server) driven by headless Chromium, against a REAL
// orchestrator: no extensionDevelopmentPath, the workbench runs what a user installs.
//   1. `npm run package` builds the .vsix (what the README tells users to run); it holds the bundle,
//      the webview and the manifest, and no sources.
//   2. `code-server --install-extension <vsix> --extensions-dir <temp>` installs it; the workbench opens
//      with that extensions dir, the extension host activates the INSTALLED copy (its exthost log says so).
//   3. Zero config: the status bar shows it connected; "PushPals: New Task" from the palette with
//      "Run git status on this repo" completes and the chat shows the real git output.
//   4. The "expired" approval state: the orchestrator runs with approvals.timeoutMs 8000 (config.json);
//      nobody decides the README patch's approval → the chat block says Expired, the status bar no longer
//      says "awaiting approval", the Approvals view empties, and Approve on the (still visible)
//      notification answers that it expired.
// Usage: node vscode-vsix.mjs [extensionDir]. Screenshots in $OUT_DIR (default <repo>/test-results/vscode-vsix).
// Last line: "N passed, N failed"; exit 1 on any failure; hard timeout E2E_VSIX_TIMEOUT_MS (default 420 s).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_SERVER, enterLoopbackOnlyNetns, startVSCode, log } from './lib.mjs';
import { makeGitWorkspace, spawnOrchestrator } from './orchestrator.mjs';
import { createHarness, uiScriptSetup, workbench } from './ui-harness.mjs';

enterLoopbackOnlyNetns();
const { extDir, manifest, extId, out, taskTimeoutMs: TASK_TIMEOUT } = uiScriptSetup('vscode-vsix');
const HARD_TIMEOUT = Number(process.env.E2E_VSIX_TIMEOUT_MS || 420000);
const APPROVAL_TIMEOUT_MS = 8000; // long enough to see it pending on a loaded machine

const t0 = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'pushpals-vsix-'));
const extensionsDir = join(tmp, 'extensions');
const workspace = makeGitWorkspace();
let orch, vsc, page;

const cleanup = async () => {
  await vsc?.stop().catch(() => {});
  await orch?.cleanup().catch(() => {});
  if (!process.env.E2E_KEEP) {
    rmSync(workspace, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
};

const h = createHarness({ out, hardTimeoutMs: HARD_TIMEOUT, cleanup });
const { snap, step, expect } = h;
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 180000, ...opts });
const files = (dir, base = dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)]));

let unexpected;
try {
  // ---- 1. Build and install the .vsix (no browser yet) ----
  const vsix = join(tmp, 'pushpals.vsix');
  let ok = await step('npm run package builds the .vsix', async () => {
    const r = run('npm', ['run', 'package', '--silent'], { cwd: extDir });
    expect(r.status === 0, `npm run package exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).slice(-1500)}`);
    const built = join(extDir, 'pushpals.vsix');
    expect(existsSync(built) && Date.now() - statSync(built).mtimeMs < 120000, `${built} was not (re)written`);
    copyFileSync(built, vsix); // test the copy: the tree's file may be rebuilt by someone else meanwhile
    log(`   ${built}: ${(statSync(vsix).size / 1024).toFixed(0)} KiB`);
  });
  let installed;
  ok = ok && await step('code-server --install-extension installs the .vsix into a temp extensions dir', async () => {
    const r = run(process.execPath, [CODE_SERVER, '--install-extension', vsix, '--extensions-dir', extensionsDir, '--user-data-dir', join(tmp, 'install-user-data')], {
      env: { ...process.env, EXTENSIONS_GALLERY: '{}' },
    });
    expect(r.status === 0, `install exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout).slice(-1500)}`);
    expect(/successfully installed/i.test(r.stdout + r.stderr), `install output: ${(r.stdout + r.stderr).slice(-800)}`);
    const dir = readdirSync(extensionsDir).find((d) => d.startsWith(`${extId}-`));
    expect(dir, `no ${extId}-* in ${extensionsDir}: ${readdirSync(extensionsDir).join(', ')}`);
    installed = join(extensionsDir, dir);
    const list = files(installed);
    for (const f of ['package.json', 'dist/extension.js', 'media/chat.js', 'media/chat.css', 'media/pushpals.svg']) expect(list.includes(f), `the installed extension lacks ${f}: ${list.join(', ')}`);
    expect(!list.some((f) => f.startsWith('src/') || f.startsWith('node_modules/') || f.startsWith('out/')), `sources or node_modules in the .vsix: ${list.join(', ')}`);
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version === manifest.version, 'installed version differs');
    log(`   installed ${dir}: ${list.join(', ')}`);
  });
  if (!ok) throw new Error('no installed extension to test');

  // ---- 2. The workbench with the INSTALLED extension, against a real orchestrator ----
  orch = await spawnOrchestrator({ config: { approvals: { timeoutMs: APPROVAL_TIMEOUT_MS, sweepMs: 500 } } });
  log(`orchestrator up on ${orch.url} (data dir ${orch.home}, approvals expire after ${APPROVAL_TIMEOUT_MS} ms)`);
  vsc = await startVSCode({ workspace, extensionsDir, env: { PUSHPALS_HOME: orch.home } });
  page = h.page = vsc.page;
  const { webview, toast, statusItem, palette, runCommand } = workbench(page, extId);
  async function newTask(request) {
    await runCommand('PushPals: New Task');
    await page.locator('.quick-input-widget', { hasText: 'What should PushPals do?' }).waitFor({ timeout: 10000 });
    await palette.fill(request);
    await page.keyboard.press('Enter');
  }

  await step('workbench loads the workspace as a normal window (no Extension Development Host)', async () => {
    await page.goto(vsc.url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'README.md' }).waitFor({ timeout: 60000 });
    const title = await page.title();
    expect(!/Extension Development Host/.test(title), `window title: ${title}`);
  });
  await step('the installed extension activates and connects: status bar "PushPals: idle"', async () => {
    await statusItem(/PushPals: idle/).waitFor({ timeout: 60000 });
  });
  await snap('installed-connected-idle');
  await step('the extension host loaded PushPals from the installed extensions dir', async () => {
    // exthost.log lists the extensions it scanned/activated; the id must come with the installed path.
    const logs = [];
    const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = join(d, e.name); if (e.isDirectory()) walk(p); else if (e.name.endsWith('.log')) logs.push(p); } };
    walk(join(vsc.userData, 'logs'));
    const text = logs.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(text.includes(extId), `no mention of ${extId} in ${logs.length} log file(s)`);
    expect(!text.includes(extDir + '/dist') && !/extensionDevelopmentPath/.test(text), 'the development copy was loaded');
    const line = text.split('\n').find((l) => l.includes(extId) && /activat/i.test(l));
    if (line) log(`   ${line.trim().slice(0, 200)}`);
  });
  await step('the Extensions view lists PushPals as installed on the server side ("127.0.0.1:<port> - Installed")', async () => {
    await runCommand('View: Show Extensions');
    // The remote (server) section, not "Browser - Installed": a workspace extension, as under Remote-SSH.
    const remote = page.locator('.extensions-viewlet .pane', { has: page.locator('.pane-header', { hasText: /127\.0\.0\.1:\d+ - Installed/i }) });
    await remote.locator('.monaco-list-row', { hasText: 'PushPals' }).first().waitFor({ timeout: 20000 });
  });
  await snap('extensions-view-installed');

  // ---- 3. Run git status on this repo ----
  let gitCard;
  ok = await step('palette: "PushPals: New Task" → "Run git status on this repo" opens the chat with its card', async () => {
    await newTask('Run git status on this repo');
    await page.locator('.tab', { hasText: 'PushPals Chat' }).waitFor({ timeout: 20000 });
    gitCard = webview.locator('section.card', { hasText: 'git status' }).last();
    await gitCard.waitFor({ timeout: 20000 });
  });
  ok = ok && await step('the task completes and the chat shows the real git output', async () => {
    await webview.locator('section.card[data-state="completed"], section.card[data-state="failed"]', { hasText: 'git status' }).first().waitFor({ timeout: TASK_TIMEOUT });
    const final = await gitCard.getAttribute('data-state');
    expect(final === 'completed', `the task ended "${final}": ${(await gitCard.innerText()).slice(0, 400)}`);
    await gitCard.locator('pre.output', { hasText: /On branch pushpals\// }).first().waitFor({ timeout: 5000 });
  });
  await snap('git-status-completed');
  await statusItem(/PushPals: idle/).waitFor({ timeout: 15000 }).catch(() => {});

  // ---- 4. An approval nobody decides expires ----
  await runCommand('Notifications: Clear All Notifications').catch(() => {});
  const approvalsView = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^Approvals/ }) });
  await step('the Approvals view is open (PushPals view container)', async () => {
    await runCommand('PushPals: Focus on Approvals View');
    await approvalsView.locator('.welcome-view-content', { hasText: 'Nothing waits for your approval.' }).waitFor({ timeout: 15000 });
  });
  let card;
  ok = await step('"Apply a patch to fix the README": pending in the chat, the Approvals view, a notification and the status bar', async () => {
    await newTask('Apply a patch to fix the README');
    card = webview.locator('section.card', { hasText: 'README' }).last();
    await card.locator('.approval-pending vscode-button.approve').waitFor({ timeout: TASK_TIMEOUT });
    // The approval expires APPROVAL_TIMEOUT_MS after it was requested: check the other surfaces at once.
    await Promise.all([
      approvalsView.locator('.monaco-list-row', { hasText: 'Apply a patch' }).first().waitFor({ timeout: 4000 }),
      toast('approval required').first().waitFor({ timeout: 4000 }),
      statusItem(/awaiting approval/).waitFor({ timeout: 4000 }),
    ]);
  });
  await snap('approval-pending');
  ok = ok && await step('after the timeout the chat block says Expired (no Approve/Deny buttons)', async () => {
    const block = card.locator('.approval-expired');
    await block.waitFor({ timeout: APPROVAL_TIMEOUT_MS + 15000 });
    const text = await block.innerText();
    expect(/Expired/.test(text) && /expired/.test(await block.locator('.decided').innerText()), `block text: ${text.slice(0, 300)}`);
    expect(await card.locator('.approval-expired vscode-button').count() === 0, 'Approve/Deny still shown on an expired approval');
  });
  ok = ok && await step('the status bar no longer says "awaiting approval"; the Approvals view is empty', async () => {
    const t = Date.now();
    let text = '';
    while (Date.now() - t < 10000) {
      text = (await page.locator('.statusbar-item', { hasText: 'PushPals' }).first().innerText().catch(() => '')) ?? '';
      if (text && !/awaiting approval/.test(text)) break;
      await page.waitForTimeout(200);
    }
    expect(text && !/awaiting approval/.test(text), `status bar: ${text}`);
    await approvalsView.locator('.welcome-view-content', { hasText: 'Nothing waits for your approval.' }).waitFor({ timeout: 10000 });
    expect(await approvalsView.locator('.monaco-list-row', { hasText: 'Apply a patch' }).count() === 0, 'the expired approval is still listed');
    await webview.locator('section.card[data-state="completed"]', { hasText: 'README' }).last().waitFor({ timeout: 60000 });
  });
  await snap('approval-expired');
  if (ok) await step('Approve on the notification afterwards answers that it expired', async () => {
    const approveBtn = toast('approval required').first().getByRole('button', { name: 'Approve' });
    expect(await approveBtn.isVisible().catch(() => false), 'the approval notification is no longer on screen');
    await approveBtn.click();
    await toast('expired before a decision').first().waitFor({ timeout: 10000 });
  });
  await snap('approve-after-expiry');
} catch (e) {
  unexpected = e;
}
await h.finish(unexpected, { vsc, orch, t0 });
