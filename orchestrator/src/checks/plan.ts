/**
 * Which checks a tree has: planned on the materialised tree (its manifests read as data; nothing of
 * the repository runs on the host).
 */
import { detectTestCommand } from '../heuristic/intents';
import { readWorkspaceFile } from '../workbench/fs-safe';
import type { RepoSettings } from '../deps/settings';
import type { CheckSpec } from './types';

export function planChecks(dir: string, _settings: RepoSettings): CheckSpec[] {
  const read = (rel: string) => readWorkspaceFile(dir, rel);
  const test = detectTestCommand({
    packageJson: read('package.json'),
    makefile: read('Makefile'),
    hasPytest: read('pytest.ini') !== undefined || read('pyproject.toml')?.includes('[tool.pytest') === true,
  });
  return test ? [{ name: 'test', command: test, source: 'detected test command' }] : [];
}
