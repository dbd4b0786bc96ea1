/**
 * Temp dirs of the tests (orchestrator/test and test/): made under the OS temp dir, removed by
 * `removeTempDirs()` in a suite's `after`, and whatever a suite forgot when the test process exits
 * (mocha --exit included), so a run leaves nothing behind.
 */
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];
process.on('exit', () => removeTempDirs());

/**
 * A new empty directory (mode 0700). `mountable`: mode 0755, so the sandbox user can enter it through
 * a mount; `sandboxOwned`: mountable and owned by uid 1000 (the sandbox user) when the tests run as root.
 */
export function tempDir(prefix = 'pushpals-test-', opts: { mountable?: boolean; sandboxOwned?: boolean } = {}): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  if (opts.mountable || opts.sandboxOwned) chmodSync(d, 0o755);
  if (opts.sandboxOwned && process.getuid?.() === 0) chownSync(d, 1000, 1000);
  return d;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
