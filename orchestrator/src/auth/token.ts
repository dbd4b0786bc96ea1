/**
 * The bearer token: generated on first start (256 random bits, base64url so it also fits a
 * WebSocket subprotocol) and kept in `<dataDir>/token` with mode 0600. Comparisons are constant-time
 * over SHA-256 digests, so neither content nor length leaks through timing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';

export const TOKEN_FILE = 'token';

export const tokenPath = (dataDir: string): string => join(dataDir, TOKEN_FILE);

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Ensures the data dir exists with mode 0700 (it holds the token, the DB and the audit signing
 * key); a dir of ours that others can read or enter is tightened.
 */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  const st = statSync(dataDir);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(dataDir, 0o700);
}

/**
 * Returns the token from the data dir, creating it (0600, exclusive create so two starting
 * processes cannot overwrite each other's) when missing. Refuses a token file others can read.
 */
export function loadOrCreateToken(dataDir: string): string {
  ensureDataDir(dataDir);
  const file = tokenPath(dataDir);
  if (!existsSync(file)) {
    try {
      writeFileSync(file, generateToken() + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      // Tighten rather than refuse: the file is ours and this is the safe direction.
      chmodSync(file, 0o600);
    }
  }
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new PushPalsError('invalid_message', `token file ${file} is empty or too short; delete it to generate a new one`);
  return token;
}

/** Reads the token without creating it (CLI clients). */
export function readToken(dataDir: string): string | undefined {
  const file = tokenPath(dataDir);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A comparator bound to the expected token (its digest computed once). */
export function tokenMatcher(expected: string): (candidate: string | undefined) => boolean {
  const want = digest(expected);
  return (candidate) => candidate !== undefined && timingSafeEqual(digest(candidate), want);
}

/** A short, non-secret fingerprint of a token (recorded with approval decisions). */
export function tokenFingerprint(token: string): string {
  return 'sha256:' + digest(token).toString('hex').slice(0, 16);
}
