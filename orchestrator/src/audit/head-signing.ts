/**
 * Signed audit heads. The hash chain in the DB proves nothing against whoever can rewrite the DB
 * (they recompute the chain and the anchor); a head SIGNED with a key kept outside the DB and
 * copied elsewhere does: every row up to it is pinned, and a forged or edited head fails its
 * signature. Ed25519 (node:crypto): anyone with only the public key can check a head.
 *
 * Files in the data dir: `audit-signing-key` (the private key, PKCS#8 PEM, 0600, created on first
 * start), `audit-signing-key.pub` (the public key, SPKI PEM: copy it elsewhere together with heads).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushPalsError } from '../errors';
import { canonicalJson, type AuditHead } from './audit-log';

export const SIGNING_KEY_FILE = 'audit-signing-key';
export const PUBLIC_KEY_FILE = 'audit-signing-key.pub';
export const HEAD_FORMAT = 'pushpals-audit-head/1';

/** A head as published: `sig` signs the canonical JSON of every other field but `publicKey`. */
export interface SignedHead {
  format: typeof HEAD_FORMAT;
  seq: number;
  hash: string;
  signedAt: string;
  /** `ed25519:` + the first 16 hex digits of sha256(raw public key). */
  keyId: string;
  /** The raw 32-byte public key, base64url (a convenience: trust comes from a key kept elsewhere). */
  publicKey: string;
  /** Ed25519 signature, base64url. */
  sig: string;
}

export interface HeadSigner {
  keyId: string;
  publicKey: KeyObject;
  sign(head: AuditHead, at?: Date): SignedHead;
  /** Ed25519 over any bytes (a receipt's canonical JSON), base64url: the same key signs heads and receipts. */
  signBytes(bytes: Buffer): string;
}

const bad = (msg: string): PushPalsError => new PushPalsError('invalid_message', msg);

/** The raw public key (base64url) of an Ed25519 key. */
export const rawPublicKey = (key: KeyObject): string => String(key.export({ format: 'jwk' }).x);

export const keyIdOf = (rawB64url: string): string => `ed25519:${createHash('sha256').update(Buffer.from(rawB64url, 'base64url')).digest('hex').slice(0, 16)}`;

const signedBytes = (h: Omit<SignedHead, 'sig' | 'publicKey'>): Buffer =>
  Buffer.from(canonicalJson({ format: h.format, hash: h.hash, keyId: h.keyId, seq: h.seq, signedAt: h.signedAt }), 'utf8');

/** Loads the data dir's signing key, creating it (0600, exclusive create) on first use. */
export function loadOrCreateSigner(dataDir: string): HeadSigner {
  const file = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another process made it first: use theirs
    }
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file));
  } catch (e) {
    throw bad(`${file} is not a readable private key (${e instanceof Error ? e.message : String(e)}); restore it from a backup — a new key cannot sign for the old heads`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw bad(`${file} is a ${String(privateKey.asymmetricKeyType)} key, not Ed25519`);
  const publicKey = createPublicKey(privateKey);
  const pubFile = join(dataDir, PUBLIC_KEY_FILE);
  const pem = publicKey.export({ format: 'pem', type: 'spki' });
  if (!existsSync(pubFile) || readFileSync(pubFile, 'utf8') !== pem) writeFileSync(pubFile, pem, { mode: 0o644 });
  const raw = rawPublicKey(publicKey);
  const keyId = keyIdOf(raw);
  return {
    keyId,
    publicKey,
    sign(head, at = new Date()) {
      const body = { format: HEAD_FORMAT, seq: head.seq, hash: head.hash, signedAt: at.toISOString(), keyId } as const;
      return { ...body, publicKey: raw, sig: sign(null, signedBytes(body), privateKey).toString('base64url') };
    },
    signBytes: (bytes) => sign(null, bytes, privateKey).toString('base64url'),
  };
}

/**
 * The public key to trust: `spec` (a PEM file, a PEM text, or a raw base64url key) when given,
 * else the data dir's public key file, else the one derived from its private key; undefined when
 * there is none.
 */
export function loadTrustedPublicKey(dataDir: string, spec?: string): KeyObject | undefined {
  const fromText = (text: string, what: string): KeyObject => {
    const t = text.trim();
    try {
      if (t.includes('-----BEGIN')) return createPublicKey(t);
      if (/^[A-Za-z0-9_-]{43}$/.test(t)) return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: t }, format: 'jwk' });
    } catch (e) {
      throw bad(`${what} is not a usable public key: ${e instanceof Error ? e.message : String(e)}`);
    }
    throw bad(`${what} is neither a PEM public key nor a raw base64url Ed25519 key`);
  };
  if (spec !== undefined) return existsSync(spec) ? fromText(readFileSync(spec, 'utf8'), spec) : fromText(spec, '--public-key');
  const pubFile = join(dataDir, PUBLIC_KEY_FILE);
  if (existsSync(pubFile)) return fromText(readFileSync(pubFile, 'utf8'), pubFile);
  const keyFile = join(dataDir, SIGNING_KEY_FILE);
  if (existsSync(keyFile)) return createPublicKey(createPrivateKey(readFileSync(keyFile)));
  return undefined;
}

/** True when `sig` (base64url) is `key`'s Ed25519 signature of `bytes`; false for anything malformed. */
export function verifyBytes(bytes: Buffer, sig: string, key: KeyObject): boolean {
  const raw = Buffer.from(sig, 'base64url');
  // One spelling per signature: base64url decoding ignores the last character's spare bits, so two texts could decode alike.
  if (raw.toString('base64url') !== sig) return false;
  try {
    return verify(null, bytes, key, raw);
  } catch {
    return false;
  }
}

const HASH = /^[0-9a-f]{64}$/;

function checkShape(v: unknown): SignedHead {
  const h = v as Partial<SignedHead> | null;
  if (typeof h !== 'object' || h === null) throw bad('a signed head must be a JSON object');
  if (h.format !== HEAD_FORMAT) throw bad(`not a signed audit head (format must be "${HEAD_FORMAT}")`);
  if (!Number.isSafeInteger(h.seq) || (h.seq as number) < 0) throw bad('head seq must be a non-negative integer');
  if (typeof h.hash !== 'string' || !HASH.test(h.hash)) throw bad('head hash must be 64 lowercase hex digits');
  for (const f of ['signedAt', 'keyId', 'publicKey', 'sig'] as const) if (typeof h[f] !== 'string') throw bad(`head ${f} must be a string`);
  return h as SignedHead;
}

/**
 * Checks a signed head against the trusted public key and returns its seq and hash. Throws a
 * PushPalsError naming what is wrong: a malformed head, a head of another key (the key was
 * replaced, or the head was forged with one), an edited head (bad signature).
 */
export function verifySignedHead(value: unknown, trusted: KeyObject): AuditHead {
  const h = checkShape(value);
  const trustedRaw = rawPublicKey(trusted);
  const trustedId = keyIdOf(trustedRaw);
  if (h.keyId !== trustedId || h.publicKey !== trustedRaw) {
    throw bad(`the head claims key ${h.keyId}, but the trusted key is ${trustedId}: it was signed by another key (forged, or the data dir's key was replaced)`);
  }
  let ok = false;
  try {
    ok = verify(null, signedBytes(h), trusted, Buffer.from(h.sig, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) throw bad(`the head's signature does not match its content (seq ${h.seq}): it was edited or forged`);
  return { seq: h.seq, hash: h.hash };
}

/** An expected head as given on the command line: `seq:hash`, a signed head's JSON, or a file holding either. */
export type ExpectedHead = { head: AuditHead; signed?: SignedHead; source: string };

export function parseExpectedHead(spec: string): ExpectedHead {
  const fromText = (text: string, source: string): ExpectedHead => {
    const t = text.trim();
    const m = /^(\d+):([0-9a-f]{64})$/.exec(t);
    if (m) return { head: { seq: Number(m[1]), hash: m[2] as string }, source };
    if (!t.startsWith('{')) throw bad(`${source}: a head is "seq:hash" (64 hex digits) or a signed head's JSON`);
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      throw bad(`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    const signed = checkShape(v);
    return { head: { seq: signed.seq, hash: signed.hash }, signed, source };
  };
  const looksInline = /^\d+:[0-9a-f]{64}$/.test(spec.trim()) || spec.trim().startsWith('{');
  if (!looksInline && existsSync(spec)) return fromText(readFileSync(spec, 'utf8'), spec);
  if (!looksInline) throw bad(`--expect ${spec.slice(0, 200)}: no such file, and not "seq:hash" or a head's JSON`);
  return fromText(spec, '--expect');
}
