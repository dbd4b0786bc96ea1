#!/usr/bin/env node
// What it costs to start a task from the person's live repository (orchestrator/src/git): a
// repository of --files files (--dirs directories), committed and packed by git, registered; then
// RepoRegistry.liveBase without and with uncommitted changes (clean tree, then one edit + one new file).
//   node bench/live-base.mjs [--files 20000] [--dirs 200]
// Build first: npx tsc -b
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'orchestrator', 'package.json'));
const { RepoRegistry } = require('./dist/src/git/index.js');
const { openDatabase } = require('./dist/src/store/db.js');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FILES = arg('files', 20000);
const DIRS = arg('dirs', 200);

const tmp = fs.mkdtempSync(join(os.tmpdir(), 'pp-bench-live-'));
try {
  const src = join(tmp, 'src');
  fs.mkdirSync(src);
  for (let d = 0; d < DIRS; d++) {
    fs.mkdirSync(join(src, `d${d}`));
    for (let i = 0; i < FILES / DIRS; i++) fs.writeFileSync(join(src, `d${d}`, `f${i}.txt`), `line ${d} ${i}\n`.repeat(20));
  }
  const git = (...a) => execFileSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', '-c', 'gc.auto=0', ...a], { cwd: src, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  git('gc', '-q');
  const dataDir = join(tmp, 'data');
  fs.mkdirSync(dataDir);
  const reg = new RepoRegistry(openDatabase(join(dataDir, 'db.sqlite')), dataDir);
  const time = async (label, fn) => {
    const t = performance.now();
    const r = await fn();
    console.log(`${label.padEnd(44)} ${(performance.now() - t).toFixed(0).padStart(6)} ms`);
    return r;
  };
  const repo = await time(`repo add (${FILES} files, packed)`, () => reg.add(src));
  await time('liveBase, committed state only', () => reg.liveBase(repo.id, { uncommitted: false }));
  await time('liveBase + uncommitted, clean tree', () => reg.liveBase(repo.id, { uncommitted: true }));
  fs.appendFileSync(join(src, 'd1', 'f1.txt'), 'edited\n');
  fs.writeFileSync(join(src, 'new.txt'), 'new\n');
  const b = await time('liveBase + uncommitted, 1 edit + 1 new file', () => reg.liveBase(repo.id, { uncommitted: true }));
  if (b.uncommitted.length !== 2) throw new Error(`expected 2 changes, got ${JSON.stringify(b.uncommitted)}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
