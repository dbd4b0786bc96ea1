#!/usr/bin/env node
// Bundles the extension (src/extension.ts + @pushpals/protocol + ws) into dist/extension.js (CJS,
// `vscode` external) and makes sure the webview bundle exists in media/. `--watch` for F5.
import { build, context } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const watch = process.argv.includes('--watch');
if (!existsSync(join(root, 'media', 'chat.js')) || process.argv.includes('--with-webview')) {
  const r = spawnSync(process.execPath, [join(root, '..', 'webview-ui', 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
const options = {
  entryPoints: [join(root, 'src', 'extension.ts')],
  outfile: join(root, 'dist', 'extension.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  minify: !watch,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};
const t0 = Date.now();
if (watch) {
  await (await context(options)).watch();
  console.log('extension: watching');
} else {
  await build(options);
  console.log(`extension: dist/extension.js ${(statSync(options.outfile).size / 1024).toFixed(0)} KiB in ${Date.now() - t0} ms`);
}
