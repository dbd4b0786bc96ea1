/**
 * The real local model for tests: llama.cpp's OpenAI-compatible server (xllamacpp) with
 * Qwen2.5-Coder-1.5B-Instruct, started and stopped through scripts/setup-local-model.sh on a free
 * loopback port of its own (so a server someone else runs — e.g. behind a tool-call proxy — is never
 * what a test talks to). A missing model is an error that says how to install it, never a skip.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './e2e-env';

export const SETUP_SCRIPT = join(REPO_ROOT, 'scripts', 'setup-local-model.sh');
/** What /v1/models reports (the name the orchestrator sends is ignored by llama-server). */
export const LOCAL_MODEL_NAME = 'qwen2.5-coder-1.5b-instruct';

export interface LocalModel {
  /** The OpenAI-compatible base URL, e.g. http://127.0.0.1:40123/v1. */
  url: string;
  port: number;
  /** Seconds the server took to start (model load). */
  startSeconds: number;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function script(cmd: 'start' | 'stop', port: number): { status: number | null; out: string } {
  const r = spawnSync('bash', [SETUP_SCRIPT, cmd], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    env: { ...process.env, PUSHPALS_LOCAL_MODEL_PORT: String(port) },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

/**
 * Starts the local model (installing it first if needed: the script is idempotent and skips a
 * verified model file). Blocking on purpose: it runs in a `before` hook, before the orchestrator.
 */
export async function startLocalModel(): Promise<LocalModel> {
  const port = await freePort();
  const t0 = Date.now();
  const r = script('start', port);
  if (r.status !== 0) {
    throw new Error(`the local model could not be started (bash scripts/setup-local-model.sh start, exit ${r.status}). Install it with: bash scripts/setup-local-model.sh install\n${r.out.slice(-3000)}`);
  }
  return { url: `http://127.0.0.1:${port}/v1`, port, startSeconds: (Date.now() - t0) / 1000, stop: () => void script('stop', port) };
}
