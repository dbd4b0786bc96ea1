// Starts the REAL PushPals orchestrator (`node orchestrator/dist/src/cli.js serve`) as a child in its own
// process group, with a temp data dir (PUSHPALS_HOME) and a fixed free loopback port, so it can be
// stopped and started again on the same URL (restart-while-connected tests). Used by the UI test (Node)
// and, through a dynamic import, by the mocha suites inside the extension host.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'orchestrator', 'dist', 'src', 'cli.js');

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A git repository with a README that the heuristic lane can "fix", committed. */
export function makeGitWorkspace(dir = mkdtempSync(join(tmpdir(), 'pushpals-ws-'))) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'README.md'), '# Sample projet\n\nThis is teh sample project used by the PushPals VS Code tests.\n');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sample', version: '1.0.0', scripts: { test: 'node -e "console.log(\'ok\')"' } }, null, 2));
  const git = (...a) => {
    const r = spawnSync('git', a, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.invalid' } });
    if (r.status !== 0) throw new Error(`git ${a.join(' ')}: ${r.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  writeFileSync(join(dir, 'notes.txt'), 'an untracked file, for git status\n');
  return dir;
}

/**
 * spawnOrchestrator({ home?, port?, env?, config? }) → { url, token, home, port, pid, start(), stop(signal), restart(), log(), cleanup() }.
 * Runs the built CLI's `pushpals serve` as a child process (unlike the in-process orchestrator of the
 * integration suites, test/helpers/e2e-env.ts) and waits until it answers /healthz.
 * `config` is written to `<home>/config.json` (the orchestrator's config file, e.g.
 * `{ approvals: { timeoutMs: 3000, sweepMs: 500 } }`); `env` overrides it.
 */
export async function spawnOrchestrator({ home, port, env = {}, config, timeoutMs = 30000 } = {}) {
  if (!existsSync(CLI)) throw new Error(`orchestrator not built: ${CLI} is missing (run npx tsc -b)`);
  const ownHome = !home;
  home = home ?? mkdtempSync(join(tmpdir(), 'pushpals-home-'));
  if (config) writeFileSync(join(home, 'config.json'), JSON.stringify(config, null, 1));
  port = port ?? await freePort();
  let child = null;
  let output = '';
  let exited = null;
  const o = {
    home, port, url: `http://127.0.0.1:${port}`, token: '', pid: 0,
    log: () => output,
    async start() {
      exited = null;
      child = spawn(process.execPath, [CLI, 'serve'], {
        cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PUSHPALS_HOME: home, PUSHPALS_PORT: String(port), PUSHPALS_HOST: '127.0.0.1', ...env },
      });
      child.stdout.on('data', (d) => { output += d; });
      child.stderr.on('data', (d) => { output += d; });
      child.on('exit', (code, sig) => { exited = `exit ${code ?? sig}`; });
      o.pid = child.pid;
      const t0 = Date.now();
      for (;;) {
        if (exited) throw new Error(`orchestrator exited during start-up (${exited}); does \`pushpals serve\` exist yet?\n${output.slice(-3000)}`);
        if (Date.now() - t0 > timeoutMs) { await o.stop('SIGKILL'); throw new Error(`orchestrator did not become healthy in ${timeoutMs} ms:\n${output.slice(-3000)}`); }
        try {
          const info = JSON.parse(readFileSync(join(home, 'server.json'), 'utf8'));
          if (info.pid === child.pid || !info.pid) {
            const r = await fetch(`${info.url.replace(/\/$/, '')}/healthz`);
            if (r.ok) {
              o.url = info.url.replace(/\/$/, '');
              o.token = readFileSync(join(home, 'token'), 'utf8').trim();
              return o;
            }
          }
        } catch { /* not yet */ }
        await sleep(100);
      }
    },
    /** Stops the server (process group). SIGTERM = graceful; SIGKILL = crash. */
    async stop(signal = 'SIGTERM') {
      if (!child || exited) return;
      try { process.kill(-child.pid, signal); } catch {}
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 8000) await sleep(50);
      if (!exited) { try { process.kill(-child.pid, 'SIGKILL'); } catch {} await sleep(200); }
    },
    async restart(signal = 'SIGTERM') { await o.stop(signal); return o.start(); },
    async cleanup() { await o.stop('SIGTERM'); if (ownHome && !process.env.E2E_KEEP) rmSync(home, { recursive: true, force: true }); },
  };
  process.on('exit', () => { if (child && !exited) { try { process.kill(-child.pid, 'SIGKILL'); } catch {} } });
  return o.start();
}
