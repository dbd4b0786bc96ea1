/**
 * Completeness: every event and command type has a schema, a generated validator, a fixture, a docs
 * entry (EventDocs/CommandDocs and a section of the generated README) and a TS type (types.test.ts,
 * checked by tsc). And the README reference is exactly what gen-docs would write.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_SCHEMAS, COMMAND_TYPES, CommandDocs, CommandResults, CommandSchemas, EVENT_TYPES, EventDocs, EventSchemas, RESPONSE_TYPES, TRANSIENT_TYPES, TransientDocs, TransientSchemas,
} from '../src';
import { commandFixtures, eventFixtures, transientFixtures } from './typed-fixtures';
import { PACKAGE_ROOT, validFixtures } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const generated = require('../src/generated/validators.js') as Record<string, unknown>;
const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const reference = readme.slice(readme.indexOf('<!-- BEGIN GENERATED REFERENCE'));
const fixtures = validFixtures();

function section(heading: string): string {
  const start = reference.indexOf(`#### \`${heading}\`\n`);
  if (start < 0) return '';
  const next = reference.indexOf('\n#### ', start + 1);
  return reference.slice(start, next < 0 ? undefined : next);
}

const PROTOCOL_EVENTS = [
  'user_message', 'assistant_message', 'log', 'error', 'done', 'repo_added', 'repo_removed', 'scan_result', 'suggestions', 'diff_ready', 'hunk_decided',
  'egress_blocked', 'check_result', 'committed', 'pushed', 'pr_opened', 'approval_required', 'approved', 'denied', 'grant_added', 'grant_revoked', 'agent_status', 'task_created',
  'task_started', 'task_base', 'task_progress', 'task_completed', 'task_failed', 'task_cancelled', 'task_paused', 'task_resumed', 'tool_call', 'tool_result', 'delegate_request',
  'delegate_response', 'job_enqueued', 'job_claimed', 'job_completed', 'job_failed',
] as const;
const PROTOCOL_TRANSIENT = ['assistant_delta'] as const;
const PROTOCOL_COMMANDS = ['hello', 'subscribe', 'unsubscribe', 'chat_send', 'task_new', 'task_cancel', 'task_pause', 'task_resume', 'approval_decide', 'hunk_decide', 'review_get', 'commit_request', 'branch_fetch', 'push_request', 'pr_request', 'status_get', 'repo_add', 'repo_list', 'repo_remove', 'repo_sync', 'audit_get', 'receipt_get', 'workspace_gc', 'grant_add', 'grant_list', 'grant_revoke', 'ping'] as const;

describe('completeness', () => {
  it('the protocol has exactly the message types listed here, each command with a result, no name used twice', () => {
    // Hand-written on purpose (EVENT_TYPES/COMMAND_TYPES are derived from the schema maps): adding,
    // removing or renaming a message type must be a deliberate change here too.
    assert.deepEqual([...EVENT_TYPES].sort(), [...PROTOCOL_EVENTS].sort());
    assert.deepEqual([...TRANSIENT_TYPES].sort(), [...PROTOCOL_TRANSIENT].sort());
    assert.deepEqual([...COMMAND_TYPES].sort(), [...PROTOCOL_COMMANDS].sort());
    assert.deepEqual(Object.keys(CommandResults).sort(), [...PROTOCOL_COMMANDS].sort());
    const all = [...EVENT_TYPES, ...TRANSIENT_TYPES, ...COMMAND_TYPES, ...RESPONSE_TYPES];
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual(Object.keys(ALL_SCHEMAS).sort(), [...all].sort());
  });

  it('has at least the seed event set', () => {
    const seed = ['assistant_message', 'log', 'error', 'done', 'scan_result', 'suggestions', 'diff_ready', 'committed', 'approval_required', 'approved', 'denied', 'agent_status', 'task_created', 'task_started', 'task_progress', 'task_completed', 'task_failed', 'tool_call', 'tool_result', 'delegate_request', 'delegate_response', 'job_enqueued', 'job_claimed', 'job_completed', 'job_failed'];
    assert.deepEqual(seed.filter((t) => !(EVENT_TYPES as string[]).includes(t)), []);
  });

  for (const t of EVENT_TYPES) {
    it(`event ${t}: schema, validator, fixture, docs, README section, TS type`, () => {
      assert.equal(EventSchemas[t].$id, t);
      assert.equal(EventSchemas[t].properties.type.const, t);
      assert.ok('seq' in EventSchemas[t].properties, 'events carry seq');
      assert.equal(typeof generated[t], 'function', 'no generated validator');
      assert.ok(fixtures.has(t), `no fixtures/valid/${t}.json`);
      assert.ok(EventDocs[t].length > 10, 'no EventDocs line');
      const s = section(t);
      assert.ok(s.includes(EventDocs[t]), 'README section missing or without its docs line');
      assert.ok(s.includes(`"type": "${t}"`), 'README section without its example');
      assert.equal(eventFixtures[t].type, t, 'typed fixture map (types.test.ts)');
    });
  }

  for (const t of TRANSIENT_TYPES) {
    it(`transient ${t}: schema without seq, validator, fixture, docs, README section, TS type`, () => {
      assert.equal(TransientSchemas[t].$id, t);
      assert.ok(!('seq' in TransientSchemas[t].properties), 'transient messages are never stored: no seq');
      assert.equal(typeof generated[t], 'function', 'no generated validator');
      assert.ok(fixtures.has(t), `no fixtures/valid/${t}.json`);
      assert.ok(TransientDocs[t].length > 10, 'no TransientDocs line');
      const s = section(t);
      assert.ok(s.includes(TransientDocs[t]), 'README section missing or without its docs line');
      assert.ok(s.includes(`"type": "${t}"`), 'README section without its example');
      assert.equal(transientFixtures[t].type, t, 'typed fixture map');
    });
  }

  for (const t of COMMAND_TYPES) {
    it(`command ${t}: schema, result, validator, fixtures (command + ack), docs, README section, TS type`, () => {
      assert.equal(CommandSchemas[t].$id, t);
      assert.ok(!('seq' in CommandSchemas[t].properties), 'commands carry no seq');
      assert.ok(CommandResults[t], 'no result schema');
      assert.equal(typeof generated[t], 'function', 'no generated validator');
      assert.ok(fixtures.has(t), `no fixtures/valid/${t}.json`);
      assert.ok(fixtures.has(`ack.${t}`), `no fixtures/valid/ack.${t}.json`);
      assert.ok(CommandDocs[t].length > 10, 'no CommandDocs line');
      const s = section(t);
      assert.ok(s.includes(CommandDocs[t]), 'README section missing or without its docs line');
      assert.ok(s.includes('Result ('), 'README section without its result');
      assert.ok(s.includes(`"command": "${t}"`), 'README section without its ack example');
      assert.equal(commandFixtures[t].command.type, t, 'typed fixture map (types.test.ts)');
      assert.equal(commandFixtures[t].ack.payload.command, t);
    });
  }

  for (const t of RESPONSE_TYPES) {
    it(`response ${t}: schema, validator, fixture, README section`, () => {
      assert.equal(ALL_SCHEMAS[t]?.$id, t);
      assert.equal(typeof generated[t], 'function');
      assert.ok([...fixtures.keys()].some((n) => n === t || n.startsWith(`${t}.`)));
      assert.ok(section(t).length > 0, 'README section missing');
    });
  }

  it('every fixture file names a known message type (no orphan)', () => {
    const known = new Set<string>([...EVENT_TYPES, ...TRANSIENT_TYPES, ...COMMAND_TYPES, 'command_error', ...COMMAND_TYPES.map((c) => `ack.${c}`)]);
    assert.deepEqual([...fixtures.keys()].filter((n) => !known.has(n)), []);
  });

  it('the README reference is up to date (gen-docs --check)', function () {
    this.timeout(20000);
    const r = spawnSync(process.execPath, [join(PACKAGE_ROOT, 'scripts', 'gen-docs.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr || r.stdout);
  });

  it('the README has its hand-written parts: usage, adding a type, versioning', () => {
    for (const h of ['## Using it', '## Versioning', '## Adding a message type']) assert.ok(readme.includes(`\n${h}\n`), h);
  });
});
