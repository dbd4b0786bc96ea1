#!/usr/bin/env node
// `npm run test:ui -w extension`: runs the UI tests one after another and ends with ONE line summing
// them, "N passed, N failed" (scripts/run-suites.mjs reads the last such line):
//   vscode-dogfood.mjs  the extension under development (extensionDevelopmentPath), the dogfood scenario
//   vscode-review.mjs   diff review: CodeLens decisions, the commit of the accepted hunks, Apply to My Checkout
//   vscode-vsix.mjs     the packaged .vsix installed into code-server, and the approval expiry
// Each script's own summary line is printed with its name in front. A script that exits non-zero
// without reporting a failure, or outlives its time limit (then it is killed), counts as one.
// Usage: node ui-suites.mjs [extensionDir] [only...]   e.g. `node ui-suites.mjs ../extension vsix`
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const extDir = resolve(process.argv[2] || join(here, '..', '..', 'extension'));
const only = process.argv.slice(3);
const SUITES = [
  { name: 'dogfood', script: 'vscode-dogfood.mjs', timeoutMs: Number(process.env.E2E_UI_TIMEOUT_MS || 600000) + 60000 },
  { name: 'review', script: 'vscode-review.mjs', timeoutMs: Number(process.env.E2E_UI_TIMEOUT_MS || 600000) + 60000 },
  { name: 'vsix', script: 'vscode-vsix.mjs', timeoutMs: Number(process.env.E2E_VSIX_TIMEOUT_MS || 420000) + 60000 },
].filter((s) => !only.length || only.includes(s.name));

const SUMMARY = /^(\d+) passed, (\d+) failed$/;

function runSuite({ name, script, timeoutMs }) {
  return new Promise((done) => {
    // Same process group as this driver: whoever kills the driver's group (run-suites' time limit) kills
    // the scripts too. Each script has its own, shorter hard timeout that cleans up (code-server,
    // orchestrator, temp dirs); the limit here is only a backstop.
    const child = spawn(process.execPath, [join(here, script), extDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let summary = null;
    let buf = '';
    const onLine = (line) => {
      const m = SUMMARY.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim());
      if (m) { summary = { passed: Number(m[1]), failed: Number(m[2]) }; console.log(`[${name}] ${line}`); }
      else console.log(line);
    };
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      lines.forEach(onLine);
    });
    const timer = setTimeout(() => {
      console.log(`[${name}] killed after ${timeoutMs / 1000} s`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10000).unref();
    }, timeoutMs);
    const killChild = () => child.kill('SIGKILL');
    process.on('exit', killChild);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', killChild);
      if (buf) onLine(buf);
      const s = summary ?? { passed: 0, failed: 0 };
      if (!summary || ((code !== 0 || signal) && s.failed === 0)) s.failed += 1;
      done(s);
    });
  });
}

let passed = 0, failed = 0;
for (const s of SUITES) {
  const r = await runSuite(s);
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
