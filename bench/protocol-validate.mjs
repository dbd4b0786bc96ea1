#!/usr/bin/env node
// Validation throughput of the protocol's precompiled (Ajv standalone) validators on a realistic ~2 KB
// event (a tool_result carrying test output), on one core (one JS thread).
//   node bench/protocol-validate.mjs [--rounds 9] [--ms 300]
// Prints validations/s (median of the rounds) for:
//   - the standalone validator alone,
//   - validateServerMessage (what a client calls: type dispatch + version check + validator),
//   - JSON.parse + validate per frame (the real per-message cost), and JSON.parse alone,
//   - a fresh run-time (non-standalone) Ajv compile of the same schema, stock and with the two
//     optimisations of the generator (scripts/fast-length.mjs, src/formats.ts), for comparison.
// Build first: npx tsc -b protocol && node protocol/scripts/gen-validators.mjs
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { useFastLengthKeywords } from '../protocol/scripts/fast-length.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'protocol', 'package.json'));
const P = require('./dist/src/index.js');
const standalone = require('./dist/src/generated/validators.js');
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 9);
const ROUND_MS = arg('ms', 300);
const TARGET = 500_000;

// A realistic tool_result: the tail of a mocha run, ~2 KB on the wire.
const lines = [];
for (let i = 1; lines.join('\n').length < 1500; i++) lines.push(`    ✔ parses case ${i}: "${'abc'.repeat(i % 5 + 1)}" -> ${i * 7} (${i % 9} ms)`);
const stdout = `> calc@1.2.0 test\n> mocha 'test/**/*.test.js'\n\n  parser\n${lines.join('\n')}\n\n  ${lines.length} passing (1s)\n`;
const event = {
  protocolVersion: P.PROTOCOL_VERSION,
  id: 'e_lq2x9k3f7a1b2c',
  ts: '2026-11-24T09:31:05.123Z',
  sessionId: 'sess_7f3a9c',
  type: 'tool_result',
  from: 'worker:1',
  seq: 4711,
  turnId: 'turn_9',
  payload: {
    taskId: 'task_42',
    toolCallId: 'call_5',
    tool: 'run_command',
    ok: true,
    exitCode: 0,
    stdout,
    stderr: '',
    truncated: false,
    durationMs: 7904,
  },
};
const frame = JSON.stringify(event);

/** Ops/s of fn over one round of ROUND_MS (in batches of 1000 calls). */
function round(fn, ms) {
  const batch = 1000;
  let n = 0;
  let ok = 0;
  const t0 = process.hrtime.bigint();
  const stop = t0 + BigInt(ms) * 1_000_000n;
  let t = t0;
  while (t < stop) {
    for (let i = 0; i < batch; i++) if (fn()) ok++;
    n += batch;
    t = process.hrtime.bigint();
  }
  if (ok !== n) throw new Error('the measured function returned false: the event is invalid');
  return n / (Number(t - t0) / 1e9);
}

/**
 * Measures every case, interleaved (round 1 of each case, then round 2, ...) so that noise from other
 * processes on the machine hits all cases alike; a warm-up round first. Median, min, max of ROUNDS.
 */
function measureAll(cases) {
  const rates = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) round(fn, ROUND_MS);
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(cases)) rates[k].push(round(fn, ROUND_MS));
  return Object.fromEntries(Object.entries(rates).map(([k, a]) => {
    a.sort((x, y) => x - y);
    return [k, { median: a[Math.floor(a.length / 2)], min: a[0], max: a[a.length - 1] }];
  }));
}

/** A run-time (non-standalone) Ajv compile of `schema`: as shipped by Ajv, or with our two optimisations. */
function freshValidator(schema, optimised) {
  const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true, discriminator: true });
  if (optimised) {
    for (const [name, format] of Object.entries(require('./dist/src/formats.js').protocolFormats)) ajv.addFormat(name, format);
    useFastLengthKeywords(ajv);
  } else addFormats(ajv, ['date-time', 'uri']);
  return ajv.compile(schema);
}

const v = standalone.tool_result;
if (!v(event)) throw new Error(`the bench event is invalid: ${JSON.stringify(v.errors)}`);
const fresh = freshValidator(P.ALL_SCHEMAS.tool_result, false);
const freshOptimised = freshValidator(P.ALL_SCHEMAS.tool_result, true);

const results = measureAll({
  'standalone validator': () => v(event),
  'validateServerMessage (dispatch + version + validator)': () => P.validateServerMessage(event).ok,
  'JSON.parse + validateServerMessage (per frame)': () => P.parseFrame(frame, P.validateServerMessage).ok,
  'JSON.parse alone': () => JSON.parse(frame) !== null,
  'fresh run-time Ajv compile (non-standalone, stock keywords/formats)': () => fresh(event),
  'fresh run-time Ajv compile with our length keywords + date-time': () => freshOptimised(event),
});

const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(11);
console.log(`protocol validation, ${frame.length}-byte tool_result event; ${ROUNDS} rounds x ${ROUND_MS} ms each, interleaved, after warm-up; median [min..max]`);
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), node ${process.version}, one thread\n`);
for (const [name, r] of Object.entries(results)) console.log(`${fmt(r.median)} /s  [${fmt(r.min).trim()}..${fmt(r.max).trim()}]  ${name}`);
const s = results['standalone validator'].median;
const framed = results['JSON.parse + validateServerMessage (per frame)'].median;
console.log('\nratios:');
console.log(`  standalone / fresh stock Ajv compile:    ${(s / results['fresh run-time Ajv compile (non-standalone, stock keywords/formats)'].median).toFixed(2)}x`);
console.log(`  standalone / fresh optimised compile:    ${(s / results['fresh run-time Ajv compile with our length keywords + date-time'].median).toFixed(2)}x (standalone itself)`);
console.log(`  validateServerMessage / standalone:      ${(results['validateServerMessage (dispatch + version + validator)'].median / s).toFixed(2)}x`);
console.log(`  validation share of a parsed frame:      ${((1 / s) / (1 / framed) * 100).toFixed(0)}% (the rest is JSON.parse)`);
console.log(`  per validation: ${(1e9 / s).toFixed(0)} ns; per frame (parse + validate): ${(1e9 / framed).toFixed(0)} ns`);
console.log(`\ntarget >= ${TARGET.toLocaleString('en-US')} validations/s (standalone): ${s >= TARGET ? 'MET' : 'NOT MET'}`);
