/** Check detection from real-world shaped manifests, the Makefile reader, runner guesses, configured checks. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectChecks } from '../../src/checks/detect';
import { makeTargets } from '../../src/checks/makefile';
import { guessRunner } from '../../src/checks/runner-kind';
import type { CheckSpec } from '../../src/checks/types';
import { loadRepoSettings, validateRepoSettings } from '../../src/deps/settings';
import { PushPalsError } from '../../src/errors';
import { removeTempDirs, tempDir } from '../helpers/temp';

const reader = (files: Record<string, string>) => (f: string) => files[f];
const json = (v: unknown) => JSON.stringify(v, null, 2);
const brief = (specs: CheckSpec[]) => specs.map((s) => `${s.name}: ${s.command}${s.runner ? ` [${s.runner}]` : ''}`);

describe('check detection', () => {
  after(() => removeTempDirs());

  it('a small library tested with mocha (npm, package-lock.json)', () => {
    const files = {
      'package.json': json({ name: 'tiny-lib', version: '1.2.0', main: 'index.js', scripts: { test: 'nyc mocha --reporter dot test/*.js', lint: 'standard', prepublishOnly: 'npm test' }, devDependencies: { mocha: '^10.4.0', nyc: '^15.1.0', standard: '^17.1.0' } }),
      'package-lock.json': '{}',
    };
    const specs = detectChecks(reader(files));
    assert.deepEqual(brief(specs), ['test: npm test [mocha]', 'lint: npm run lint']);
    assert.equal(specs[0]?.source, 'package.json scripts.test');
  });

  it('a web framework with jest + eslint + tsc on yarn 1 (the runner followed through "npm run test:unit")', () => {
    const files = {
      'package.json': json({
        name: '@acme/web-framework',
        packageManager: 'yarn@1.22.19',
        scripts: { build: 'tsc -p tsconfig.build.json', 'build:watch': 'tsc -w', lint: 'eslint . --ext .ts --max-warnings 0', typecheck: 'tsc --noEmit', test: 'yarn test:unit --ci', 'test:unit': 'jest --coverage', prepare: 'husky install' },
        devDependencies: { jest: '^29.7.0', eslint: '^8.57.0', typescript: '^5.4.0', 'ts-jest': '^29.1.0' },
      }),
      'yarn.lock': '# yarn lockfile v1\n',
      'tsconfig.json': '{}',
    };
    const specs = detectChecks(reader(files));
    // yarn 1 installs node_modules: npm runs the scripts offline (npx would fetch yarn: network, asked).
    assert.deepEqual(brief(specs), ['test: npm test [jest]', 'lint: npm run lint', 'typecheck: npm run typecheck', 'build: npm run build']);
    assert.equal(specs[0]?.source, 'package.json scripts.test (yarn.lock: run with npm)');
  });

  it("Yarn Plug'n'Play has no node_modules: its scripts run with the pinned yarn, as the set-up calls it", () => {
    const pkg = json({ name: 'berry-app', packageManager: 'yarn@4.1.0', scripts: { test: 'jest' } });
    assert.deepEqual(brief(detectChecks(reader({ 'package.json': pkg, 'yarn.lock': '__metadata:\n  version: 8\n' }))), ['test: npx --yes yarn@4.1.0 test [jest]']);
    const linked = { 'package.json': pkg, 'yarn.lock': '', '.yarnrc.yml': 'nodeLinker: node-modules\n' };
    assert.deepEqual(brief(detectChecks(reader(linked))), ['test: npm test [jest]']);
  });

  it('a Vite app with vitest on pnpm ("type-check" is the typecheck)', () => {
    const files = {
      'package.json': json({ name: 'vite-app', private: true, type: 'module', packageManager: 'pnpm@9.4.0', scripts: { dev: 'vite', build: 'run-p type-check "build-only {@}" --', 'build-only': 'vite build', 'type-check': 'vue-tsc --build --force', test: 'vitest run', lint: 'eslint . --fix' } }),
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
    };
    assert.deepEqual(brief(detectChecks(reader(files))), ['test: npm test [vitest]', 'lint: npm run lint', 'typecheck: npm run type-check', 'build: npm run build']);
  });

  it("npm's placeholder test script is not a check; the other scripts are", () => {
    const files = { 'package.json': json({ name: 'x', scripts: { test: 'echo "Error: no test specified" && exit 1', build: 'tsc' } }) };
    assert.deepEqual(brief(detectChecks(reader(files))), ['build: npm run build']);
  });

  it('a malformed package.json (or odd shapes) names no checks and does not throw', () => {
    for (const text of ['{"scripts": {"test": "mocha"', 'null', '[]', '"x"', json({ scripts: ['mocha'] }), json({ scripts: { test: 42, lint: '  ' } })]) {
      assert.deepEqual(detectChecks(reader({ 'package.json': text })), [], text);
    }
  });

  it('a Python package with pyproject [tool.pytest.ini_options]: pytest with the venv the set-up makes (tox noted)', () => {
    const pyproject = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n[project]\nname = "acme"\nversion = "0.3.0"\n\n[project.optional-dependencies]\ntest = ["pytest>=8", "pytest-cov"]\n\n[tool.pytest.ini_options]\naddopts = "-ra"\ntestpaths = ["tests"]\n';
    const specs = detectChecks(reader({ 'pyproject.toml': pyproject }));
    assert.deepEqual(specs, [{ name: 'test', command: '.venv/bin/python -m pytest', source: 'pytest configuration', runner: 'pytest' }]);
    const withTox = detectChecks(reader({ 'pyproject.toml': pyproject, 'tox.ini': '[tox]\nenvlist = py311\n\n[testenv]\ncommands = pytest {posargs}\n' }));
    assert.match(withTox[0]?.source ?? '', /tox\.ini noted, pytest run directly/);
  });

  it('Python tests without any manifest: found through tests/test_*.py, run with the image python3', () => {
    const list = (d: string) => (d === 'tests' ? ['__init__.py', 'test_parser.py', 'fixtures'] : undefined);
    assert.deepEqual(brief(detectChecks(reader({ 'parser.py': 'x' }), [], { list })), ['test: python3 -m pytest [pytest]']);
    assert.deepEqual(detectChecks(reader({ 'parser.py': 'x' })), [], 'without a listing nothing is guessed');
    assert.deepEqual(detectChecks(reader({}), [], { list: () => ['helpers.py'] }), []);
    // tox.ini alone, whose commands run pytest: pytest directly.
    assert.deepEqual(brief(detectChecks(reader({ 'tox.ini': '[testenv]\ndeps = pytest\ncommands = pytest\n' }))), ['test: python3 -m pytest [pytest]']);
  });

  it('go and cargo projects', () => {
    assert.deepEqual(detectChecks(reader({ 'go.mod': 'module example.com/shop\n\ngo 1.22\n', 'go.sum': '' })), [{ name: 'test', command: 'go test ./...', source: 'go.mod', runner: 'go' }]);
    assert.deepEqual(detectChecks(reader({ 'Cargo.toml': '[package]\nname = "shop"\nversion = "0.1.0"\n', 'Cargo.lock': '' })), [{ name: 'test', command: 'cargo test', source: 'Cargo.toml', runner: 'cargo' }]);
  });

  it('a Makefile project: test, lint, check targets (pattern rules, variables, special targets ignored)', () => {
    const makefile = [
      'CC ?= cc',
      'CFLAGS := -O2 -Wall',
      'SRCS = main.c util.c',
      'URL = http://example.test:8080/x',
      '.PHONY: all test lint check clean',
      '',
      'all: app',
      '',
      'app: $(SRCS:.c=.o)',
      '\t$(CC) $(CFLAGS) -o $@ $^',
      '',
      '%.o: %.c',
      '\t$(CC) $(CFLAGS) -c $<',
      '',
      'test: app',
      '\t./tests/run.sh \\',
      '\t  --verbose',
      '',
      'lint:',
      '\tshellcheck tests/*.sh',
      'check: test lint',
      'clean: ; rm -f app *.o',
    ].join('\n');
    const targets = makeTargets(makefile);
    assert.deepEqual([...targets.keys()], ['all', 'app', 'test', 'lint', 'check', 'clean']);
    assert.deepEqual(targets.get('clean'), ['rm -f app *.o']);
    assert.deepEqual(brief(detectChecks(reader({ Makefile: makefile }))), ['test: make test', 'lint: make lint', 'check: make check']);
  });

  it('a Makefile test that runs the toolchain covers it; one that does not leaves it as "<name>-<language>"', () => {
    const goMake = 'test:\n\tgo test -race ./...\nlint:\n\tgolangci-lint run\n';
    assert.deepEqual(brief(detectChecks(reader({ Makefile: goMake, 'go.mod': 'module x' }))), ['test: make test [go]', 'lint: make lint']);
    const npmMake = 'test: node_modules\n\tnpm test\n';
    const pkg = json({ scripts: { test: 'jest', lint: 'eslint .' } });
    assert.deepEqual(brief(detectChecks(reader({ Makefile: npmMake, 'package.json': pkg }))), ['test: make test', 'lint: npm run lint']);
    // A Go service with a web UI: both test suites run.
    assert.deepEqual(brief(detectChecks(reader({ 'go.mod': 'module x', 'package.json': pkg }))), ['test: npm test [jest]', 'test-go: go test ./... [go]', 'lint: npm run lint']);
    assert.deepEqual(brief(detectChecks(reader({ 'Cargo.toml': '', 'pytest.ini': '[pytest]\n' }))), ['test: .venv/bin/python -m pytest [pytest]', 'test-rust: cargo test [cargo]']);
  });

  it('configured checks replace a detected one in place, the others follow; auto false runs only them', () => {
    const read = reader({ 'package.json': json({ scripts: { test: 'mocha', lint: 'eslint .', build: 'tsc' } }) });
    const configured = [
      { name: 'lint', command: 'npx eslint --max-warnings 0 src' },
      { name: 'e2e', command: 'npx mocha --timeout 60000 e2e/' },
      { name: 'smoke', command: './smoke.sh', runner: 'tap' as const },
    ];
    const specs = detectChecks(read, configured);
    assert.deepEqual(brief(specs), ['test: npm test [mocha]', 'lint: npx eslint --max-warnings 0 src', 'build: npm run build', 'e2e: npx mocha --timeout 60000 e2e/ [mocha]', 'smoke: ./smoke.sh [tap]']);
    assert.equal(specs[1]?.source, 'repo settings');
    assert.deepEqual(brief(detectChecks(read, configured.slice(1, 2), { auto: false })), ['e2e: npx mocha --timeout 60000 e2e/ [mocha]']);
    assert.deepEqual(detectChecks(read, [], { auto: false }), []);
  });

  it('guesses the runner from the command text', () => {
    const cases: Array<[string, string | undefined]> = [
      ['mocha --recursive', 'mocha'],
      ['c8 ts-mocha -p tsconfig.json "test/**/*.ts"', 'mocha'],
      ['jest --ci --runInBand', 'jest'],
      ['react-scripts test --watchAll=false', 'jest'],
      ['vitest run --coverage', 'vitest'],
      ['node --test test/', 'node-test'],
      ['node --test --test-reporter=tap', 'node-test'],
      ['python -m pytest -q tests', 'pytest'],
      ['go test -v ./...', 'go'],
      ['cargo test --workspace', 'cargo'],
      ['tape test/*.js | tap-spec', 'tap'],
      ['eslint . && tsc --noEmit', undefined],
      ['npm run build', undefined],
    ];
    for (const [cmd, want] of cases) assert.equal(guessRunner(cmd), want, cmd);
  });

  it('repo settings `checks`: read from the data dir file, every field checked with a typed error naming it', () => {
    const dir = tempDir('pp-checks-settings-');
    mkdirSync(join(dir, 'repo-settings'));
    const run = [{ name: 'test', command: 'make -C backend test', runner: 'go' }, { name: 'e2e:smoke', command: 'npx playwright test --reporter=line' }];
    writeFileSync(join(dir, 'repo-settings', 'r1.json'), JSON.stringify({ version: 1, checks: { auto: true, run } }));
    const s = loadRepoSettings(dir, 'r1');
    assert.deepEqual(s.checks, { auto: true, run });
    assert.deepEqual(loadRepoSettings(dir, 'r-none').checks, { auto: true }, 'no file: detection on');
    const read = reader({ 'package.json': json({ scripts: { test: 'jest', lint: 'eslint .' } }) });
    assert.deepEqual(brief(detectChecks(read, s.checks.run, { auto: s.checks.auto })), ['test: make -C backend test [go]', 'lint: npm run lint', 'e2e:smoke: npx playwright test --reporter=line']);
    assert.deepEqual(validateRepoSettings({ version: 1, checks: { auto: false } }, 'f').checks, { auto: false });
    const bad = (checks: unknown, re: RegExp) => assert.throws(() => validateRepoSettings({ version: 1, checks }, 'f.json'), (e: unknown) => e instanceof PushPalsError && e.code === 'invalid_message' && re.test(e.message), JSON.stringify(checks));
    bad([], /checks must be an object/);
    bad({ auto: 'no' }, /checks\.auto must be true or false/);
    bad({ skip: ['lint'] }, /checks\.skip is not a known setting/);
    bad({ run: {} }, /checks\.run must be a list/);
    bad({ run: Array.from({ length: 51 }, (_, i) => ({ name: `c${i}`, command: 'true' })) }, /at most 50/);
    bad({ run: ['npm test'] }, /checks\.run\[0\] must be an object/);
    bad({ run: [{ name: 'has space', command: 'x' }] }, /checks\.run\[0\]\.name/);
    bad({ run: [{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }] }, /checks\.run\[1\]\.name "a" is used twice/);
    bad({ run: [{ name: 'a', command: '  ' }] }, /checks\.run\[0\]\.command/);
    bad({ run: [{ name: 'a', command: 'x', runner: 'karma' }] }, /checks\.run\[0\]\.runner must be one of mocha, jest/);
    bad({ run: [{ name: 'a', command: 'x', timeout: 5 }] }, /checks\.run\[0\]\.timeout is not a known setting/);
  });
});
