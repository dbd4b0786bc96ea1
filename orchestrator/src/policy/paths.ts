/**
 * Where a path points, statically. Writes are fine inside the workspace, /tmp and /dev/null & co.;
 * anywhere else is a deny, and a path that cannot be known before run time is an ask. Relative
 * paths resolve against the current directory, which `cd` moves (an unknown `cd` forgets it).
 *
 * Some places inside the writable area are configuration that later, allowed commands obey: the
 * working copy's git directory (`.git/config`, `.git/hooks/*` run programs on the next `git status`
 * or `git checkout`) and the dotfiles of the sandbox's home directory (`$HOME/.gitconfig`,
 * `$HOME/.config/git/config`). Writing those is denied like a write outside the workspace.
 */
import * as path from 'node:path';
import { optionValue } from './options';
import { ask, askNet, deny, worseOf, type Judgment } from './verdicts';
import type { Arg } from './words';
import { followWorkspaceLinks } from './host-links';

/** `gitdir`: in a `.git` directory of the workspace; `homeconfig`: a dotfile of $HOME; `net`: /dev/tcp|udp. */
export type PathClass = 'inside' | 'root' | 'gitdir' | 'tmp' | 'homeconfig' | 'dev' | 'net' | 'outside' | 'unknown';

/** The sandbox sets HOME=/tmp (the root file system is read-only). */
export const SANDBOX_HOME = '/tmp';

/** What a `.git` directory may have written without arming anything (ignore rules only). */
const GITDIR_HARMLESS = new Set(['info/exclude']);

/** Could the glob segment `seg` match `name`? (`*`, `?`, `[…]`; a leading dot is explicit unless dotglob.) */
export function globMayMatch(seg: string, name: string, dotglob: boolean): boolean {
  if (!dotglob && name.startsWith('.') && !seg.startsWith('.')) return false;
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        re += `[${seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`, 'i').test(name);
  } catch {
    return true;
  }
}

export class WorkspacePaths {
  /** Null once a `cd` went somewhere not statically known. */
  private cwd: string | null;
  /** `shopt -s dotglob` (or GLOBIGNORE) seen in the line: `*` also matches `.git`. */
  dotglob = false;
  /** CDPATH or `cdable_vars` touched in the line: `cd name` may go elsewhere than ./name. */
  cdSearch = false;
  /** `shopt -s lastpipe`: the last stage of a pipeline runs in the shell itself, its cd stays. */
  lastpipe = false;
  /**
   * An earlier command of the line may have put links into the working copy (git checkout, cp, mv,
   * tar, a script …): the host copy no longer shows what a later `cd` goes through.
   */
  linksMayChange = false;

  /**
   * @param host the working copy's directory on this host (what the sandbox mounts at `ws`): its
   *   symlinks are followed as the sandbox's kernel would (host-links.ts). Absent: paths are lexical.
   */
  constructor(
    readonly ws: string,
    readonly home: string = SANDBOX_HOME,
    readonly host?: string,
  ) {
    this.cwd = ws;
  }

  /**
   * Moves the current directory; null means "no longer known". bash's `cd` drops `a/..` before it
   * looks at the disk (`-P`: after following the links); the kernel then follows the links.
   */
  chdir(target: string | null, physical = false): void {
    if (target === null) this.cwd = null;
    else {
      const joined = target.startsWith('/') ? target : this.cwd === null ? null : `${this.cwd}/${target}`;
      const to = joined === null ? null : this.follow(physical ? joined : path.posix.normalize(joined), true);
      this.cwd = to;
      // Into the working copy after the line may have changed its links: it may be anywhere.
      if (to !== null && this.host && this.linksMayChange && to.startsWith(`${this.ws}/`)) this.chdirMaybe(null);
    }
  }

  /** Other directories the last `cd` may have gone to (`cd name` with CDPATH set); the walker collects them. */
  private maybe: { ok: (string | null)[]; fail: (string | null)[] } = { ok: [], fail: [] };

  /**
   * The last `cd` may also have gone to `dir` (null: somewhere not known) — when it succeeded, or
   * (`onFailure`) even when it reports failure (`cd -Pe`: moved, but the new directory's name is not known).
   */
  chdirMaybe(dir: string | null, onFailure = false): void {
    (onFailure ? this.maybe.fail : this.maybe.ok).push(dir);
  }

  /** The directories `chdirMaybe` recorded since the last call. */
  takeMaybeDirs(): { ok: (string | null)[]; fail: (string | null)[] } {
    const m = this.maybe;
    this.maybe = { ok: [], fail: [] };
    return m;
  }

  /** Where relative paths point now (null: not known); `restore` goes back to it. */
  snapshot(): string | null {
    return this.cwd;
  }

  restore(cwd: string | null): void {
    this.cwd = cwd;
  }

  /** The current directory as a path class (git and make care where they run). */
  cwdClass(): PathClass {
    return this.cwd === null ? 'unknown' : this.classifyAbs(this.cwd);
  }

  /** Where `p` points (null: not known). `followLast: false` for what acts on a link itself (`rm link`). */
  resolve(p: string, followLast = true): string | null {
    if (p.startsWith('/')) return this.follow(p, followLast);
    if (this.cwd === null) return null;
    return this.follow(`${this.cwd}/${p}`, followLast);
  }

  /** The path the kernel reaches: lexical, or through the working copy's symlinks when the host copy is known. */
  private follow(raw: string, followLast: boolean): string | null {
    if (!this.host) return path.posix.normalize(raw);
    return followWorkspaceLinks(raw, this.ws, this.host, followLast);
  }

  classify(a: Arg, followLast = true): PathClass {
    if (!a.static) return 'unknown';
    if (a.tilde) return 'outside';
    if (a.text === '') return 'unknown';
    if (a.glob) {
      const segs = a.text.split('/');
      // A glob segment such as `.*` may match `..` on shells without globskipdots.
      if (segs.some((seg) => /^\.[*?[]/.test(seg))) return 'unknown';
      // …and one that may match `.git` (or a home dotfile) reaches protected configuration.
      if (segs.some((seg) => /[*?[]/.test(seg) && (globMayMatch(seg, '.git', this.dotglob) || globMayMatch(seg, '.gitconfig', this.dotglob) || globMayMatch(seg, '.config', this.dotglob)))) return 'unknown';
    }
    const abs = this.resolve(a.text, followLast);
    if (abs === null) return 'unknown';
    return this.classifyAbs(abs);
  }

  private classifyAbs(abs: string): PathClass {
    if (/^\/dev\/(tcp|udp)(\/|$)/.test(abs)) return 'net';
    if (abs === this.ws || abs.startsWith(`${this.ws}/`)) {
      const rel = abs.slice(this.ws.length + 1);
      const segs = rel.split('/');
      const g = segs.findIndex((s) => s.toLowerCase() === '.git');
      if (g >= 0 && !GITDIR_HARMLESS.has(segs.slice(g + 1).join('/'))) return 'gitdir';
      if (segs.some((s) => s.toLowerCase() === '.gitconfig')) return 'homeconfig';
      // A HEAD file is what makes git take a directory for a (bare) repository, config and all.
      if ((segs[segs.length - 1] ?? '').toUpperCase() === 'HEAD') return 'gitdir';
      return abs === this.ws ? 'root' : 'inside';
    }
    if (abs === this.home || abs.startsWith(`${this.home}/`)) {
      const first = abs.slice(this.home.length + 1).split('/')[0] ?? '';
      if (first.startsWith('.')) return 'homeconfig';
    }
    if (abs === '/tmp' || abs.startsWith('/tmp/')) return 'tmp';
    if (/^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(abs)) return 'dev';
    return 'outside';
  }

  /**
   * The workspace itself or something in it: what scripts and executables may be run from.
   * `followLast: false` for a program to run: a link that lies in the workspace (a venv's
   * `.venv/bin/python -> /usr/bin/python3`) runs with the workspace's trust like any of its
   * executables; a linked directory on the way (`dir -> /etc`) still leads outside.
   */
  inWorkspace(a: Arg, followLast = true): boolean {
    const cls = this.classify(a, followLast);
    return cls === 'inside' || cls === 'root' || cls === 'gitdir';
  }

  /**
   * Undefined when writing `a` is fine; otherwise a deny (outside, or configuration that makes a
   * later allowed command run programs) or an ask (unknown). `removal`: deleting is harmless for
   * configuration (`rm .git/index.lock`), so only outside/unknown count.
   */
  writeTarget(a: Arg, what: string, removal = false): Judgment | undefined {
    // Removing a link removes the link, not what it points to.
    const cls = this.classify(a, !removal);
    if (cls === 'outside' || cls === 'net') return deny(`${what}: writes outside the workspace (${this.resolve(a.text) ?? a.text})`, true);
    if (cls === 'unknown') return ask(`${what}: the target path is not statically known, so it may be outside the workspace or in its .git`);
    if (removal) return undefined;
    if (cls === 'gitdir') return deny(`${what}: writes git metadata (${this.resolve(a.text) ?? a.text}): the config, hooks and HEAD of a git directory make later git commands run programs`, true);
    if (cls === 'homeconfig') return deny(`${what}: writes a configuration file of the sandbox's home directory (${this.resolve(a.text) ?? a.text}), which git and other tools obey`, true);
    return undefined;
  }

  /** A redirection's target: /dev/tcp and /dev/udp are bash's network sockets. */
  redirectTarget(a: Arg, write: boolean): Judgment | undefined {
    if (this.classify(a) === 'net') return { ...askNet(`redirection to ${a.text}: bash opens a network connection`), tag: 'fetch' };
    if (!write) return a.static ? undefined : ask(`input redirection from ${a.raw}: not statically known (it may be a /dev/tcp socket)`);
    return this.writeTarget(a, `redirection to ${a.raw}`);
  }

  /** Checks every output option (`-o file`, `--output=file`, …) of a command as a write target. */
  optionTargets(name: string, args: Arg[], short: string[], long: string[]): Judgment | undefined {
    let j: Judgment | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Arg;
      const opt = optionValue(args, i, short, long);
      if (!opt) continue;
      if (opt.takesNext) i++;
      if (opt.value) j = worseOf(j, this.writeTarget(opt.value, `${name} ${a.text.split('=')[0]}`));
    }
    return j;
  }
}
