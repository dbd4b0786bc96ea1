/**
 * Dependency set-up through the egress allowlist, end to end: the real orchestrator, real Docker
 * (the worker image with Node and Python), real git, and the package registries THIS machine is
 * configured for (nothing here names one: the allowlist is read from npm/pip configuration at run time).
 *
 * - a Node project whose test needs a devDependency: "Run the tests" runs `npm ci` through the
 *   proxy, then `npm test` passes; the test itself proves the task sandbox has no network;
 * - a Python project whose tests need pytest: venv + pip through the proxy, then pytest passes;
 * - each a second time on the same lockfile: the per-repo cache makes it faster (times printed);
 * - a set-up that asks for a host outside the allowlist (`x.invalid`) is refused before any lookup,
 *   audited (`egress_refused`), reported (`egress_blocked`), and the task says which command failed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventPayload } from '@pushpals/protocol';
import { makeFixtureRepo, SuiteSession, WORKER_IMAGE } from '../helpers/e2e-env';
import { ofType, trace, waitTerminal } from '../helpers/task-flow';

/** The test of the Node fixture: needs is-number from node_modules, and checks it has no network. */
const NODE_TEST = `
const assert = require('assert');
const fs = require('fs');
const isNumber = require('is-number');
assert.equal(isNumber(5), true);
// The task sandbox: loopback only, no proxy socket, no proxy settings.
const ifaces = fs.readFileSync('/proc/net/dev', 'utf8').split('\\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
assert.deepEqual(ifaces, ['lo'], 'interfaces: ' + ifaces);
assert.equal(fs.existsSync('/run/pushpals-egress'), false, 'the egress socket is not mounted in the task sandbox');
assert.equal(process.env.HTTPS_PROXY, undefined);
require('net').connect(3128, '127.0.0.1').on('connect', () => { console.log('REACHED A PROXY'); process.exit(1); })
  .on('error', (e) => console.log('node fixture ok; no network: ' + e.code));
`;

const NODE_LOCK = {
  name: 'deps-node-fixture',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'deps-node-fixture', version: '1.0.0', devDependencies: { 'is-number': '7.0.0' } },
    'node_modules/is-number': { version: '7.0.0', integrity: 'sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==', dev: true, engines: { node: '>=0.12.0' } },
  },
};

const hostOf = (cmd: string, args: string[]): string => new URL(execFileSync(cmd, args, { cwd: tmpdir(), encoding: 'utf8' }).trim()).hostname;

describe('end to end: dependency set-up through the egress allowlist (real registries)', function () {
  this.timeout(900_000);
  const s = new SuiteSession();
  const { c } = s;
  const times: Record<string, number> = {};

  before(async () => {
    await s.open('pushpals-deps-home-', { sandbox: { image: WORKER_IMAGE } });
    assert.equal(s.app().workbench?.sandboxProblem, undefined, `sandboxes unavailable: ${s.app().workbench?.sandboxProblem}`);
  });
  after(async () => {
     
    console.log(`      set-up times (task start to end): ${JSON.stringify(times)}`);
    await s.close();
  });

  const register = async (files: Record<string, string>, testScript?: string): Promise<string> => {
    const path = makeFixtureRepo({ files, ...(testScript ? { testScript } : {}) });
    return (await c().send('repo_add', { source: path })).repoId;
  };
  const runTests = async (repoId: string): Promise<{ taskId: string; ms: number; end: Awaited<ReturnType<typeof waitTerminal>> }> => {
    const t0 = Date.now();
    const { taskId } = await c().send('task_new', { request: 'Run the tests', repoId });
    const end = await waitTerminal(c(), taskId, 600_000);
    return { taskId, ms: Date.now() - t0, end };
  };
  const audit = async (taskId: string) => (await c().send('audit_get', { taskId })).entries;
  /** The proxy's audit rows of a task: `CONNECT host:port`. */
  const egressRows = async (taskId: string, action: string) =>
    (await audit(taskId))
      .filter((e) => e.action === action)
      .map((e) => {
        const m = /^CONNECT (.+):(\d+)$/.exec(e.command ?? '');
        assert.ok(m, `an egress row names its request: ${JSON.stringify(e)}`);
        return { host: m[1] as string, port: Number(m[2]) };
      });

  let nodeRepo = '';
  it('Node: "Run the tests" runs `npm ci` through the proxy first, then the tests pass in a sandbox with no network', async () => {
    const pkg = { name: 'deps-node-fixture', version: '1.0.0', private: true, scripts: { test: 'node test.js' }, devDependencies: { 'is-number': '7.0.0' } };
    nodeRepo = await register({ 'package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'package-lock.json': `${JSON.stringify(NODE_LOCK, null, 2)}\n`, 'test.js': NODE_TEST });
    const { taskId, ms, end } = await runTests(nodeRepo);
    times.nodeCold = ms;
    const t = trace(c(), taskId);
    assert.equal(end.type, 'task_completed', t);
    assert.match((end.payload as EventPayload<'task_completed'>).summary, /Dependencies were set up first \(`npm ci`/, t);
    const calls = ofType(c().forTask(taskId), 'tool_call').map((e) => e.payload);
    assert.deepEqual(calls.map((p) => p.args.command), ['npm ci', 'npm test'], t);
    assert.match(calls[0]?.policy?.reason ?? '', /dependency set-up \(package-lock\.json\).*egress allowlist/);
    const results = ofType(c().forTask(taskId), 'tool_result').map((e) => e.payload);
    assert.match(results[1]?.stdout ?? '', /node fixture ok; no network: ECONNREFUSED/, t);
    // Every connection of the set-up went to the registry npm is configured with, and was audited.
    const registry = hostOf('npm', ['config', 'get', 'registry']);
    const allowed = await egressRows(taskId, 'egress_allowed');
    assert.ok(allowed.length > 0, 'the cold set-up connected through the proxy');
    assert.deepEqual([...new Set(allowed.map((a) => a.host))], [registry]);
    assert.ok(readdirSync(join(s.dataDir(), 'caches', nodeRepo, 'npm')).length > 0, 'downloads landed in the per-repo cache');
  });

  it('Node, second time on the same lockfile: the per-repo cache serves it (no registry connection)', async () => {
    const { taskId, ms, end } = await runTests(nodeRepo);
    times.nodeCached = ms;
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    assert.deepEqual(await egressRows(taskId, 'egress_allowed'), [], 'npm ci --prefer-offline found everything in the cache');
  });

  let pyRepo = '';
  it('Python: a venv and pytest installed through the proxy (index and file hosts read from pip), then pytest passes', async () => {
    pyRepo = await register({
      'package.json': '{"name": "not-node", "private": true}\n',
      'requirements-test.txt': 'pytest==8.3.4\n',
      'pytest.ini': '[pytest]\naddopts = -p no:cacheprovider\n',
      'test_sample.py': 'import socket\n\ndef test_adds():\n    assert 1 + 1 == 2\n\ndef test_no_network():\n    try:\n        socket.create_connection(("127.0.0.1", 3128), timeout=2)\n        assert False, "reached a proxy"\n    except OSError:\n        pass\n',
    });
    const { taskId, ms, end } = await runTests(pyRepo);
    times.pythonCold = ms;
    const t = trace(c(), taskId);
    assert.equal(end.type, 'task_completed', t);
    const calls = ofType(c().forTask(taskId), 'tool_call').map((e) => String(e.payload.args.command));
    assert.deepEqual(calls, ['python3 -m venv .venv', ".venv/bin/pip install -r 'requirements-test.txt'", '.venv/bin/python -m pytest -q'], t);
    const out = ofType(c().forTask(taskId), 'tool_result').at(-1)?.payload.stdout ?? '';
    assert.match(out, /2 passed/, t);
    const hosts = new Set((await egressRows(taskId, 'egress_allowed')).map((a) => a.host));
    assert.ok(hosts.size >= 1, 'pip went through the proxy');
    // pip's own HTTP cache (/cache/pip) keeps what the index allows to be cached (Cache-Control, ETag);
    // where a TLS-intercepting middlebox strips those headers it keeps nothing: not asserted here.
    assert.ok(existsSync(join(s.dataDir(), 'caches', pyRepo)), 'the repository has its download cache');
  });

  it('Python, second time: set up again within seconds (pip keeps what the index lets it cache)', async () => {
    const { taskId, ms, end } = await runTests(pyRepo);
    times.pythonCached = ms;
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    assert.ok(ms < times.pythonCold! + 5000, `cached ${ms} ms vs cold ${times.pythonCold} ms`);
  });

  it('a set-up that asks for a host outside the allowlist is refused before any lookup, audited, reported, and the task says which command failed', async () => {
    const pkg = { name: 'deps-blocked', version: '1.0.0', private: true, scripts: { test: 'node -e 0' }, dependencies: { 'left-pad': 'https://x.invalid/left-pad-1.3.0.tgz' } };
    const repoId = await register({ 'package.json': `${JSON.stringify(pkg)}\n` });
    const { taskId, end } = await runTests(repoId);
    const t = trace(c(), taskId);
    assert.equal(end.type, 'task_failed', t);
    const err = (end.payload as EventPayload<'task_failed'>).error;
    assert.equal(err.code, 'command_failed');
    assert.match(err.message, /dependency set-up failed: `npm install --no-package-lock` exited with code [1-9]/);
    assert.match(err.message, /refused x\.invalid:443/);
    const blocked = ofType(c().forTask(taskId), 'egress_blocked').map((e) => e.payload);
    assert.ok(blocked.length >= 1, t);
    assert.equal(blocked[0]?.host, 'x.invalid');
    assert.equal(blocked[0]?.command, 'npm install --no-package-lock');
    const refused = await egressRows(taskId, 'egress_refused');
    assert.ok(refused.some((r) => r.host === 'x.invalid' && r.port === 443), JSON.stringify(refused));
    // The tests never ran: no tool call besides the set-up.
    assert.deepEqual(ofType(c().forTask(taskId), 'tool_call').map((e) => e.payload.args.command), ['npm install --no-package-lock']);
  });

  it('a repository setting adds a host and names the set-up commands', async () => {
    const repoId = await register({ 'package.json': '{"name": "configured", "private": true, "scripts": {"test": "test -f made-by-setup"}}\n' });
    const dir = join(s.dataDir(), 'repo-settings');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, `${repoId}.json`), JSON.stringify({ version: 1, setup: { commands: ['touch made-by-setup'] }, egress: { allow: ['x.invalid'] } }));
    const { taskId, end } = await runTests(repoId);
    assert.equal(end.type, 'task_completed', trace(c(), taskId));
    assert.deepEqual(ofType(c().forTask(taskId), 'tool_call').map((e) => e.payload.args.command), ['touch made-by-setup', 'npm test']);
  });
});
