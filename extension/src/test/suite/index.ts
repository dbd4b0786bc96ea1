/**
 * Loaded by the extension host (extensionTestsPath): runs every *.test.js next to this file with mocha
 * and writes per-test results to $E2E_RESULTS (the host's stdout is not the driver's).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: false, reporter: 'spec', ...(process.env.E2E_GREP ? { grep: process.env.E2E_GREP } : {}) });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const tests: { title: string; state: string; ms?: number; error?: string }[] = [];
    const runner = mocha.run((failures) => {
      const s = runner.stats;
      const result = { passes: s?.passes ?? 0, failures: s?.failures ?? failures, pending: s?.pending ?? 0, tests };
      if (process.env.E2E_RESULTS) fs.writeFileSync(process.env.E2E_RESULTS, JSON.stringify(result, null, 1));
      if (failures > 0) reject(new Error(`${failures} tests failed.`));
      else resolve();
    });
    runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', ms: t.duration ?? 0 }));
    runner.on('fail', (t, err: unknown) => tests.push({ title: t.fullTitle(), state: 'failed', error: String((err as Error)?.stack ?? err) }));
  });
}
