#!/usr/bin/env node
// Cold module-load time of the extension bundle (extension/dist/extension.js): the part of activation
// that the `activate()` timing (bench/extension-bench.mjs) does not see. Each sample is a fresh Node
// process that stubs the `vscode` module and times `require()` of the bundle, so it includes V8's
// compile of the file and the evaluation of every module in it (protocol validators, ws, ...).
// Prints the median [min..max] per bundle and the sizes of the extension and chat webview bundles.
// Usage: node bench/extension-load.mjs [--samples N (default 25)] [other-bundle.js ...]
//   (build first: npm run build -w extension). Extra bundles (e.g. an older build kept aside) are
//   measured interleaved with the current one, sample by sample, so machine load affects all alike.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const si = args.indexOf('--samples');
const samples = si >= 0 ? Number(args.splice(si, 2)[1]) : 25;
const bundles = [join(root, 'extension', 'dist', 'extension.js'), ...args.map((a) => resolve(a))];

// The child: a Proxy stands in for `vscode` (the bundle touches it only inside activate()).
const child = (bundle) => `
const Module = require('module');
const stub = new Proxy(function () {}, { get: (t, k) => (k === '__esModule' ? false : stub), apply: () => stub, construct: () => stub });
const orig = Module._load;
Module._load = function (req, ...rest) { return req === 'vscode' ? stub : orig.call(this, req, ...rest); };
const t0 = process.hrtime.bigint();
const m = require(${JSON.stringify(bundle)});
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
if (typeof m.activate !== 'function') throw new Error('no activate export');
process.stdout.write(JSON.stringify({ ms, typebox: Object.keys(require.cache).some((f) => /[\\\\/]@sinclair[\\\\/]typebox[\\\\/]/.test(f)) }));
`;
const run = (bundle) => {
  const r = spawnSync(process.execPath, ['-e', child(bundle)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
const times = bundles.map(() => []);
for (const b of bundles) for (let k = 0; k < 2; k++) run(b); // warm-up (OS file cache)
for (let i = 0; i < samples; i++) bundles.forEach((b, j) => times[j].push(run(b).ms));

const kib = (f) => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
console.log(`require() of the bundle, ${samples} cold Node ${process.version} processes each (vscode stubbed):`);
bundles.forEach((b, j) => {
  const t = times[j].sort((x, y) => x - y);
  console.log(`  ${relative(root, b).padEnd(40)} ${kib(b).padStart(9)}  median ${t[t.length >> 1].toFixed(1)} ms [${t[0].toFixed(1)}..${t[t.length - 1].toFixed(1)}]`);
});
console.log(`webview bundle: extension/media/chat.js ${kib(join(root, 'extension', 'media', 'chat.js'))}`);
