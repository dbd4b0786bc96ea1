/**
 * Checks as evidence on real runners, end to end: "Run the checks" through the real orchestrator
 * (WebSocket), real Docker (the worker image), real git, dependency set-up through the egress proxy
 * to the registries this machine is configured for. Each fixture's tests really pass, fail and skip;
 * the counts come from parsing the runner's own output, and a runner whose output says nothing
 * parsable still reports pass/fail by its exit code.
 */
import assert from 'node:assert/strict';
import type { EventPayload } from '@pushpals/protocol';
import { makeFixtureRepo, SuiteSession, WORKER_IMAGE } from '../helpers/e2e-env';
import { ofType, trace, waitTerminal } from '../helpers/task-flow';

/** node --test: 2 pass, 1 fails, 1 skipped. */
const NODE_TESTS = `
const test = require('node:test');
const assert = require('node:assert');
test('adds', () => assert.equal(1 + 1, 2));
test('subtracts', () => assert.equal(3 - 1, 2));
test('multiplies wrongly', () => assert.equal(2 * 2, 5, 'two times two'));
test('later', { skip: 'not yet' }, () => {});
`;

/** pytest: 2 pass, 1 fails, 1 skipped. */
const PY_TESTS = `
import pytest

def test_adds():
    assert 1 + 1 == 2

def test_subtracts():
    assert 3 - 1 == 2

def test_multiplies_wrongly():
    assert 2 * 2 == 5, "two times two"

@pytest.mark.skip(reason="not yet")
def test_later():
    pass
`;

describe('end to end: checks on real runners (node --test, pytest, a Makefile runner), counts parsed', function () {
  this.timeout(900_000);
  const s = new SuiteSession();
  const { c } = s;

  before(async () => {
    await s.open('pushpals-checks-home-', { sandbox: { image: WORKER_IMAGE } });
    assert.equal(s.app().workbench?.sandboxProblem, undefined, `sandboxes unavailable: ${s.app().workbench?.sandboxProblem}`);
  });
  after(() => s.close());

  const runChecks = async (files: Record<string, string>, testScript?: string | null) => {
    const path = makeFixtureRepo({ files, ...(testScript !== undefined ? { testScript } : {}) });
    const { repoId } = await c().send('repo_add', { source: path });
    const { taskId } = await c().send('task_new', { request: 'Run the checks', repoId });
    const end = await waitTerminal(c(), taskId, 600_000);
    const checks = ofType(c().forTask(taskId), 'check_result').map((e) => e.payload);
    return { taskId, end, checks, t: trace(c(), taskId) };
  };
  const byName = (checks: Array<EventPayload<'check_result'>>, name: string) => {
    const r = checks.find((x) => x.name === name);
    assert.ok(r, `a check named ${name}: ${JSON.stringify(checks.map((x) => x.name))}`);
    return r;
  };

  it('Node (node --test, and a lint script with no parsable output): counts 2/1/1, the failure excerpt, lint by exit code; the task fails naming the check', async () => {
    const pkg = { name: 'checks-node', version: '1.0.0', private: true, scripts: { test: 'node --test', lint: 'node lint.js' } };
    const r = await runChecks({ 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'test/math.test.js': NODE_TESTS, 'lint.js': "console.log('looks tidy');\n" });
    assert.equal(r.end.type, 'task_failed', r.t);
    const test = byName(r.checks, 'test');
    assert.equal(test.status, 'failed', test.output);
    assert.deepEqual(test.counts, { passed: 2, failed: 1, skipped: 1 }, test.output);
    assert.match(test.excerpt ?? '', /multiplies wrongly/, 'the excerpt shows the first failure');
    assert.equal(test.phase, 'base');
    assert.match(test.treeId ?? '', /^[0-9a-f]{40}$/);
    const lint = byName(r.checks, 'lint');
    assert.equal(lint.status, 'passed', lint.output);
    assert.equal(lint.counts, undefined, 'nothing to parse in "looks tidy"');
    assert.match((r.end.payload as EventPayload<'task_failed'>).error.message, /check\(s\) did not pass \(test\)[\s\S]*test: failed \(exit 1\) — 2 passed, 1 failed, 1 skipped/);
  });

  it('Python (pytest, installed through the egress proxy into a venv): counts 2/1/1 from pytest\'s summary', async () => {
    const r = await runChecks({ 'pyproject.toml': '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n', 'requirements-test.txt': 'pytest\n', 'tests/test_math.py': PY_TESTS }, null);
    const test = r.checks.find((x) => /pytest/.test(x.command));
    assert.ok(test, `a pytest check: ${JSON.stringify(r.checks.map((x) => [x.name, x.command]))}\n${r.t}`);
    assert.equal(test.status, 'failed', test.output);
    assert.deepEqual(test.counts, { passed: 2, failed: 1, skipped: 1 }, test.output);
    assert.match(test.excerpt ?? '', /test_multiplies_wrongly/);
  });

  it('a Makefile runner whose output has no counts: passes and fails by exit code alone', async () => {
    const ok = await runChecks({ Makefile: 'test:\n\t@echo "all good here"\n' }, null);
    const passed = byName(ok.checks, 'test');
    assert.equal(passed.status, 'passed', ok.t);
    assert.equal(passed.counts, undefined);
    assert.equal(ok.end.type, 'task_completed', ok.t);
    const bad = await runChecks({ Makefile: 'test:\n\t@echo "something broke"; exit 3\n' }, null);
    const failed = byName(bad.checks, 'test');
    assert.equal(failed.status, 'failed', bad.t);
    assert.equal(failed.exitCode, 2, 'make exits 2 when a recipe fails');
    assert.match(failed.output, /something broke/);
  });
});
