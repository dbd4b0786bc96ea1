/**
 * The coding agent's file access to a task's working copy, on the host. The working copy is
 * written by the sandbox (hostile data), so every path is checked component by component: it must
 * stay inside the root, and no component may be a symlink (a link to /etc inside the repo must not
 * let a read or write leave it). Files are opened with O_NOFOLLOW and, after opening, the kernel's
 * own idea of the path (/proc/self/fd) is checked again, so a symlink swapped in between the check
 * and the open is caught too. Sizes are bounded.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PushPalsError } from '../../errors';

const MAX_FILE_BYTES = 2 * 1024 * 1024;

const bad = (msg: string) => new PushPalsError('invalid_message', msg);

export class WorkspaceFs {
  private readonly realRoot: string;

  /** `chown`: applied to what is created (the sandbox's uid must be able to write it). */
  constructor(
    readonly root: string,
    private readonly chown: (p: string) => void = () => undefined,
  ) {
    this.realRoot = fs.realpathSync(root);
  }

  /** A relative path as it will be shown: normalised, `/`-separated, never escaping. */
  normalise(rel: string): string {
    if (typeof rel !== 'string' || rel.includes('\0')) throw bad('the path must be a string');
    const cleaned = path.posix.normalize(rel.replace(/\\/g, '/').replace(/^\/+/, '').replace(/^workspace\//, '')) || '.';
    if (cleaned === '..' || cleaned.startsWith('../')) throw bad(`"${rel}" is outside the working copy`);
    const parts = cleaned.split('/');
    if (parts[0] === '.git' || parts.includes('.git')) throw bad(`"${rel}": the .git directory is not for the file tools`);
    return cleaned === '' ? '.' : cleaned;
  }

  /**
   * The absolute path of `rel`, after checking every existing component is a real directory (or,
   * for the last one, a regular file) and not a symlink. `mustExist`: the last component too.
   */
  resolve(rel: string, mustExist: boolean): { abs: string; rel: string; exists: boolean } {
    const norm = this.normalise(rel);
    let cur = this.realRoot;
    const parts = norm === '.' ? [] : norm.split('/');
    for (let i = 0; i < parts.length; i++) {
      cur = path.join(cur, parts[i] as string);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(cur);
      } catch {
        if (mustExist) throw bad(`${norm} does not exist`);
        return { abs: path.join(this.realRoot, norm), rel: norm, exists: false };
      }
      if (st.isSymbolicLink()) throw bad(`${parts.slice(0, i + 1).join('/')} is a symlink: the file tools do not follow links (use run_command to work with it)`);
      if (i < parts.length - 1 && !st.isDirectory()) throw bad(`${parts.slice(0, i + 1).join('/')} is not a directory`);
    }
    return { abs: cur, rel: norm, exists: true };
  }

  /** After open: the file really is inside the root (catches a symlink swapped in after the check). */
  private verifyFd(fd: number, rel: string): void {
    let real: string;
    try {
      real = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return; // no /proc (not Linux): the component walk above is the guard
    }
    if (real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) throw bad(`${rel} resolves outside the working copy`);
  }

  readText(rel: string): { rel: string; text: string } {
    const r = this.resolve(rel, true);
    let fd: number;
    try {
      fd = fs.openSync(r.abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch (e) {
      throw bad(`${r.rel} cannot be opened (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      this.verifyFd(fd, r.rel);
      const st = fs.fstatSync(fd);
      if (st.isDirectory()) throw bad(`${r.rel} is a directory: use list_files`);
      if (!st.isFile()) throw bad(`${r.rel} is not a regular file`);
      if (st.size > MAX_FILE_BYTES) throw bad(`${r.rel} is ${st.size} bytes: too big for read_file (limit ${MAX_FILE_BYTES}); use search or run_command`);
      const buf = fs.readFileSync(fd);
      if (buf.includes(0)) throw bad(`${r.rel} is a binary file`);
      return { rel: r.rel, text: buf.toString('utf8') };
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The content, or undefined when the file does not exist. */
  readIfExists(rel: string): string | undefined {
    return this.resolve(rel, false).exists ? this.readText(rel).text : undefined;
  }

  /** Creates or replaces a file (parents created); returns the normalised path. */
  writeText(rel: string, text: string): string {
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw bad(`the new content of ${rel} is over ${MAX_FILE_BYTES} bytes`);
    const r = this.resolve(rel, false);
    if (r.rel === '.') throw bad('write_file needs a file path');
    this.mkdirs(path.posix.dirname(r.rel));
    const flags = fs.constants.O_WRONLY | fs.constants.O_NOFOLLOW | (r.exists ? 0 : fs.constants.O_CREAT | fs.constants.O_EXCL);
    let fd: number;
    try {
      fd = fs.openSync(r.abs, flags, 0o644);
    } catch (e) {
      throw bad(`${r.rel} cannot be written (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      this.verifyFd(fd, r.rel);
      if (!fs.fstatSync(fd).isFile()) throw bad(`${r.rel} is not a regular file`);
      fs.ftruncateSync(fd, 0);
      fs.writeSync(fd, text, 0, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    if (!r.exists) this.chown(r.abs);
    return r.rel;
  }

  delete(rel: string): string {
    const r = this.resolve(rel, true);
    if (!fs.lstatSync(r.abs).isFile()) throw bad(`${r.rel} is not a regular file`);
    fs.unlinkSync(r.abs);
    return r.rel;
  }

  private mkdirs(relDir: string): void {
    if (relDir === '.' || relDir === '') return;
    let cur = '';
    for (const part of relDir.split('/')) {
      cur = cur ? `${cur}/${part}` : part;
      const r = this.resolve(cur, false); // throws on a symlink or a file in the way
      if (!r.exists) {
        fs.mkdirSync(r.abs, { mode: 0o755 });
        this.chown(r.abs);
      }
    }
  }

  /** Entries under `rel` to `depth` levels, directories with a trailing `/`; .git and node_modules not entered. */
  list(rel: string, depth: number, limit: number): { entries: string[]; truncated: boolean } {
    const r = this.resolve(rel, true);
    if (!fs.lstatSync(r.abs).isDirectory()) throw bad(`${r.rel} is not a directory`);
    const entries: string[] = [];
    const walk = (abs: string, prefix: string, level: number): boolean => {
      const items = fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
      for (const it of items) {
        if (it.name === '.git') continue;
        if (entries.length >= limit) return false;
        const shown = prefix ? `${prefix}/${it.name}` : it.name;
        if (it.isSymbolicLink()) entries.push(`${shown}@`);
        else if (it.isDirectory()) {
          entries.push(`${shown}/`);
          if (level < depth && it.name !== 'node_modules' && !walk(path.join(abs, it.name), shown, level + 1)) return false;
        } else entries.push(shown);
      }
      return true;
    };
    const complete = walk(r.abs, r.rel === '.' ? '' : r.rel, 1);
    return { entries, truncated: !complete };
  }

  /**
   * Lines matching `pattern` under `rel`: the host's grep (a DFA: no pathological regex can stall
   * the orchestrator), recursive without following symlinks, text files only, .git and
   * node_modules skipped, bounded in time and output.
   */
  async search(rel: string, pattern: string, opts: { regex: boolean; limit: number; signal?: AbortSignal }): Promise<{ matches: string[]; truncated: boolean }> {
    const r = this.resolve(rel, true);
    const args = ['-rnI', '--color=never', '--exclude-dir=.git', '--exclude-dir=node_modules', opts.regex ? '-E' : '-F', '-e', pattern, '--', r.rel];
    const out = await new Promise<string>((resolve, reject) => {
      execFile('grep', args, { cwd: this.realRoot, timeout: 10_000, maxBuffer: 4 * 1024 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8' }, ...(opts.signal ? { signal: opts.signal } : {}) }, (err, stdout, stderr) => {
        // grep: 0 = matches, 1 = none, 2 = trouble (a bad regex, unreadable file); a cut-off run still has its lines
        const code = (err as { code?: unknown } | null)?.code;
        if (err && code !== 1 && !(code === 2 && stdout)) {
          if ((err as { killed?: boolean }).killed) return reject(bad(`search for ${JSON.stringify(pattern)} took over 10 s: narrow the path`));
          return reject(bad(`search failed: ${String(stderr).trim().slice(0, 500) || err.message}`));
        }
        resolve(String(stdout));
      });
    });
    const lines = out.split('\n').filter(Boolean);
    return { matches: lines.slice(0, opts.limit).map((l) => l.replace(/^\.\//, '').slice(0, 300)), truncated: lines.length > opts.limit };
  }
}
