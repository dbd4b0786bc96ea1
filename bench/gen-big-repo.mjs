#!/usr/bin/env node
// A repository for the working-copy benchmark: ≥ 10,000 files and ≥ 50 MB of git objects.
//   node bench/gen-big-repo.mjs <dir> [--files 12000] [--tree-mb 10] [--history-mb 45]
// --files small text files in 100 dirs, --tree-mb of random (incompressible) 1 MiB binaries in the
// tree, --history-mb more of them committed and deleted again (in the objects, not in the checkout).
// Deterministic content (seeded), one `git repack -ad` at the end; prints what it made.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export function genBigRepo(dir, { files = 12000, treeMb = 10, historyMb = 45 } = {}) {
  const git = (...args) => execFileSync('git', ['-c', 'gc.auto=0', '-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 }).toString();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  git('init', '-q', '-b', 'main');
  // Seeded pseudo-random bytes (sha256 in counter mode): the same repository on every run.
  const random = (seed, bytes) => {
    const out = Buffer.alloc(bytes);
    for (let i = 0, off = 0; off < bytes; i++, off += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
    return out;
  };
  for (let i = 0; i < files; i++) {
    const d = join(dir, `pkg${i % 100}`, `mod${i % 7}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `file${i}.py`), `# module ${i}\n${`value_${i} = ${i} * 2  # some text to make the file realistic\n`.repeat(5 + (i % 20))}`);
  }
  mkdirSync(join(dir, 'assets'), { recursive: true });
  for (let i = 0; i < treeMb; i++) writeFileSync(join(dir, 'assets', `blob${i}.bin`), random(`tree${i}`, 1 << 20));
  git('add', '-A');
  git('commit', '-q', '-m', 'tree');
  mkdirSync(join(dir, 'old'), { recursive: true });
  for (let i = 0; i < historyMb; i++) writeFileSync(join(dir, 'old', `blob${i}.bin`), random(`history${i}`, 1 << 20));
  git('add', '-A');
  git('commit', '-q', '-m', 'history: big assets');
  git('rm', '-q', '-r', 'old');
  git('commit', '-q', '-m', 'history: assets removed');
  git('repack', '-adq');
  const count = Object.fromEntries(git('count-objects', '-v').trim().split('\n').map((l) => l.split(': ')));
  const tracked = git('ls-files').trim().split('\n').length;
  return { dir, tracked, packKiB: Number(count['size-pack']), objects: Number(count['in-pack']) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { files: { type: 'string' }, 'tree-mb': { type: 'string' }, 'history-mb': { type: 'string' } } });
  if (!positionals[0]) {
    console.error('usage: node bench/gen-big-repo.mjs <dir> [--files N] [--tree-mb N] [--history-mb N]');
    process.exit(2);
  }
  const r = genBigRepo(resolve(positionals[0]), { files: Number(values.files ?? 12000), treeMb: Number(values['tree-mb'] ?? 10), historyMb: Number(values['history-mb'] ?? 45) });
  console.log(`${r.dir}: ${r.tracked} tracked files, ${r.objects} objects, pack ${(r.packKiB / 1024).toFixed(1)} MiB`);
}
