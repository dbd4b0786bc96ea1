/**
 * API keys: read from the env variable named by `keyEnv`, else from `keyFile` in the data dir. The
 * file must be a regular file readable by its owner only (like an SSH key): a key others can read is
 * refused with the chmod that fixes it. Keys stay in the orchestrator process; callers register them
 * as secrets so they are redacted from events and the audit trail.
 */
import { constants, closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { PushPalsError } from '../errors';
import type { ResolvedEndpoint } from './config';

export interface ModelKey {
  /** Undefined: no key anywhere (fine for a local server that wants none). */
  value: string | undefined;
  /** Where it came from, for messages: `env PUSHPALS_MODEL_KEY`, `file /x/model-key`, or `none`. */
  source: string;
}

export function readModelKey(ep: Pick<ResolvedEndpoint, 'keyEnv' | 'keyPath' | 'role'>, env: NodeJS.ProcessEnv = process.env): ModelKey {
  const fromEnv = env[ep.keyEnv]?.trim();
  if (fromEnv) return { value: fromEnv, source: `env ${ep.keyEnv}` };
  let fd: number;
  try {
    fd = openSync(ep.keyPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { value: undefined, source: 'none' };
    throw new PushPalsError('invalid_message', `the ${ep.role} model key file ${ep.keyPath} cannot be read (${code ?? String(e)}): it must be a regular file, not a symlink`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PushPalsError('invalid_message', `the ${ep.role} model key file ${ep.keyPath} is not a regular file`);
    if (process.platform !== 'win32' && st.mode & 0o077) {
      throw new PushPalsError('invalid_message', `the ${ep.role} model key file ${ep.keyPath} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run "chmod 600 ${ep.keyPath}"`);
    }
    const value = readFileSync(fd, 'utf8').trim();
    if (!value) throw new PushPalsError('invalid_message', `the ${ep.role} model key file ${ep.keyPath} is empty`);
    return { value, source: `file ${ep.keyPath}` };
  } finally {
    closeSync(fd);
  }
}
