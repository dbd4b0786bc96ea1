/** Set-up detection from manifests, the "missing command/module" diagnosis, and repo settings. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectSetup } from '../../src/deps/detect';
import { explainMissing, findMissing } from '../../src/deps/diagnose';
import { loadRepoSettings, validateRepoSettings } from '../../src/deps/settings';
import { PushPalsError } from '../../src/errors';
import { detectTestCommand } from '../../src/heuristic/intents';
import { removeTempDirs, tempDir } from '../helpers/temp';

const reader = (files: Record<string, string>) => (f: string) => files[f];

describe('dependency set-up plans', () => {
  after(() => removeTempDirs());

  it('picks the install command from the lockfile (and the pinned package manager)', () => {
    const pkg = JSON.stringify({ devDependencies: { mocha: '10' } });
    assert.deepEqual(detectSetup(reader({ 'package.json': pkg, 'package-lock.json': '{}' })).map((p) => p.commands), [['npm ci']]);
    assert.deepEqual(detectSetup(reader({ 'package.json': pkg, 'pnpm-lock.yaml': '' })).map((p) => p.commands), [['npx --yes pnpm@9 install --frozen-lockfile']]);
    assert.deepEqual(detectSetup(reader({ 'package.json': JSON.stringify({ dependencies: { a: '1' }, packageManager: 'yarn@4.1.0' }), 'yarn.lock': '' })).map((p) => p.commands), [['npx --yes yarn@4.1.0 install --immutable']]);
    assert.deepEqual(detectSetup(reader({ 'package.json': pkg })).map((p) => p.commands), [['npm install --no-package-lock']]);
    assert.deepEqual(detectSetup(reader({ 'package.json': '{"name": "x"}' })), [], 'nothing to install');
    assert.deepEqual(detectSetup(reader({ 'package.json': '{not json' })), []);
    assert.equal(detectSetup(reader({ 'package.json': pkg, 'package-lock.json': '{}' }))[0]?.marker, 'node_modules');
  });

  it('Python: a venv, the requirements, the project with its test extra, pytest when only configured', () => {
    const py = (files: Record<string, string>) => detectSetup(reader(files)).find((p) => p.kind === 'python')?.commands;
    assert.deepEqual(py({ 'requirements.txt': 'x', 'requirements-dev.txt': 'pytest' }), ['python3 -m venv .venv', ".venv/bin/pip install -r 'requirements.txt' -r 'requirements-dev.txt'"]);
    assert.deepEqual(py({ 'pyproject.toml': '[project]\nname = "x"\n[project.optional-dependencies]\ntest = ["pytest"]\ndocs = ["x"]\n[tool.pytest.ini_options]\n' }), ['python3 -m venv .venv', ".venv/bin/pip install -e '.[test]'"]);
    assert.deepEqual(py({ 'pytest.ini': '[pytest]\n' }), ['python3 -m venv .venv', '.venv/bin/pip install pytest']);
    // PEP 735 dependency groups (Pallets' layout): the test group's requirements, includes resolved; "dev" only without a test group.
    const groups = '[project]\nname = "x"\n[dependency-groups]\ndev = ["ruff", "tox"]\nbase = ["freezegun"]\ntests = [{ include-group = "base" }, "pytest ; python_version >= \'3.8\'"]\n[tool.pytest.ini_options]\n';
    assert.deepEqual(py({ 'pyproject.toml': groups }), ['python3 -m venv .venv', ".venv/bin/pip install -e '.'", `.venv/bin/pip install 'freezegun' 'pytest ; python_version >= '\\''3.8'\\'''`]);
    assert.deepEqual(py({ 'pyproject.toml': '[project]\nname = "x"\n[dependency-groups]\ndev = ["pytest"]\n' }), ['python3 -m venv .venv', ".venv/bin/pip install -e '.'", ".venv/bin/pip install 'pytest'"]);
    // A group naming pytest only under docs does not count: pytest is installed for the configuration.
    assert.deepEqual(py({ 'pyproject.toml': '[project]\nname = "x"\n[dependency-groups]\ndocs = ["pytest-sphinx"]\n[tool.pytest.ini_options]\n' }), ['python3 -m venv .venv', ".venv/bin/pip install -e '.'", '.venv/bin/pip install pytest']);
    // Not TOML: still installable by the section names it has.
    assert.deepEqual(py({ 'pyproject.toml': '[project]\nname = = "x"\n' }), ['python3 -m venv .venv', ".venv/bin/pip install -e '.'"]);
    assert.equal(py({ 'README.md': 'x' }), undefined);
    assert.deepEqual(detectSetup(reader({ 'go.mod': 'module x', 'Cargo.toml': '', 'Cargo.lock': '' })).map((p) => p.commands[0]), ['go mod download', 'cargo fetch --locked']);
  });

  it('the test command uses the venv once the set-up made it', () => {
    const read = reader({ 'pytest.ini': '[pytest]\n' });
    assert.equal(detectTestCommand({ read, venvPython: () => false }), 'python3 -m pytest -q');
    assert.equal(detectTestCommand({ read, venvPython: () => true }), '.venv/bin/python -m pytest -q');
  });

  it('finds what is missing in the output of the three real failures, and says what to do', () => {
    assert.deepEqual(findMissing({ exitCode: 127, stdout: '', stderr: 'sh: 1: xo: not found\n' }), { kind: 'command', name: 'xo' });
    assert.deepEqual(findMissing({ exitCode: 127, stdout: '', stderr: 'bash: line 1: mocha: command not found\n' }), { kind: 'command', name: 'mocha' });
    assert.deepEqual(findMissing({ exitCode: 1, stdout: '', stderr: '/usr/bin/python3: No module named pytest\n' }), { kind: 'python_module', name: 'pytest' });
    assert.deepEqual(findMissing({ exitCode: 1, stdout: "ModuleNotFoundError: No module named 'click.testing'", stderr: '' }), { kind: 'python_module', name: 'click' });
    assert.equal(findMissing({ exitCode: 1, stdout: 'assertion failed', stderr: '' }), undefined);
    assert.equal(findMissing({ exitCode: 0, stdout: '', stderr: 'x: not found' }), undefined);
    const ran = explainMissing({ kind: 'command', name: 'xo' }, { setupRan: ['npm ci'], hasManifest: true, settingsFile: '/d/repo-settings/r.json' });
    assert.match(ran, /`xo` was not found \(exit 127\), although the set-up ran \(`npm ci`\).*no network.*\/d\/repo-settings\/r\.json/s);
    assert.match(explainMissing({ kind: 'command', name: 'cargo' }, { setupRan: [], hasManifest: true }), /pushpals sandbox build-image --with rust/);
    assert.match(explainMissing({ kind: 'python_module', name: 'pytest' }, { setupRan: [], hasManifest: false }), /no manifest to install from/);
  });

  it('repo settings: defaults when absent, every field checked with a typed error naming it', () => {
    const dir = tempDir('pp-settings-');
    assert.deepEqual(loadRepoSettings(dir, 'repo-1'), { setup: { auto: true }, egress: { allow: [] }, checks: { auto: true } });
    mkdirSync(join(dir, 'repo-settings'));
    writeFileSync(join(dir, 'repo-settings', 'repo-1.json'), JSON.stringify({ version: 1, image: 'pushpals-worker:dev-go', setup: { commands: ['make deps'] }, egress: { allow: ['npm.example.test', '*.corp.test:8443'] } }));
    const s = loadRepoSettings(dir, 'repo-1');
    assert.equal(s.image, 'pushpals-worker:dev-go');
    assert.deepEqual(s.setup, { commands: ['make deps'], auto: true });
    assert.deepEqual(s.egress.allow.map((e) => [e.host, e.port, e.wildcard]), [['npm.example.test', 443, false], ['corp.test', 8443, true]]);
    const bad = (v: unknown, re: RegExp) => assert.throws(() => validateRepoSettings(v, 'f.json'), (e: unknown) => e instanceof PushPalsError && e.code === 'invalid_message' && re.test(e.message));
    bad({ version: 2 }, /version/);
    bad({ version: 1, setup: { commands: [] } }, /setup\.commands/);
    bad({ version: 1, setup: { auto: 'yes' } }, /setup\.auto/);
    bad({ version: 1, egress: { allow: ['http://x/'] } }, /egress allowlist entry/);
    bad({ version: 1, image: 'UPPER CASE' }, /image/);
    bad({ version: 1, extra: 1 }, /extra/);
    writeFileSync(join(dir, 'repo-settings', 'repo-2.json'), '{oops');
    assert.throws(() => loadRepoSettings(dir, 'repo-2'), /not valid JSON/);
    assert.throws(() => loadRepoSettings(dir, '../x'), (e: unknown) => e instanceof PushPalsError);
  });
});
