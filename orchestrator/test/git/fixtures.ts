/**
 * Fixtures of the git tests: host git to BUILD repositories (hooks disabled while building), and a
 * repository armed against whoever touches it with host git.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { PushPalsError } from '../../src/errors';

/** Host git, only to BUILD fixtures (hooks are disabled while building). */
export const hostGit = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false', '-c', 'user.name=t', '-c', 'user.email=t@e', ...args], { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } });

export const isPushPalsError = (code: string) => (e: unknown) => e instanceof PushPalsError && e.code === code;

/**
 * A repository that tries to run code on whoever touches it with host git: hooks, hooksPath,
 * fsmonitor, filter drivers (+ .gitattributes), sshCommand, diff.external, textconv, pager, editor,
 * credential helper, and an include.path pulling in more of the same. Every one writes a marker.
 */
export function makeHostile(root: string, markers: string): string {
  const src = path.join(root, 'hostile');
  fs.mkdirSync(src);
  hostGit(src, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(src, 'README.md'), '# hostile\n');
  fs.writeFileSync(path.join(src, 'data.txt'), 'clean content\n');
  fs.writeFileSync(path.join(src, '.gitattributes'), '* filter=evil diff=evil merge=evil\n');
  hostGit(src, 'add', '.');
  hostGit(src, 'commit', '-q', '-m', 'init');
  hostGit(src, 'branch', 'feature');
  hostGit(src, 'tag', 'v1');
  const mark = (name: string): string => `touch ${path.join(markers, name)}`;
  const hookScript = (name: string): string => `#!/bin/sh\n${mark(name)}\nexit 0\n`;
  const hooks = ['post-checkout', 'post-merge', 'pre-commit', 'post-commit', 'pre-push', 'reference-transaction', 'post-rewrite', 'post-index-change', 'fsmonitor-watchman', 'pre-auto-gc'];
  const hooksDir = path.join(src, '.git', 'hooks');
  const altHooks = path.join(root, 'alt-hooks');
  fs.mkdirSync(altHooks);
  for (const h of hooks) {
    fs.writeFileSync(path.join(hooksDir, h), hookScript(`hook-${h}`), { mode: 0o755 });
    fs.writeFileSync(path.join(altHooks, h), hookScript(`hookspath-${h}`), { mode: 0o755 });
  }
  const sh = (name: string): string => `sh -c '${mark(name)}; cat'`;
  const config: Array<[string, string]> = [
    ['core.fsmonitor', `${mark('fsmonitor')}; false`],
    ['core.hooksPath', altHooks],
    ['core.sshCommand', `${mark('sshcommand')}; false`],
    ['core.pager', sh('pager')],
    ['core.editor', mark('editor')],
    ['core.askPass', mark('askpass')],
    ['diff.external', mark('diff-external')],
    ['diff.evil.textconv', sh('textconv')],
    ['diff.evil.command', mark('diff-command')],
    ['filter.evil.clean', sh('filter-clean')],
    ['filter.evil.smudge', sh('filter-smudge')],
    ['filter.evil.process', mark('filter-process')],
    ['filter.evil.required', 'true'],
    ['merge.evil.driver', mark('merge-driver')],
    ['credential.helper', `!${mark('credential')}`],
    ['gpg.program', mark('gpg')],
    ['alias.st', `!${mark('alias')}`],
  ];
  for (const [k, v] of config) hostGit(src, 'config', k, v);
  const extra = path.join(root, 'extra.gitconfig');
  fs.writeFileSync(extra, `[core]\n\tfsmonitor = "${mark('include-fsmonitor')}; false"\n`);
  hostGit(src, 'config', 'include.path', extra);
  // A symlink inside .git/objects pointing at a host file must not be followed.
  fs.symlinkSync('/etc/hostname', path.join(src, '.git', 'objects', 'evil-link'));
  return src;
}

/**
 * Every file under `dir` with its bytes' hash, mode and mtime: equal before and after means nothing
 * in it was written (not even an index stat refresh).
 */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const ent of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      const p = path.join(dir, r);
      const st = fs.lstatSync(p);
      if (ent.isDirectory()) {
        out.set(`${r}/`, `${st.mode}`);
        walk(r);
      } else {
        const body = ent.isFile() ? crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex') : ent.isSymbolicLink() ? fs.readlinkSync(p) : 'special';
        out.set(r, `${st.mode} ${st.mtimeMs} ${body}`);
      }
    }
  };
  walk('');
  return out;
}

/**
 * The person's own git on the hostile fixture, for edits after `add`: its filters neutralised by
 * `.git/info/attributes` (which outranks .gitattributes), hooks off. The code under test never
 * reads that file; it only lets the test make commits.
 */
export function personGit(src: string, ...args: string[]): string {
  const attrs = path.join(src, '.git', 'info', 'attributes');
  fs.mkdirSync(path.dirname(attrs), { recursive: true });
  fs.writeFileSync(attrs, '* !filter !diff !merge\n');
  return hostGit(src, '-c', 'core.hooksPath=/dev/null', ...args);
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request: method, path and query, and the Authorization header it carried. */
  requests: Array<{ method: string; url: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

/**
 * A real smart-HTTP git server on loopback: `git http-backend` (CGI) per request, serving the
 * repositories under `projectRoot`. The test's own server; nothing of the code under test runs git.
 */
export function gitHttpServer(projectRoot: string): Promise<GitHttpServer> {
  const requests: GitHttpServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const u = new URL(req.url ?? '/', 'http://localhost');
    const child = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(u.pathname),
        QUERY_STRING: u.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    child.stdout.on('data', (d: Buffer) => {
      if (started) return void res.write(d);
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split('\r\n')) {
        const i = line.indexOf(':');
        const [k, v] = [line.slice(0, i).trim(), line.slice(i + 1).trim()];
        if (k.toLowerCase() === 'status') status = parseInt(v, 10);
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      started = true;
      res.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => res.end());
    child.on('error', () => res.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
