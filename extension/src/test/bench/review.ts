/**
 * In-host part of bench/review-bench.mjs: inside the real extension host, with the real orchestrator's
 * tasks already done (a 200-hunk diff of one file, a 50-file diff): opens the 50-file review (time until
 * its documents are open), opens the 200-hunk file, then accepts hunks one by one and reads, per decision,
 * the time from the command to the decorations applied and to the CodeLens provided again. JSON to $BENCH_OUT.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';

interface TaskInfo {
  taskId: string;
  hunks: number;
}
interface ReviewInfo {
  latencies: Array<{ hunkId: string; ms: number }>;
  decorationLatencies: Array<{ hunkId: string; ms: number }>;
  loaded: Array<TaskInfo & { loaded: boolean }>;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const info = async (): Promise<ReviewInfo> => (await vscode.commands.executeCommand('pushpals._reviewInfo')) as ReviewInfo;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s.at(-1) ?? NaN };
};

export async function run(): Promise<void> {
  const ext = vscode.extensions.getExtension('pushpals.pushpals');
  if (!ext) throw new Error('extension not loaded');
  await ext.activate();
  const t0 = Date.now();
  let i = await info();
  while (i.loaded.length < 2 && Date.now() - t0 < 60000) {
    await sleep(50);
    i = await info();
  }
  const big = i.loaded.find((t) => t.hunks >= 200);
  const wide = i.loaded.find((t) => t.hunks >= 50 && t.hunks < 200);
  if (!big || !wide) throw new Error(`expected a 200-hunk and a 50-file review, got ${JSON.stringify(i.loaded)}`);

  const opens: number[] = [];
  for (let k = 0; k < 3; k++) {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const t = performance.now();
    const r = (await vscode.commands.executeCommand('pushpals.reviewChanges', { taskId: wide.taskId })) as { files: number; opened: number } | undefined;
    opens.push(performance.now() - t);
    if (!r || r.files !== 50) throw new Error(`the review opened ${JSON.stringify(r)}`);
  }

  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('pushpals.reviewChanges', { taskId: big.taskId });
  await sleep(1000);
  const before = await info();
  const ids: string[] = [];
  const n = Number(process.env.BENCH_DECISIONS ?? '30');
  for (let k = 0; k < n; k++) ids.push(`h1_${k * 6 + 1}`);
  for (const hunkId of ids) {
    await vscode.commands.executeCommand('pushpals.acceptHunk', { taskId: big.taskId, hunkId });
    const end = Date.now() + 10000;
    let now = await info();
    while (!now.latencies.some((l) => l.hunkId === hunkId) && Date.now() < end) {
      await sleep(5);
      now = await info();
    }
    await sleep(50);
  }
  const after = await info();
  const fresh = (xs: Array<{ hunkId: string; ms: number }>) => xs.filter((l) => ids.includes(l.hunkId)).map((l) => l.ms);
  fs.writeFileSync(process.env.BENCH_OUT ?? '/dev/null', JSON.stringify({
    openReview50Files: stats(opens),
    decisionToDecorations200Hunks: stats(fresh(after.decorationLatencies)),
    decisionToCodeLens200Hunks: stats(fresh(after.latencies)),
    samplesBefore: before.latencies.length,
  }));
}
