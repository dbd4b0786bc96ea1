/**
 * In-host part of bench/extension-bench.mjs: runs inside the real extension host (extensionTestsPath),
 * waits for the replayed history, opens the chat, reads the extension's own measurements and writes
 * them as JSON to $BENCH_OUT.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';

interface Info {
  activationMs: number;
  memory: NodeJS.MemoryUsage;
  history: number;
  status: { state: string };
  webviewMetrics: Record<string, { ms: number; detail?: Record<string, number> }>;
}
const info = async (): Promise<Info> => (await vscode.commands.executeCommand('pushpals._debugInfo')) as Info;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const expected = Number(process.env.BENCH_EVENTS ?? '0');
  const ext = vscode.extensions.getExtension('pushpals.pushpals');
  if (!ext) throw new Error('extension not loaded');
  await ext.activate();
  const t0 = Date.now();
  let i = await info();
  while ((i.status.state !== 'connected' || i.history < expected) && Date.now() - t0 < 60000) {
    await sleep(20);
    i = await info();
  }
  const replayWaitMs = Date.now() - t0;
  const beforeChat = i.memory;
  const t1 = Date.now();
  await vscode.commands.executeCommand('pushpals.showChat');
  while (!i.webviewMetrics.firstPaint && Date.now() - t1 < 60000) {
    await sleep(20);
    i = await info();
  }
  const openToPaintMs = Date.now() - t1;
  await sleep(500);
  i = await info();
  const out = { expected, history: i.history, activationMs: i.activationMs, replayWaitMs, openToPaintMs, firstPaint: i.webviewMetrics.firstPaint, memoryBeforeChat: beforeChat, memoryAfterChat: i.memory };
  if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 1));
  if (!i.webviewMetrics.firstPaint) throw new Error('no first paint');
}
