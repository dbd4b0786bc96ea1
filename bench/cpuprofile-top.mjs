#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): the top functions by self time, and self time by
// file (node_modules packages folded into one line each).
//   node bench/cpuprofile-top.mjs <file.cpuprofile> [topN]
import { readFileSync } from 'node:fs';

const [file, topStr = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [topN]');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const files = new Map();
const where = (url) => {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/');
    return 'npm:' + (rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]);
  }
  return url.replace(/^file:\/\//, '').replace(/^.*?\/(orchestrator|protocol)\//, '$1/');
};
for (const [id, us] of dt) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${where(cf.url)}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const w = where(cf.url);
  files.set(w, (files.get(w) ?? 0) + us);
}
const show = (m, n) =>
  [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([k, us]) => console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`));
console.log(`total sampled ${(total / 1000).toFixed(0)} ms\n-- by function (self) --`);
show(fn, Number(topStr));
console.log('-- by file / package (self) --');
show(files, 20);
