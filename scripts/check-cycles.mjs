#!/usr/bin/env node
// Fails when the orchestrator's modules import each other in a circle, counting `import type`
// edges too (ESLint's import-x/no-cycle skips those, and a type-only circle still ties modules
// together). Modules are resolved as tsc resolves them (orchestrator/tsconfig.json).
//   node scripts/check-cycles.mjs            # exit 1 and one line per circle when there is one
import ts from 'typescript';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const project = join(root, 'orchestrator', 'tsconfig.json');
const { config, error } = ts.readConfigFile(project, ts.sys.readFile);
if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
const { options, fileNames } = ts.parseJsonConfigFileContent(config, ts.sys, dirname(project));
const ours = new Set(fileNames.filter((f) => !f.endsWith('.d.ts')));

/** file -> the files of ours it imports (static, type-only, re-exports, require, import()). */
const edges = new Map();
for (const file of ours) {
  const { importedFiles } = ts.preProcessFile(ts.sys.readFile(file) ?? '', true, true);
  const targets = new Set();
  for (const { fileName } of importedFiles) {
    const resolved = ts.resolveModuleName(fileName, file, options, ts.sys).resolvedModule?.resolvedFileName;
    if (resolved && ours.has(resolved) && resolved !== file) targets.add(resolved);
  }
  edges.set(file, targets);
}

// Tarjan: every strongly connected component of more than one module is a circle.
let next = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const circles = [];
function visit(v) {
  index.set(v, next);
  low.set(v, next++);
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(w);
  } while (w !== v);
  if (component.length > 1) circles.push(component);
}
for (const f of ours) if (!index.has(f)) visit(f);

/** One concrete path around a component (breadth-first from its first module back to it). */
function samplePath(component) {
  const inside = new Set(component);
  const start = component.sort()[0];
  const from = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v)) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = from.get(u)) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

const rel = (f) => relative(join(root, 'orchestrator'), f);
for (const c of circles) console.error(`import circle (${c.length} modules): ${samplePath(c).map(rel).join(' -> ')}`);
console.log(`check-cycles: ${ours.size} orchestrator modules, ${circles.length} import circle(s)`);
process.exit(circles.length ? 1 : 0);
