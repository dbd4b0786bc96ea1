/**
 * `pushpals grant`: its duration and action parsing, and its usage errors (the real CLI, spawned; each
 * fails before reaching any orchestrator, so none runs). The commands against a running orchestrator
 * are exercised end to end in test/integration/grants.test.ts.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { grantLine, parseActions, parseDuration } from '../../src/cli/grant-commands';
import { UsageError } from '../../src/cli/shared';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli.js');

describe('cli: pushpals grant', function () {
  this.timeout(30000);

  it('reads durations: 30m, 8h, 2d, 1h30m; refuses nonsense, 0 and more than 30 days', () => {
    assert.deepEqual(['30m', '8h', '2d', '1h30m', '90min', '30d'].map(parseDuration), [30, 480, 2880, 90, 90, 43200]);
    for (const bad of ['', '8', 'h', '8x', '0m', '31d', '8h junk']) assert.throws(() => parseDuration(bad), UsageError, bad);
  });

  it('reads actions: commit, push, pr, comma-separated and deduplicated; refuses others', () => {
    assert.deepEqual(parseActions('commit,push,commit'), ['commit', 'push']);
    assert.deepEqual(parseActions(' pr '), ['pr']);
    assert.throws(() => parseActions('commit,merge'), /"merge" is not/);
    assert.throws(() => parseActions(','), /at least one/);
  });

  it('prints a grant with whose it is and how long it has left, or that it was revoked or expired', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const g = { grantId: 'gr_1', scope: 'repo' as const, repoId: 'r1', repoName: 'calc', actions: ['commit' as const], createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T08:00:00.000Z', createdBy: 'user' };
    assert.match(grantLine(g, now), /^gr_1 {2}commit +repo calc +until 2026-01-01T08:00:00.000Z \(8 h left\) {2}by user$/);
    assert.match(grantLine({ ...g, revokedAt: '2026-01-01T01:00:00.000Z' }, now), /revoked 2026-01-01T01:00/);
    assert.match(grantLine(g, now + 9 * 3600_000), /expired 2026-01-01T08:00/);
  });

  it('usage errors exit 2 with the reason and the usage', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-grant-cli-'));
    try {
      const cases: Array<[string[], RegExp]> = [
        [['grant'], /missing the grant command/],
        [['grant', 'give'], /unknown grant command "give"/],
        [['grant', 'add'], /exactly one of --repo NAME-OR-ID or --task ID/],
        [['grant', 'add', '--repo', 'a', '--task', 't'], /exactly one of --repo/],
        [['grant', 'add', '--repo', 'a', '--for', '40d'], /from 1 minute to 30 days/],
        [['grant', 'add', '--repo', 'a', '--actions', 'deploy'], /"deploy" is not/],
        [['grant', 'list', '--repo', 'a'], /go with grant add/],
        [['grant', 'revoke'], /missing the grant id/],
        [['grant', 'revoke', 'gr_1', 'gr_2'], /unexpected argument "gr_2"/],
      ];
      for (const [args, re] of cases) {
        const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PUSHPALS_HOME: home, PUSHPALS_URL: '' }, timeout: 20000 });
        assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
        assert.match(r.stderr, re, args.join(' '));
        assert.match(r.stderr, /usage: pushpals grant add/);
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
