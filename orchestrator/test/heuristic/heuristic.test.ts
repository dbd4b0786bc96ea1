import assert from 'node:assert/strict';
import { applyPatch } from 'diff';
import { detectTestCommand, recognizeIntent } from '../../src/heuristic/intents';
import { proposeReadmeFix } from '../../src/heuristic/readme-fix';

describe('heuristic lane: intents', () => {
  const cases: Array<[string, string | undefined, string?]> = [
    ['Run git status on this repo', 'run_command', 'git status'],
    ['please run `git log` here', 'run_command', 'git log --oneline -n 20'],
    ['git diff', 'run_command', 'git diff'],
    ['Run the tests', 'run_tests'],
    ['run unit tests please', 'run_tests'],
    ['Run the checks', 'run_checks'],
    ["run the repo's checks", 'run_checks'],
    ['checks', 'run_checks'],
    ['Apply a patch to fix the README', 'fix_readme'],
    ['fix typos in readme.md', 'fix_readme'],
    ['Refactor the parser to use a visitor', undefined],
    ['read the README', undefined],
    ['git push to origin', undefined],
  ];
  for (const [request, kind, command] of cases) {
    it(`"${request}" → ${kind ?? 'no heuristic intent'}`, () => {
      const intent = recognizeIntent(request);
      assert.equal(intent?.kind, kind);
      if (command) assert.equal(intent?.kind === 'run_command' ? intent.command : undefined, command);
    });
  }

  it('detects the test command from the manifests, as data', () => {
    assert.equal(detectTestCommand({ packageJson: '{"scripts":{"test":"mocha"}}' }), 'npm test');
    assert.equal(detectTestCommand({ packageJson: '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}' }), undefined);
    assert.equal(detectTestCommand({ packageJson: '{not json', makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\n' }), 'make test');
    assert.equal(detectTestCommand({ hasPytest: true }), 'python3 -m pytest -q');
    assert.equal(detectTestCommand({}), undefined);
  });
});

describe('heuristic lane: README fixes', () => {
  it('fixes misspellings and whitespace, and the patch applies to the original', () => {
    const original = '# Demo\n\nTeh project will recieve input.   \n\n\n\nSee the docs';
    const fix = proposeReadmeFix(original);
    assert.ok(fix);
    assert.equal(fix.content, '# Demo\n\nThe project will receive input.\n\nSee the docs\n');
    assert.ok(fix.fixes.some((f) => f.includes('"Teh" → "The"')));
    assert.ok(fix.fixes.includes('added the missing final newline'));
    assert.equal(applyPatch(original, fix.patch), fix.content);
  });

  it('leaves code blocks and Markdown hard breaks alone', () => {
    const original = '# T\n\nline with break  \nnext\n\n```\nteh code   \n```\n';
    assert.equal(proposeReadmeFix(original), undefined);
  });

  it('adds a heading when there is none', () => {
    const fix = proposeReadmeFix('Some text.\n', 'README.md', 'demo');
    assert.equal(fix?.content, '# demo\n\nSome text.\n');
  });

  it('returns undefined for a clean README', () => {
    assert.equal(proposeReadmeFix('# Clean\n\nAll good.\n'), undefined);
  });
});
