/**
 * Where a path points, statically. Writes are fine inside the workspace, /tmp and /dev/null & co.;
 * anywhere else is a deny, and a path that cannot be known before run time is an ask. Relative
 * paths resolve against the current directory, which `cd` moves (an unknown `cd` forgets it).
 */
import * as path from 'node:path';
import { optionValue } from './options';
import { ask, deny, worseOf, type Judgment } from './verdicts';
import type { Arg } from './words';

export type PathClass = 'inside' | 'root' | 'tmp' | 'dev' | 'outside' | 'unknown';

export class WorkspacePaths {
  /** Null once a `cd` went somewhere not statically known. */
  private cwd: string | null;

  constructor(readonly ws: string) {
    this.cwd = ws;
  }

  /** Moves the current directory; null means "no longer known". */
  chdir(target: string | null): void {
    this.cwd = target === null ? null : this.resolve(target);
  }

  resolve(p: string): string | null {
    if (p.startsWith('/')) return path.posix.normalize(p);
    if (this.cwd === null) return null;
    return path.posix.resolve(this.cwd, p);
  }

  classify(a: Arg): PathClass {
    if (!a.static) return 'unknown';
    if (a.tilde) return 'outside';
    if (a.text === '') return 'unknown';
    // A glob segment such as `.*` may match `..` on shells without globskipdots.
    if (a.glob && a.text.split('/').some((seg) => /^\.[*?[]/.test(seg))) return 'unknown';
    const abs = this.resolve(a.text);
    if (abs === null) return 'unknown';
    if (abs === this.ws) return 'root';
    if (abs.startsWith(`${this.ws}/`)) return 'inside';
    if (abs === '/tmp' || abs.startsWith('/tmp/')) return 'tmp';
    if (/^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(abs)) return 'dev';
    return 'outside';
  }

  /** The workspace itself or something in it: what scripts and executables may be run from. */
  inWorkspace(a: Arg): boolean {
    const cls = this.classify(a);
    return cls === 'inside' || cls === 'root';
  }

  /** Undefined when writing `a` is fine; otherwise a deny (outside) or ask (unknown). */
  writeTarget(a: Arg, what: string): Judgment | undefined {
    const cls = this.classify(a);
    if (cls === 'outside') return deny(`${what}: writes outside the workspace (${this.resolve(a.text) ?? a.text})`, true);
    if (cls === 'unknown') return ask(`${what}: the target path is not statically known, so it may be outside the workspace`);
    return undefined;
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
