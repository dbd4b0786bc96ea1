#!/usr/bin/env node
// Bundles the chat webview (src/main.ts + lit + @vscode-elements) into one browser script with esbuild
// and copies it with its stylesheet to ../extension/media/ (the extension serves them from there).
// `--watch` rebuilds on change (used by .vscode/tasks.json).
import { build, context } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outDir = join(root, '..', 'extension', 'media');
mkdirSync(outDir, { recursive: true });
const watch = process.argv.includes('--watch');
const options = {
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: join(outDir, 'chat.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome114'],
  minify: !watch,
  sourcemap: watch ? 'inline' : false,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [{ name: 'css', setup: (b) => b.onEnd(() => copyFileSync(join(root, 'src', 'chat.css'), join(outDir, 'chat.css'))) }],
};
const t0 = Date.now();
if (watch) {
  const ctx = await context(options);
  await ctx.watch();
  console.log('webview-ui: watching');
} else {
  await build(options);
  console.log(`webview-ui: media/chat.js ${(statSync(options.outfile).size / 1024).toFixed(0)} KiB in ${Date.now() - t0} ms`);
}
