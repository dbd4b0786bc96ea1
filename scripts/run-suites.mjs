#!/usr/bin/env node
// Runs the test suites one after another, streams their output, and ends with ONE plain line
// summing all of them: "N passed, N failed". Exit code 1 if anything failed.
//   node scripts/run-suites.mjs            # all suites
//   node scripts/run-suites.mjs lint protocol   # only these
// A suite that exits non-zero without reporting a failure counts as one failure: a crash or a
// missing engine (Docker, code-server) is never a pass.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = [
  { name: 'lint', cmd: 'npx eslint --max-warnings 0 . && node scripts/check-cycles.mjs', kind: 'single' },
  { name: 'typecheck', cmd: 'npx tsc -b', kind: 'single' },
  { name: 'protocol', cmd: 'npm test -w protocol --silent', kind: 'mocha' },
  { name: 'webview-ui', cmd: 'npm test -w webview-ui --silent', kind: 'mocha' },
  { name: 'orchestrator', cmd: 'npm test -w orchestrator --silent', kind: 'mocha' },
  { name: 'e2e', cmd: 'npm test -w test --silent', kind: 'mocha' },
  { name: 'extension-host', cmd: 'npm run test:host -w extension --silent', kind: 'summary' },
  { name: 'vscode-ui', cmd: 'npm run test:ui -w extension --silent', kind: 'summary' },
  // A real model (scripts/setup-local-model.sh): whole tasks through the coding agent; a missing model fails.
  { name: 'local-model', cmd: 'npm run test:local-model -w test --silent', kind: 'mocha' },
];

// A suite that hangs (a leaked handle, a stuck engine) is killed and counted as failed: CI never hangs.
const SUITE_TIMEOUT_MS = Number(process.env.SUITE_TIMEOUT_MS || 20 * 60_000);

function run(cmd) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn('bash', ['-c', cmd], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      out += `\n[run-suites] killed after ${SUITE_TIMEOUT_MS / 1000} s (SUITE_TIMEOUT_MS)\n`;
      console.error(`[run-suites] suite timed out after ${SUITE_TIMEOUT_MS / 1000} s: killing its process group`);
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, SUITE_TIMEOUT_MS);
    const tee = (stream, sink) => stream.on('data', (d) => { out += d; sink.write(d); });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 1 : 0), out });
    });
  });
}

function count(kind, { code, out }) {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  if (kind === 'mocha') {
    const p = [...plain.matchAll(/^\s*(\d+) passing/gm)].reduce((a, m) => a + Number(m[1]), 0);
    const f = [...plain.matchAll(/^\s*(\d+) failing/gm)].reduce((a, m) => a + Number(m[1]), 0);
    return { passed: p, failed: f || (code !== 0 || p === 0 ? 1 : 0) };
  }
  if (kind === 'summary') {
    const m = [...plain.matchAll(/^(\d+) passed, (\d+) failed$/gm)].pop();
    if (!m) return { passed: 0, failed: 1 };
    const failed = Number(m[2]);
    return { passed: Number(m[1]), failed: failed || (code !== 0 ? 1 : 0) };
  }
  return code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
}

// CI keeps only the tail of the log: a failed suite's failures are printed again next to the
// summary, so the last lines say WHICH test failed and why, not only that one did.
const REPORT_LINES = 80;
function failureReport(out) {
  const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
  const start = lines.findIndex((l) => /^\s*\d+ failing/.test(l));
  const picked = start >= 0
    ? lines.slice(start)
    : lines.filter((l) => /\b(not ok|FAIL|fail|Error)\b/.test(l));
  const shown = picked.length ? picked : lines.slice(-20);
  return shown.slice(0, REPORT_LINES).join('\n') + (shown.length > REPORT_LINES ? `\n… ${shown.length - REPORT_LINES} more line(s) above in this suite's output` : '');
}

const only = process.argv.slice(2);
const unknown = only.filter((n) => !SUITES.some((s) => s.name === n));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const results = [];
for (const suite of SUITES.filter((s) => !only.length || only.includes(s.name))) {
  console.log(`\n=== suite: ${suite.name} (${suite.cmd})`);
  const t = Date.now();
  const ran = await run(suite.cmd);
  const r = { ...count(suite.kind, ran), out: ran.out };
  results.push({ ...suite, ...r, s: ((Date.now() - t) / 1000).toFixed(1), failures: r.failed ? failureReport(r.out) : '' });
  console.log(`=== ${suite.name}: ${r.passed} passed, ${r.failed} failed in ${results.at(-1).s} s`);
}
for (const r of results.filter((x) => x.failed)) console.log(`\n=== what failed in ${r.name}:\n${r.failures}`);
console.log('\nsuite              passed  failed  seconds');
for (const r of results) console.log(`${r.name.padEnd(18)} ${String(r.passed).padStart(6)}  ${String(r.failed).padStart(6)}  ${r.s.padStart(7)}`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
