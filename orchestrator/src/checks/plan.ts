/**
 * Which checks a tree has: planned on the materialised tree (its manifests read as data; nothing of
 * the repository runs on the host).
 */
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { VENV } from '../deps/detect';
import { detectTestCommand } from '../heuristic/intents';
import { readWorkspaceFile } from '../workbench/fs-safe';
import type { RepoSettings } from '../deps/settings';
import type { CheckSpec } from './types';

export function planChecks(dir: string, _settings: RepoSettings): CheckSpec[] {
  const read = (rel: string) => readWorkspaceFile(dir, rel);
  // `.venv/bin/python` is a symlink into the image: lstat only, never followed on the host.
  const venv = () => lstatSync(join(dir, VENV, 'bin', 'python'), { throwIfNoEntry: false }) !== undefined;
  const test = detectTestCommand({ packageJson: read('package.json'), makefile: read('Makefile'), read, venvPython: venv });
  return test ? [{ name: 'test', command: test, source: 'detected test command' }] : [];
}
