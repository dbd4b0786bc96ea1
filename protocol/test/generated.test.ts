/**
 * The precompiled (standalone) validators: CSP-safe, and equivalent to compiling the same schemas
 * with Ajv at run time.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { buildSync } from 'esbuild';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ALL_SCHEMAS } from '../src';
import { clone, invalidFixtures, isRecord, validFixtures } from './helpers';

interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
const file = join(__dirname, '..', 'src', 'generated', 'validators.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const standalone = require(file) as Record<string, Validator>;

/** Samples: every fixture, plus deterministic mutations of every payload field (delete, wrong type, null). */
function samples(): unknown[] {
  const out: unknown[] = [];
  for (const msg of validFixtures().values()) {
    out.push(msg);
    const payload = (msg as { payload: unknown }).payload;
    if (!isRecord(payload)) continue;
    for (const key of Object.keys(payload)) {
      for (const replace of [undefined, null, 42, 'x', [], { extra: 1 }]) {
        const m = clone(msg) as { payload: Record<string, unknown> };
        if (replace === undefined) delete m.payload[key];
        else m.payload[key] = replace;
        out.push(m);
      }
    }
    const extra = clone(msg) as Record<string, unknown>;
    extra.unexpected = true;
    out.push(extra);
  }
  for (const f of invalidFixtures()) out.push(f.message);
  return out;
}

describe('generated validators', () => {
  const source = readFileSync(file, 'utf8');

  it('contain no run-time code generation (CSP without unsafe-eval)', () => {
    assert.ok(source.length > 1000);
    assert.doesNotMatch(source, /new\s+Function\b/);
    assert.doesNotMatch(source, /\beval\s*\(/);
    assert.doesNotMatch(source, /\bFunction\s*\(/);
  });

  it('run where eval is forbidden: the bundled package validates in a V8 context with code generation from strings disabled', function () {
    this.timeout(30000);
    // What a webview with a CSP without 'unsafe-eval' does: any eval/new Function would throw EvalError.
    const bundle = buildSync({ entryPoints: [join(__dirname, '..', 'src', 'index.js')], bundle: true, platform: 'browser', format: 'iife', globalName: 'Protocol', write: false, logLevel: 'silent' });
    const ctx = createContext({}, { codeGeneration: { strings: false, wasm: false } });
    assert.throws(() => runInContext('new Function("return 1")', ctx), /Code generation from strings disallowed/);
    runInContext(`${bundle.outputFiles[0]!.text};globalThis.Protocol = Protocol;`, ctx);
    const P = (ctx as { Protocol: { validateAny: (v: unknown) => { ok: boolean; error?: { path?: string } } } }).Protocol;
    let checked = 0;
    for (const msg of validFixtures().values()) {
      assert.equal(P.validateAny(msg).ok, true);
      checked++;
    }
    for (const f of invalidFixtures()) assert.equal(P.validateAny(f.message).error?.path, f.expect.path, f.name);
    assert.ok(checked > 50);
  });

  it('require only Ajv runtime helpers and our formats module (bundlable, no compiler)', () => {
    const required = [...new Set([...source.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))].sort();
    assert.ok(required.includes('../formats.js'), 'formats come from dist/src/formats.js');
    for (const r of required) assert.match(r!, /^(ajv\/dist\/runtime\/|\.\.\/formats\.js$)/, r);
  });

  it('exist for every schema', () => {
    assert.deepEqual(Object.keys(standalone).sort(), Object.keys(ALL_SCHEMAS).sort());
  });

  // A fresh Ajv with its DEFAULT keywords: the generator's faster maxLength/minLength
  // (scripts/fast-length.mjs) must not change a single verdict or error.
  let fresh: Map<string, ValidateFunction>;
  before(function () {
    this.timeout(60000);
    const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true, discriminator: true });
    addFormats(ajv, ['date-time', 'uri']);
    fresh = new Map<string, ValidateFunction>(Object.entries(ALL_SCHEMAS).map(([t, s]) => [t, ajv.compile(s)]));
  });

  function compare(msgs: unknown[]): { compared: number; rejected: number } {
    let compared = 0;
    let rejected = 0;
    for (const msg of msgs) {
      const type = isRecord(msg) && typeof msg.type === 'string' ? msg.type : undefined;
      if (type === undefined || !fresh.has(type)) continue;
      const a = standalone[type]!;
      const b = fresh.get(type)!;
      const ra = a(msg);
      const rb = b(msg);
      assert.equal(ra, rb, `${type}: ${JSON.stringify(msg).slice(0, 200)}`);
      if (!ra) {
        rejected++;
        const ea = a.errors?.[0];
        const eb = b.errors?.[0];
        assert.deepEqual([ea?.instancePath, ea?.keyword, ea?.params], [eb?.instancePath, eb?.keyword, eb?.params]);
      }
      compared++;
    }
    return { compared, rejected };
  }

  it('validate exactly like a fresh run-time Ajv compile of the same schemas (fixtures and mutations)', () => {
    const { compared, rejected } = compare(samples());
    assert.ok(compared > 500, `only ${compared} samples`);
    assert.ok(rejected > compared / 2, `only ${rejected} of ${compared} samples were invalid: the mutations are too weak`);
  });

  it('count string length in code points, like Ajv, at the limits (astral characters, surrogates)', () => {
    const base = validFixtures().get('task_created') as { payload: { title: string } };
    const titled = (title: string) => ({ ...clone(base), payload: { ...clone(base.payload), title } });
    const emoji = '\u{1F600}'; // 2 UTF-16 units, 1 code point
    const cases = [
      titled(emoji.repeat(500)), // 1000 units, 500 code points: valid
      titled(emoji.repeat(501)),
      titled('a'.repeat(499) + emoji),
      titled('a'.repeat(500) + emoji),
      titled('\ud800'.repeat(500)), // lone surrogates count one each
      titled('\ud800'.repeat(501)),
      titled(emoji.repeat(250) + 'a'.repeat(250)),
      titled(emoji.repeat(251) + 'a'.repeat(250)),
    ];
    const verdicts = cases.map((m) => standalone.task_created!(m));
    assert.deepEqual(verdicts, [true, false, true, false, true, false, true, false]);
    compare(cases);
    const chat = validFixtures().get('chat_send') as { payload: { text: string } };
    const minCases = ['', emoji, 'a', '\ud83d'].map((text) => ({ ...clone(chat), payload: { text } }));
    assert.deepEqual(minCases.map((m) => standalone.chat_send!(m)), [false, true, true, true]);
    compare(minCases);
  });
});
