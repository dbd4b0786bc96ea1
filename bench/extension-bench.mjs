#!/usr/bin/env node
// Benchmarks of the VS Code extension in a REAL VS Code (code-server) with a REAL orchestrator:
// activation time, chat webview first paint, time to render a 5,000-event history, extension host memory.
// Two runs: an empty history and one of BENCH_EVENTS (default 5,000) events seeded over the protocol
// (chat messages: user_message + assistant_message + done each). Prints a table; not a timed test.
// Usage: node bench/extension-bench.mjs   (build first: npm run build -w extension && npx tsc -b extension)
// BENCH_EXTENSION_DIR=/path/to/a/copy/of/extension measures another build of the extension (A/B runs;
// the copy needs package.json, dist/, media/ and out/, and a node_modules that resolves its packages).
// The module-load part of activation (require() of the bundle) is measured by bench/extension-load.mjs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVSCode, log } from '../test/e2e/lib.mjs';
import { makeGitWorkspace, spawnOrchestrator } from '../test/e2e/orchestrator.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const extDir = process.env.BENCH_EXTENSION_DIR || join(root, 'extension');
const require = createRequire(join(extDir, 'out', 'x.js'));
const { Connection } = require('./connection.js');
const N = Number(process.env.BENCH_EVENTS || 5000);
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m) };

async function seed(orch, events) {
  if (!events) return 0;
  const c = new Connection({ resolveEndpoint: async () => ({ url: orch.url, token: orch.token, source: 'settings' }), clientName: 'bench', clientVersion: '0', sessionId: 's_bench', logger: quiet });
  c.start();
  while (c.status.state !== 'connected') await new Promise((r) => setTimeout(r, 20));
  const t = Date.now();
  let i = 0;
  while (c.lastSeq < events) {
    await c.request('chat_send', { text: `benchmark message ${i++}: ${'lorem ipsum dolor sit amet '.repeat(3)}` });
    if (i % 200 === 0) await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const seq = c.lastSeq;
  c.dispose();
  log(`seeded ${seq} events (${i} chat messages) in ${Date.now() - t} ms`);
  return seq;
}

async function once(events) {
  // Seeding sends chat messages as fast as they are acked: above the default command rate limit.
  const orch = await spawnOrchestrator({ config: { rateLimit: { commandsPerSecond: 1_000_000, burst: 1_000_000 } } });
  const workspace = makeGitWorkspace();
  try {
    const seeded = await seed(orch, events);
    const outFile = join(mkdtempSync(join(tmpdir(), 'pushpals-bench-')), 'out.json');
    const vsc = await startVSCode({ workspace, extensionDevelopmentPath: extDir, extensionTestsPath: join(extDir, 'out', 'test', 'bench', 'index.js'), env: { PUSHPALS_HOME: orch.home, BENCH_OUT: outFile, BENCH_EVENTS: String(seeded) } });
    const done = new Promise((res) => vsc.page.exposeFunction('codeAutomationExit', (code) => res(code)));
    await vsc.page.goto(vsc.url);
    const code = await Promise.race([done, new Promise((r) => setTimeout(() => r('timeout'), 180000))]);
    await vsc.stop();
    if (code !== 0) throw new Error(`in-host bench exited ${code}`);
    const r = JSON.parse(readFileSync(outFile, 'utf8'));
    rmSync(dirname(outFile), { recursive: true, force: true });
    return r;
  } finally {
    await orch.cleanup();
    rmSync(workspace, { recursive: true, force: true });
  }
}

const mb = (b) => (b / 1048576).toFixed(1);
const rows = [];
for (const events of [0, N]) {
  const r = await once(events);
  rows.push(r);
  log(JSON.stringify(r));
}
console.log('\nhistory  activation  replay-wait  open→paint  first-paint(doc)  render(history)  heapUsed(before chat)  rss(after chat)');
for (const r of rows) {
  const fp = r.firstPaint;
  console.log(`${String(r.history).padStart(7)}  ${r.activationMs.toFixed(1).padStart(8)} ms  ${String(r.replayWaitMs).padStart(8)} ms  ${String(r.openToPaintMs).padStart(7)} ms  ${fp.ms.toFixed(0).padStart(12)} ms  ${fp.detail.renderMs.toFixed(1).padStart(12)} ms  ${mb(r.memoryBeforeChat.heapUsed).padStart(14)} MB  ${mb(r.memoryAfterChat.rss).padStart(10)} MB`);
}
