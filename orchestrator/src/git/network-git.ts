/**
 * Git with network, after an approval (push, fetch, ...), runs in a one-off sandbox on the working
 * copy — whose `.git/config` the task's code may have written. Two layers, so that an approved
 * `git push` does only what it says:
 * - NETWORK_GIT_ENV, in every command of that sandbox: no home or system config, and command-line
 *   level overrides (they win over the repository's) for hooks, fsmonitor, ssh command, credential
 *   helpers, askpass, auto gc;
 * - neutralizeRepoConfig, on the host before it starts: the repository's config is rewritten to an
 *   allow-list (remotes' url/fetch, branches' upstream, user, core basics). Keys no override can
 *   reach — `url.<base>.insteadOf`, `remote.<name>.pushurl`, includes — are dropped with the rest.
 * The file is read as data (regular file, no symlink, bounded) and nothing of it is executed here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PushPalsError } from '../errors';

const OVERRIDES: Array<[string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.sshCommand', 'ssh'],
  ['core.askPass', ''],
  ['credential.helper', ''], // an empty value clears the list of helpers
  ['gc.auto', '0'],
  ['maintenance.auto', 'false'],
  ['fetch.recurseSubmodules', 'false'],
  ['submodule.recurse', 'false'],
  ['protocol.ext.allow', 'never'],
  ['safe.bareRepository', 'explicit'],
  ['safe.directory', '/workspace'],
];

/** Environment of every command in a network sandbox (GIT_CONFIG_COUNT entries are command-line config). */
export const NETWORK_GIT_ENV: Record<string, string> = {
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  GIT_CONFIG_COUNT: String(OVERRIDES.length),
  ...Object.fromEntries(OVERRIDES.flatMap(([k, v], i) => [[`GIT_CONFIG_KEY_${i}`, k], [`GIT_CONFIG_VALUE_${i}`, v]])),
};

/** Keys kept, as `section.key` or `section.*.key` (case-insensitive, as git reads them). */
const ALLOWED = new Set([
  'core.repositoryformatversion', 'core.bare', 'core.filemode', 'core.logallrefupdates', 'core.ignorecase', 'core.precomposeunicode', 'core.symlinks',
  'remote.*.url', 'remote.*.fetch', 'remote.*.tagopt', 'remote.*.prune', 'remote.*.mirror',
  'branch.*.remote', 'branch.*.merge', 'branch.*.rebase',
  'user.name', 'user.email',
  'extensions.objectformat',
]);

const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Rewrites `<workingCopy>/.git/config` to the allow-list; returns the keys dropped (`section.sub.key`,
 * empty when nothing was). A symlinked, non-regular or oversized config is replaced by a minimal one.
 */
export function neutralizeRepoConfig(workingCopy: string): string[] {
  const gitdir = path.join(workingCopy, '.git');
  if (!fs.lstatSync(gitdir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new PushPalsError('forbidden', `${gitdir} is not a directory (a symlink or file planted in the working copy?): network git refused`);
  }
  const file = path.join(gitdir, 'config');
  let text = '';
  const dropped: string[] = [];
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) dropped.push('(the whole file: not a regular file of at most 1 MiB)');
    else text = fs.readFileSync(fd, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ENOENT') dropped.push(`(the whole file: ${code ?? 'unreadable'})`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  const kept = new Map<string, string[]>(); // section header → lines
  let header: string | undefined;
  let pattern = '';
  let continuing = false;
  let keepingValue = false;
  for (const raw of text.split(/\r?\n/)) {
    if (continuing) {
      if (keepingValue && header) kept.get(header)?.push(raw);
      continuing = /(^|[^\\])(\\\\)*\\$/.test(raw);
      continue;
    }
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]\s*(.*)$/.exec(line);
    if (sec) {
      const name = (sec[1] as string).toLowerCase();
      const sub = sec[2];
      // `[a.b]` (old style) is section a, subsection b.
      const [s0, ...rest] = name.split('.');
      const subsection = sub ?? (rest.length ? rest.join('.') : undefined);
      pattern = subsection !== undefined ? `${s0}.*` : (s0 as string);
      header = subsection !== undefined ? `[${s0} "${subsection.replace(/[\\"]/g, (c) => `\\${c}`)}"]` : `[${s0}]`;
      if (sec[3] && !/^[#;]/.test(sec[3])) dropped.push(`${name}: ${sec[3].slice(0, 80)}`);
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*(?:=(.*))?$/.exec(line);
    const key = kv?.[1]?.toLowerCase();
    continuing = /(^|[^\\])(\\\\)*\\$/.test(raw);
    keepingValue = false;
    if (!kv || !key || !header) {
      dropped.push(line.slice(0, 80));
      continue;
    }
    if (!ALLOWED.has(`${pattern}.${key}`)) {
      dropped.push(`${header} ${key}`);
      continue;
    }
    keepingValue = true;
    if (!kept.has(header)) kept.set(header, []);
    kept.get(header)?.push(`\t${line}`);
  }
  if (dropped.length === 0) return [];
  let out = '';
  for (const [h, lines] of kept) out += `${h}\n${lines.join('\n')}\n`;
  if (!/\[core\]/.test(out)) out = `[core]\n\trepositoryformatversion = 0\n\tbare = false\n${out}`;
  const tmp = `${file}.pushpals-${process.pid}`;
  try {
    fs.rmSync(file, { force: true }); // a symlink is removed, never written through
    fs.writeFileSync(tmp, out, { mode: 0o644, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new PushPalsError('internal', `could not neutralize ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return dropped;
}
