/**
 * The pull request body stays under GitHub's limit without losing what proves the change: an
 * oversized extra text (pr_request's body), request or plan is cut with a visible marker, while the
 * commit, the check lines and the audit receipt line stay whole. Real services over a real SQLite
 * file: the checks come from stored `check_result` events.
 */
import assert from 'node:assert/strict';
import { CUT_MARKER, pullRequestBody, receiptLine } from '../../src/delivery/pr-body';
import { silentLogger } from '../../src/log';
import { createServices, type ServicesHandle } from '../../src/services';
import { testConfig } from '../helpers/env';
import { removeTempDirs } from '../helpers/temp';

const MAX_BODY = 60_000;
const COMMIT = { sha: 'a'.repeat(40), message: 'Fix the README typo\n\nLonger text' };

describe('delivery: the pull request body keeps the receipt and checks, cuts the free text', function () {
  let handle: ServicesHandle;
  before(() => {
    handle = createServices(testConfig(), { logger: silentLogger });
  });
  after(async () => {
    await handle.stop(0);
    removeTempDirs();
  });

  const task = (request = 'Fix the README') => handle.services.tasks.create({ request, sessionId: 's1' });
  const check = (taskId: string, name: string) =>
    handle.services.events.append({ type: 'check_result', payload: { taskId, name, command: `npm run ${name}`, status: 'passed', exitCode: 0, durationMs: 5, output: 'ok', counts: { passed: 3, failed: 0, skipped: 0 } } });

  it('short: the whole text, no marker', () => {
    const t = task();
    check(t.id, 'test');
    const body = pullRequestBody(handle.services.db, t, COMMIT, 'Closes the typo issue.');
    assert.ok(body.startsWith('Closes the typo issue.\n'));
    assert.ok(!body.includes(CUT_MARKER));
    assert.match(body, /- ✅ test: `npm run test` passed \(3 passed, 0 failed, 0 skipped\)/);
    assert.ok(body.includes(receiptLine(t.id)));
  });

  it('a 100,000-character extra text: cut with the marker, the request, commit, checks and receipt stay whole', () => {
    const t = task('Fix the README\nand the docs');
    check(t.id, 'test');
    check(t.id, 'lint');
    const extra = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'x'.repeat(44)}`).join('\n');
    assert.ok(extra.length > 100_000);
    const body = pullRequestBody(handle.services.db, t, COMMIT, extra);
    assert.ok(body.length <= MAX_BODY, `${body.length} characters`);
    assert.ok(body.length > MAX_BODY - 200, 'the free text fills what is left');
    assert.ok(body.startsWith('line 0 '));
    const cut = body.indexOf(`\n${CUT_MARKER}\n`);
    assert.ok(cut > 0, 'a visible marker where the extra text was cut');
    assert.ok(cut < body.indexOf('## Request'), 'the marker closes the extra text');
    assert.ok(body.includes('> Fix the README\n> and the docs'));
    assert.ok(body.includes(`- ${COMMIT.sha} Fix the README typo`));
    assert.match(body, /- ✅ test: .*\n- ✅ lint: /);
    assert.ok(body.trimEnd().endsWith(`its receipt: \`${receiptLine(t.id)}\``), body.slice(-300));
  });

  it('a huge request and no extra: the request is cut (quoted lines), the receipt stays', () => {
    const t = task(Array.from({ length: 1800 }, (_, i) => `requirement ${i}: ${'y'.repeat(16)}`).join('\n'));
    check(t.id, 'test');
    const body = pullRequestBody(handle.services.db, t, COMMIT);
    assert.ok(body.length <= MAX_BODY, `${body.length} characters`);
    assert.ok(body.includes(`\n${CUT_MARKER}\n`));
    assert.ok(body.includes('> requirement 0: '));
    assert.ok(!body.includes('requirement 1799'));
    assert.match(body, /## Checks\n\n- ✅ test: /);
    assert.ok(body.includes(receiptLine(t.id)));
  });

  it('hundreds of check results: the first stay, then how many more, then the receipt', () => {
    const t = task();
    for (let i = 0; i < 800; i++) check(t.id, `check-${i}-${'z'.repeat(40)}`);
    const body = pullRequestBody(handle.services.db, t, COMMIT, 'x'.repeat(5000));
    assert.ok(body.length <= MAX_BODY, `${body.length} characters`);
    assert.ok(body.includes('- ✅ check-0-'));
    const more = /- … \(cut\): (\d+) more check results/.exec(body);
    assert.ok(more, 'the count of the check lines that were left out');
    const shown = body.split('\n').filter((l) => l.startsWith('- ✅ check-')).length;
    assert.equal(shown + Number(more[1]), 800);
    assert.ok(body.trimEnd().endsWith(`\`${receiptLine(t.id)}\``));
  });
});
