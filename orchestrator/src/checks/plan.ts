/**
 * Which checks a tree has: planned on the materialised tree (its manifests read as data; nothing of
 * the repository runs on the host), merged with the checks the repository's settings name.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VENV } from '../deps/detect';
import type { RepoSettings } from '../deps/settings';
import { readWorkspaceFile } from '../workbench/fs-safe';
import { detectChecks } from './detect';
import type { CheckSpec } from './types';

/** A directory's entry names; nothing for a symlink (never followed on the host) or a path outside the tree. */
function listDir(root: string, rel: string): string[] | undefined {
  const dir = join(root, rel);
  if (relative(root, dir).startsWith('..')) return undefined;
  try {
    return lstatSync(dir).isDirectory() ? readdirSync(dir) : undefined;
  } catch {
    return undefined; // missing or unreadable: no entries to go by
  }
}

export function planChecks(dir: string, settings: RepoSettings): CheckSpec[] {
  // `.venv/bin/python` is a symlink into the image: lstat only, never followed on the host.
  const venv = () => lstatSync(join(dir, VENV, 'bin', 'python'), { throwIfNoEntry: false }) !== undefined;
  return detectChecks((rel) => readWorkspaceFile(dir, rel), settings.checks.run, { auto: settings.checks.auto, list: (rel) => listDir(dir, rel), venv });
}
