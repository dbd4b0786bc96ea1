import assert from 'node:assert/strict';
import {
  ALL_SCHEMAS,
  CURRENT_MINOR,
  CloseCode,
  CommandSchemas,
  ERROR_CODE_FIELDS,
  ErrorCode,
  MINOR_SUMMARIES,
  PROTOCOL_ADDITIONS,
  TRANSIENT_SINCE,
  downgradeMessage,
  isEventType,
  isTransientType,
  knowsMessage,
  minorOf,
  validateCommand,
  validateServerMessage,
  validateServerMessageTolerant,
} from '../src';
import { join } from 'node:path';
import { messagePaths, schemasAtVersion, validatorAtVersion } from '../src/testing';
import { PACKAGE_ROOT, clone, isRecord, readJson, validFixtures } from './helpers';

type Msg = { type: string; payload?: unknown } & Record<string, unknown>;
const fixtures = validFixtures();
const fixture = (name: string): Msg => clone(fixtures.get(name) as Msg);
const minors = Array.from({ length: CURRENT_MINOR + 1 }, (_, i) => i);
const serverFixtures = [...fixtures].filter(([name]) => name.startsWith('ack.') || name === 'command_error' || isEventType(name) || isTransientType(name));

/** The fixtures plus messages that carry every addition the fixtures leave out. */
function samples(): Array<[string, Msg]> {
  const check = fixture('check_result');
  check.payload = { ...(check.payload as object), counts: { passed: 3, failed: 1, skipped: 0 }, phase: 'combined', commit: 'a'.repeat(40), treeId: 'b'.repeat(40), excerpt: 'AssertionError', outputHash: `sha256:${'c'.repeat(64)}` };
  const status = fixture('ack.status_get');
  const result = (status.payload as { result: { tasks: Array<Record<string, unknown>> } }).result;
  for (const t of result.tasks) Object.assign(t, { paused: true, base: { commit: 'd'.repeat(40), uncommitted: false } });
  const err = fixture('error');
  (err.payload as { error: { code: string } }).error.code = 'secret_detected';
  const cmdErr = fixture('command_error');
  (cmdErr.payload as { code: string }).code = 'secret_detected';
  const plan = fixture('approval_required');
  (plan.payload as { kind: string }).kind = 'plan';
  const extra: Array<[string, Msg]> = [['check_result+1.2', check], ['ack.status_get+paused', status], ['error+secret_detected', err], ['command_error+secret_detected', cmdErr], ['approval_required+plan', plan]];
  return [...serverFixtures.map(([n, m]) => [n, clone(m as Msg)] as [string, Msg]), ...extra];
}

describe('the additions table (what each minor added)', () => {
  it('every line names something that exists today, in a minor after 1.0 and at most the current one', () => {
    for (const a of PROTOCOL_ADDITIONS) {
      const m = minorOf(a.since);
      assert.ok(m >= 1 && m <= CURRENT_MINOR, JSON.stringify(a));
      if ('command' in a) {
        const payload = (CommandSchemas as unknown as Record<string, { properties: { payload: { properties: Record<string, unknown> } } }>)[a.command]!.properties.payload;
        if (a.field !== undefined) assert.ok(a.field in payload.properties, `${a.command}.${a.field}`);
      }
      if ('closeCode' in a) assert.ok((Object.values(CloseCode) as number[]).includes(a.closeCode), String(a.closeCode));
      if ('errorCode' in a) assert.ok(ErrorCode.enum.includes(a.errorCode) && ErrorCode.enum.includes(a.fallback) && a.errorCode !== a.fallback);
    }
    // Events, transient types, ack fields, values and error codes: deriving 1.0 from today removes each one, or throws naming it.
    assert.doesNotThrow(() => schemasAtVersion('1.0'));
    for (const v of Object.keys(MINOR_SUMMARIES)) assert.ok(PROTOCOL_ADDITIONS.some((a) => a.since === v), v);
    for (const a of PROTOCOL_ADDITIONS) assert.ok(a.since in MINOR_SUMMARIES, `no summary for ${a.since}`);
  });

  it('complete: every server message type and field of today is in the 1.0 baseline or has its line (a new field without one fails here)', () => {
    const baseline = new Set((readJson(join(PACKAGE_ROOT, 'test', 'baseline-1.0.json')) as { paths: string[] }).paths);
    const lines = PROTOCOL_ADDITIONS.flatMap((a): Array<{ key: string; field?: string }> => {
      if ('transient' in a) return [{ key: `event:${a.transient}` }];
      if ('event' in a) return [a.field === undefined ? { key: `event:${a.event}` } : { key: `event:${a.event}`, field: a.field }];
      if ('command' in a && a.field === undefined) return [{ key: `ack:${a.command}` }];
      if ('result' in a) return [{ key: `ack:${a.result}`, field: a.field }];
      return [];
    });
    const covered = (path: string): boolean => {
      const [key, field] = path.split('/') as [string, string | undefined];
      return lines.some((l) => l.key === key && (l.field === undefined || (field !== undefined && (field === l.field || field.startsWith(`${l.field}.`) || field.startsWith(`${l.field}[].`)))));
    };
    const today = messagePaths(schemasAtVersion(`1.${CURRENT_MINOR}`));
    const missing = today.filter((p) => !baseline.has(p) && !covered(p));
    assert.deepEqual(missing, [], 'add a line to PROTOCOL_ADDITIONS (src/additions.ts) for each');
    // And the baseline is what the table says 1.0 was.
    assert.deepEqual(messagePaths(schemasAtVersion('1.0')), [...baseline].sort());
  });

  it('TRANSIENT_SINCE is the table\'s line for assistant_delta', () => {
    const line = PROTOCOL_ADDITIONS.find((a) => 'transient' in a && a.transient === 'assistant_delta');
    assert.equal(line?.since, TRANSIENT_SINCE);
    assert.equal(knowsMessage('assistant_delta', minorOf(TRANSIENT_SINCE) - 1), false);
    assert.equal(knowsMessage('assistant_delta', minorOf(TRANSIENT_SINCE)), true);
  });

  it('ERROR_CODE_FIELDS names every place an error code sits in a server message', () => {
    const found: string[] = [];
    const walk = (node: unknown, path: string[], key: string): void => {
      if (!isRecord(node)) return;
      if (Array.isArray(node.enum) && node.enum.includes('internal') && node.enum.includes('invalid_json')) found.push(`${key} ${path.join('.')}`);
      for (const [k, v] of Object.entries((node.properties as Record<string, unknown> | undefined) ?? {})) walk(v, [...path, k], key);
      if (isRecord(node.items)) walk(node.items, [...path.slice(0, -1), `${path[path.length - 1]}[]`], key);
      for (const b of (node.oneOf as unknown[] | undefined) ?? []) walk(b, path, key);
    };
    for (const [type, schema] of Object.entries(ALL_SCHEMAS)) {
      if (!(isEventType(type) || isTransientType(type) || type === 'ack' || type === 'command_error')) continue;
      const payload = (schema.properties as Record<string, unknown>).payload;
      walk(payload, [], type === 'command_error' || type === 'ack' ? type : `event:${type}`);
    }
    const declared = Object.entries(ERROR_CODE_FIELDS).flatMap(([k, ps]) => ps.map((p) => `${k} ${p}`));
    assert.deepEqual(found.sort(), declared.sort());
  });
});

/** The minor an ack's command was added in (0: 1.0 or not an ack). */
function commandSince(msg: Msg): number {
  if (msg.type !== 'ack') return 0;
  const command = (msg.payload as { command: string }).command;
  const line = PROTOCOL_ADDITIONS.find((a) => 'command' in a && a.command === command && a.field === undefined);
  return line ? minorOf(line.since) : 0;
}

describe('downgrade: what a server sends to an older minor', () => {
  const checks = new Map(minors.map((m) => [m, validatorAtVersion(`1.${m}`)]));

  it('every server message, downgraded to each minor, is a valid message of THAT minor (or withheld, when that minor cannot hold it)', () => {
    let downgraded = 0;
    let withheld = 0;
    for (const [name, msg] of samples()) {
      assert.ok(validateServerMessage(msg).ok, `${name} is valid today`);
      for (const m of minors) {
        if (commandSince(msg) > m) continue; // a peer of 1.m never sends that command, so never gets its ack
        const before = JSON.stringify(msg);
        const out = downgradeMessage(msg, `1.${m}`);
        assert.equal(JSON.stringify(msg), before, `${name}: the input is not mutated`);
        if (out === undefined) {
          withheld++;
          assert.equal(checks.get(m)!(msg).ok, false, `${name} withheld at 1.${m} although 1.${m} accepts it`);
          continue;
        }
        if (out !== msg) downgraded++;
        const r = checks.get(m)!(out);
        assert.ok(r.ok, `${name} at 1.${m}: ${r.ok ? '' : r.message}`);
        assert.ok(validateServerMessage(clone(out)).ok, `${name} at 1.${m} is still a valid current message`);
      }
    }
    assert.ok(downgraded >= 6 && withheld >= 8, `downgraded ${downgraded}, withheld ${withheld}`);
  });

  it('the current minor (and a newer one) gets the very same object', () => {
    for (const [, msg] of samples()) {
      assert.equal(downgradeMessage(msg, `1.${CURRENT_MINOR}`), msg);
      assert.equal(downgradeMessage(msg, `1.${CURRENT_MINOR + 1}`), msg);
    }
  });

  it('1.1 gets diff_ready without evidence (baseCommit kept), check_result without the 1.2 fields, no task_paused, status without paused', () => {
    const diff = downgradeMessage(fixture('diff_ready'), '1.1') as Msg;
    const p = diff.payload as Record<string, unknown>;
    assert.equal('evidence' in p, false);
    assert.equal(typeof p.baseCommit, 'string');
    assert.ok('evidence' in (fixture('diff_ready').payload as object), 'the fixture has evidence to remove');
    const check = downgradeMessage(samples().find(([n]) => n === 'check_result+1.2')![1], '1.1') as Msg;
    assert.deepEqual(Object.keys(check.payload as object).sort(), ['command', 'durationMs', 'exitCode', 'name', 'output', 'status', 'taskId'].filter((k) => k in (check.payload as object)).sort());
    assert.equal(downgradeMessage(fixture('task_paused'), '1.1'), undefined);
    const status = downgradeMessage(samples().find(([n]) => n === 'ack.status_get+paused')![1], '1.1') as Msg;
    for (const t of (status.payload as { result: { tasks: Array<Record<string, unknown>> } }).result.tasks) {
      assert.equal('paused' in t, false);
      assert.ok('base' in t);
    }
  });

  it('1.0 gets the fallback error code and no plan approval', () => {
    const err = downgradeMessage(samples().find(([n]) => n === 'error+secret_detected')![1], '1.0') as Msg;
    assert.equal((err.payload as { error: { code: string } }).error.code, 'policy_denied');
    assert.equal(downgradeMessage(samples().find(([n]) => n === 'approval_required+plan')![1], '1.0'), undefined);
    assert.ok(downgradeMessage(fixture('approval_required'), '1.0'), 'other kinds still go to 1.0');
  });
});

describe('must-ignore: a client of a newer server (validateServerMessageTolerant)', () => {
  it('removes fields it does not know from a known message, at any depth, and keeps the rest', () => {
    const diff = fixture('diff_ready');
    const p = diff.payload as { hunks: Array<Record<string, unknown>> } & Record<string, unknown>;
    p.binaryFiles = ['logo.png'];
    p.hunks[0]!.binary = false;
    assert.equal(validateServerMessage(clone(diff)).ok, false, 'the strict validator refuses it');
    const r = validateServerMessageTolerant(diff);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.ignored, ['/payload/binaryFiles', '/payload/hunks/0/binary']);
    assert.equal('binaryFiles' in p, false);
    assert.deepEqual(diff, fixture('diff_ready'));
    const ack = fixture('ack.status_get');
    (ack.payload as { result: Record<string, unknown> }).result.newer = 1;
    const a = validateServerMessageTolerant(ack);
    assert.ok(a.ok);
    assert.deepEqual(a.ignored, ['/payload/result/newer']);
  });

  it('a valid message is untouched and reports nothing ignored', () => {
    const r = validateServerMessageTolerant(fixture('check_result'));
    assert.ok(r.ok);
    assert.equal(r.ignored, undefined);
  });

  it('stays strict on everything else: unknown types, missing or malformed known fields, commands', () => {
    assert.equal(validateServerMessageTolerant({ ...fixture('task_paused'), type: 'pr_updated' }).ok, false);
    const missing = fixture('diff_ready');
    delete (missing.payload as Record<string, unknown>).taskId;
    (missing.payload as Record<string, unknown>).extra = 1;
    const m = validateServerMessageTolerant(missing);
    assert.equal(m.ok, false);
    assert.equal(m.ok ? '' : m.error.path, '/payload/taskId');
    const cmd = fixture('task_new');
    (cmd.payload as Record<string, unknown>).newer = true;
    const c = validateCommand(cmd);
    assert.equal(c.ok, false, 'commands are never tolerant');
    assert.equal(c.ok ? '' : c.error.path, '/payload/newer');
  });
});
