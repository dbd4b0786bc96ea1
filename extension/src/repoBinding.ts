/**
 * Which registered repository a workspace folder is a checkout of. Read from the folder's git files
 * as data (no `git`, nothing of the repository runs): its git root (the folder may be a sub-folder),
 * its remote URLs, whether it holds a given commit. Matching, strongest first: the registered path
 * IS this checkout's root (the orchestrator runs here); else a registered remote URL equals one of
 * this checkout's and the repository's root commit is in this checkout (the orchestrator runs
 * elsewhere: same project, not a mere fork of the same name). No vscode import: unit-testable.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** What the orchestrator's repo_list says of a repository (the fields binding needs). */
export interface RegisteredRepo {
  repoId: string;
  name: string;
  source: string;
  kind: 'path' | 'url';
  rootCommits: string[];
  remotes: string[];
}

export interface Checkout {
  /** The work tree's root (the folder itself or a parent). */
  root: string;
  /** The git dir holding objects and config (a linked worktree's common dir). */
  gitdir: string;
  remotes: string[];
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** The git checkout `folder` belongs to, or undefined when it is in none. */
export function findCheckout(folder: string): Checkout | undefined {
  for (let dir = realpath(folder); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    const st = statSync(dotGit, { throwIfNoEntry: false });
    let gitdir: string | undefined;
    if (st?.isDirectory()) gitdir = dotGit;
    else if (st?.isFile()) {
      // A linked worktree or submodule: ".git" is a file "gitdir: <path>"; objects live in its common dir.
      const m = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, 'utf8'));
      if (m?.[1]) {
        const linked = resolve(dir, m[1].trim());
        const common = join(linked, 'commondir');
        gitdir = existsSync(common) ? resolve(linked, readFileSync(common, 'utf8').trim()) : linked;
      }
    }
    if (gitdir) return { root: dir, gitdir, remotes: remoteUrls(gitdir) };
    if (dirname(dir) === dir) return undefined;
  }
}

/** The `url` values of the `[remote "…"]` sections of a git config. */
export function remoteUrls(gitdir: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(gitdir, 'config'), 'utf8');
  } catch {
    return [];
  }
  const urls: string[] = [];
  let inRemote = false;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[([^\]]+)\]/.exec(line);
    if (section) inRemote = /^remote\s+"/i.test(section[1] ?? '');
    const kv = /^\s*url\s*=\s*(.+?)\s*$/i.exec(line);
    if (inRemote && kv?.[1]) urls.push(kv[1].replace(/^"(.*)"$/, '$1'));
  }
  return urls;
}

/**
 * A remote URL reduced to host/path, so the spellings of one repository compare equal:
 * `https://user:t@GitHub.com/o/r.git`, `git@github.com:o/r`, `ssh://git@github.com/o/r/` → `github.com/o/r`.
 */
export function normalizeRemote(url: string): string {
  let u = url.trim();
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(u);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `${scp[1]}/${scp[2]}`;
  else u = u.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]*@/, '');
  const slash = u.indexOf('/');
  const host = (slash < 0 ? u : u.slice(0, slash)).toLowerCase().replace(/:(22|80|443)$/, '');
  const rest = slash < 0 ? '' : u.slice(slash);
  return `${host}${rest}`.replace(/\/+$/, '').replace(/\.git$/, '');
}

/** True when `oid` is in the object store `gitdir` (loose, or in a version-2 pack index). */
export function hasObject(gitdir: string, oid: string): boolean {
  if (!/^[0-9a-f]{40}$/.test(oid)) return false;
  const objects = join(gitdir, 'objects');
  if (existsSync(join(objects, oid.slice(0, 2), oid.slice(2)))) return true;
  const packDir = join(objects, 'pack');
  let idxFiles: string[];
  try {
    idxFiles = readdirSync(packDir).filter((f) => f.endsWith('.idx'));
  } catch {
    return false;
  }
  const want = Buffer.from(oid, 'hex');
  return idxFiles.some((f) => idxHas(join(packDir, f), want));
}

/** Binary search in a pack index v2 (`\377tOc`, version 2, 256 fan-out entries, sorted names). */
function idxHas(file: string, want: Buffer): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(8 + 256 * 4);
    if (readSync(fd, head, 0, head.length, 0) !== head.length) return false;
    if (head.readUInt32BE(0) !== 0xff744f63 || head.readUInt32BE(4) !== 2) return false;
    const first = want[0] as number;
    let lo = first === 0 ? 0 : head.readUInt32BE(8 + (first - 1) * 4);
    let hi = head.readUInt32BE(8 + first * 4);
    const name = Buffer.alloc(20);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      readSync(fd, name, 0, 20, head.length + mid * 20);
      const c = name.compare(want);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The registered repositories `checkout` is a checkout of (several: the person chooses). */
export function matchRepos(checkout: Checkout, repos: RegisteredRepo[]): RegisteredRepo[] {
  const root = realpath(checkout.root);
  const byPath = repos.filter((r) => r.kind === 'path' && isAbsolute(r.source) && existsSync(r.source) && realpath(r.source) === root);
  if (byPath.length) return byPath;
  const mine = new Set(checkout.remotes.map(normalizeRemote));
  return repos.filter((r) => r.remotes.some((u) => mine.has(normalizeRemote(u))) && r.rootCommits.length > 0 && r.rootCommits.some((c) => hasObject(checkout.gitdir, c)));
}
