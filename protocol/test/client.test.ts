/**
 * The light client entry (`@pushpals/protocol/client`): requiring it loads neither TypeBox nor any
 * schema module, and it validates every fixture exactly like the full entry. Checked in a fresh child
 * process, because in this one the full entry (and so TypeBox) is already loaded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { COMMAND_TYPES, EVENT_TYPES, TRANSIENT_TYPES, validateAny, validateCommand, validateServerMessage } from '../src';
import * as client from '../src/client';
import { PACKAGE_ROOT, invalidFixtures, validFixtures } from './helpers';

type Verdicts = Record<string, { any: unknown; command: unknown; server: unknown }>;

/** Every fixture (valid and invalid) with the three validators' full results (value or error). */
function fixtureMessages(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, msg] of validFixtures()) out[`valid/${name}`] = msg;
  for (const f of invalidFixtures()) out[`invalid/${f.name}`] = f.message;
  return out;
}

// Runs in the child: require the client entry BY ITS PACKAGE NAME (so the `exports` map is exercised),
// validate the messages read from stdin, report the verdicts and which modules got loaded.
const CHILD = `
const t0 = process.hrtime.bigint();
const c = require('@pushpals/protocol/client');
const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
const messages = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const verdicts = {};
for (const [name, m] of Object.entries(messages)) {
  verdicts[name] = { any: c.validateAny(m), command: c.validateCommand(m), server: c.validateServerMessage(m) };
}
process.stdout.write(JSON.stringify({ loadMs, exports: Object.keys(c).sort(), modules: Object.keys(require.cache), verdicts }));
`;

interface ChildReport {
  loadMs: number;
  exports: string[];
  modules: string[];
  verdicts: Verdicts;
}

describe('client entry (@pushpals/protocol/client)', () => {
  const messages = fixtureMessages();
  let report: ChildReport;

  before(function () {
    this.timeout(20000);
    const r = spawnSync(process.execPath, ['-e', CHILD], { cwd: PACKAGE_ROOT, input: JSON.stringify(messages), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    report = JSON.parse(r.stdout) as ChildReport;
  });

  it('does not load @sinclair/typebox', () => {
    const typebox = report.modules.filter((f) => /[\\/]@sinclair[\\/]typebox[\\/]/.test(f));
    assert.deepEqual(typebox, []);
  });

  it('loads no schema module (events, commands, messages, common) and no run-time Ajv compiler', () => {
    const loaded = report.modules.filter((f) => /[\\/]dist[\\/]src[\\/](events|commands|messages|common|index)\.js$/.test(f) || /[\\/]ajv[\\/]dist[\\/](ajv|core|compile[\\/]index)\.js$/.test(f));
    assert.deepEqual(loaded, []);
    assert.ok(report.modules.some((f) => /[\\/]dist[\\/]src[\\/]client\.js$/.test(f)), 'resolved to dist/src/client.js');
  });

  it('exports the validators, version helpers, envelope builders, limits and the client-state reducer', () => {
    for (const name of ['PROTOCOL_VERSION', 'isCompatibleVersion', 'parseProtocolVersion', 'validateCommand', 'validateServerMessage', 'validateAny', 'parseFrame', 'describeAjvError', 'isEventType', 'isCommandType', 'makeCommand', 'newId', 'isId', 'MAX_MESSAGE_LENGTH', 'createClientState', 'applyEvent', 'applyEvents', 'taskCounts', 'pendingApprovals']) {
      assert.ok(report.exports.includes(name), `missing ${name}`);
    }
    assert.deepEqual(report.exports, Object.keys(client).sort());
  });

  it('validates every fixture exactly like the full entry', () => {
    assert.ok(Object.keys(messages).length > 60);
    for (const [name, m] of Object.entries(messages)) {
      assert.deepEqual(report.verdicts[name], JSON.parse(JSON.stringify({ any: validateAny(m), command: validateCommand(m), server: validateServerMessage(m) })), name);
    }
  });

  it('knows exactly the event and command types of the schemas (generated lists are current)', () => {
    for (const t of EVENT_TYPES) assert.ok(client.isEventType(t) && !client.isCommandType(t), t);
    for (const t of COMMAND_TYPES) assert.ok(client.isCommandType(t) && !client.isEventType(t), t);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const generated = require('../src/generated/message-types.js') as { EVENT_TYPES: string[]; TRANSIENT_TYPES: string[]; COMMAND_TYPES: string[] };
    assert.deepEqual(generated.EVENT_TYPES, EVENT_TYPES);
    assert.deepEqual(generated.TRANSIENT_TYPES, TRANSIENT_TYPES);
    for (const t of TRANSIENT_TYPES) assert.ok(client.isTransientType(t) && !client.isEventType(t) && !client.isCommandType(t), t);
    assert.deepEqual(generated.COMMAND_TYPES, COMMAND_TYPES);
  });

  it('builds commands that validate', () => {
    const cmd = client.makeCommand('task_new', { request: 'Fix the failing test' }, { sessionId: 's_1', from: 'extension' });
    assert.ok(client.validateCommand(cmd).ok);
  });
});

describe('state entry (@pushpals/protocol/state)', () => {
  it('loads the reducer alone: no TypeBox, no validators, no schema module (the chat webview bundles only this)', function () {
    this.timeout(20000);
    const r = spawnSync(process.execPath, ['-e', `const s = require('@pushpals/protocol/state'); process.stdout.write(JSON.stringify({ exports: Object.keys(s), modules: Object.keys(require.cache) }));`], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { exports, modules } = JSON.parse(r.stdout) as { exports: string[]; modules: string[] };
    assert.ok(exports.includes('applyEvent') && exports.includes('createClientState'), exports.join(', '));
    const ours = modules.filter((f) => /[\\/]protocol[\\/]dist[\\/]/.test(f)).map((f) => f.replace(/^.*[\\/]dist[\\/]src[\\/]/, '').replace(/\\/g, '/'));
    assert.deepEqual(ours.sort(), ['state/drafts.js', 'state/evidence.js', 'state/index.js', 'state/reduce.js', 'state/selectors.js']);
    assert.deepEqual(modules.filter((f) => /node_modules/.test(f)), []);
  });
});
