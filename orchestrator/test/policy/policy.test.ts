import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PushPalsError } from '../../src/errors';
import { EMPTY_POLICY, loadPolicy, policyPath, validatePolicy } from '../../src/policy';

describe('policy: loadPolicy / validatePolicy', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-policy-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (repoId: string, body: string): void => {
    fs.mkdirSync(path.join(dir, 'policies'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'policies', `${repoId}.json`), body);
  };

  it('a missing file means defaults only', () => assert.equal(loadPolicy(dir, 'r1'), EMPTY_POLICY));

  it('loads and validates a file from <dataDir>/policies/<repoId>.json', () => {
    write('r1', JSON.stringify({ version: 1, allow: [{ command: 'make', args: 'deploy' }], autoCommit: true }));
    assert.deepEqual(loadPolicy(dir, 'r1'), { version: 1, deny: [], ask: [], allow: [{ command: 'make', args: 'deploy' }], autoCommit: true });
  });

  it('rejects invalid JSON and invalid shapes with a PushPalsError naming the field', () => {
    write('bad', '{ nope');
    assert.throws(() => loadPolicy(dir, 'bad'), (e: unknown) => e instanceof PushPalsError && e.code === 'invalid_json');
    write('bad2', JSON.stringify({ version: 1, allow: [{ command: 'rm -rf' }] }));
    assert.throws(() => loadPolicy(dir, 'bad2'), (e: unknown) => e instanceof PushPalsError && /\/allow\/0\/command/.test(e.message));
    assert.throws(() => validatePolicy({ version: 2 }), /version/);
    assert.throws(() => validatePolicy({ version: 1, extra: 1 }), /unknown field/);
    assert.throws(() => validatePolicy({ version: 1, deny: {} }), /must be an array/);
  });

  it('refuses repo ids that would escape the policies directory', () => {
    assert.throws(() => policyPath(dir, '../x'), PushPalsError);
    assert.throws(() => policyPath(dir, '..'), PushPalsError);
    assert.equal(policyPath(dir, 'repo_1'), path.join(dir, 'policies', 'repo_1.json'));
  });
});
