// What every UI script of test/e2e shares: step bookkeeping with screenshots, a hard timeout that
// never lets CI hang, and the workbench's locators (webview, notifications, status bar, palette).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from './lib.mjs';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/**
 * The extension under test (argv[2], default <repo>/extension), its id, and a fresh screenshot dir
 * ($OUT_DIR, default <repo>/test-results/<name>).
 */
export function uiScriptSetup(name) {
  const extDir = resolve(process.argv[2] || join(REPO, 'extension'));
  const manifest = JSON.parse(readFileSync(join(extDir, 'package.json'), 'utf8'));
  const out = resolve(process.env.OUT_DIR || join(REPO, 'test-results', name));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  return { extDir, manifest, extId: `${manifest.publisher}.${manifest.name}`, out, taskTimeoutMs: Number(process.env.E2E_TASK_TIMEOUT_MS || 120000) };
}

/**
 * Steps and screenshots. `h.page` is set once the workbench is up; `cleanup` runs on the hard timeout.
 * Ends with `h.finish()`, which prints the "N passed, N failed" line the suite runner reads.
 */
export function createHarness({ out, hardTimeoutMs, cleanup }) {
  let shot = 0;
  const h = {
    passed: 0,
    failed: 0,
    page: undefined,
    async snap(name) {
      if (!h.page) return;
      await h.page.waitForTimeout(400).then(() => h.page.screenshot({ path: join(out, `${String(++shot).padStart(2, '0')}-${name}.png`) })).catch(() => {});
    },
    async step(name, fn) {
      const t = Date.now();
      try { await fn(); h.passed++; log(`ok   ${name} (${Date.now() - t} ms)`); return true; }
      catch (e) {
        h.failed++; log(`FAIL ${name}: ${String(e.message).replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 4).join(' | ')}`);
        await h.snap(`FAIL-${name.replace(/\W+/g, '_').slice(0, 60)}`);
        return false;
      }
    },
    expect(cond, msg) { if (!cond) throw new Error(msg); },
    /**
     * Ends the script: counts an unexpected `error`, prints the server logs on failure, cleans up,
     * prints the "N passed, N failed" line and exits with 1 on any failure.
     */
    async finish(error, { vsc, orch, t0 }) {
      clearTimeout(hardStop);
      if (error) {
        h.failed++; log(`FAIL unexpected: ${error.stack ?? error}`);
        await h.snap('FAIL-unexpected');
      }
      if (h.failed) {
        if (vsc) log(`code-server log (tail):\n${vsc.serverLog().slice(-2000)}`);
        if (orch) log(`orchestrator log (tail):\n${orch.log().slice(-3000)}`);
      }
      if (vsc?.blocked.length) log(`blocked non-loopback requests: ${[...new Set(vsc.blocked)].join(' ')}`);
      await cleanup();
      log(`screenshots in ${out}; total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      console.log(`${h.passed} passed, ${h.failed} failed`);
      process.exit(h.failed ? 1 : 0);
    },
  };
  const hardStop = setTimeout(async () => { // never hang CI
    console.log(`FAIL global timeout (${hardTimeoutMs / 1000} s)`);
    await h.snap('timeout');
    await cleanup();
    console.log(`${h.passed} passed, ${h.failed + 1} failed`);
    process.exit(1);
  }, hardTimeoutMs);
  return h;
}

/** Locators and the command palette of a code-server workbench page hosting the extension `extId`. */
export function workbench(page, extId) {
  const palette = page.locator('.quick-input-widget .quick-input-box input');
  return {
    webview: page.frameLocator(`iframe.webview.ready[src*="extensionId=${extId}"]`).frameLocator('#active-frame'),
    toast: (text) => page.locator('.notifications-toasts .notification-toast', { hasText: text }),
    statusItem: (re) => page.locator('.statusbar-item', { hasText: re }).first(),
    palette,
    /** F1, the title, Enter — retried until the command is listed (the extension has activated). */
    async runCommand(title, tries = 20) {
      for (let i = 0; i < tries; i++) {
        await page.keyboard.press('F1');
        await palette.waitFor({ state: 'visible', timeout: 10000 });
        await palette.fill(`>${title}`);
        const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
        if (await row.waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false)) { await page.keyboard.press('Enter'); return; }
        await page.keyboard.press('Escape');
        await page.waitForTimeout(1000);
      }
      throw new Error(`command not found in the palette: ${title}`);
    },
  };
}
