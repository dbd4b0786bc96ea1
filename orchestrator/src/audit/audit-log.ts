/**
 * The audit trail: every tool call and command, who asked, the policy verdict, the approval, cwd,
 * exit code, duration and (truncated, redacted) output, as an append-only SHA-256 hash chain in
 * SQLite (migration 002_audit). See README.md for the guarantees and their limits.
 */
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { isId } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import type { Db } from '../store/db';
import { isoAt, systemClock, type Clock } from '../util/clock';
import { redactSecrets, truncateOutput } from './redact';

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller records. Everything but actor and action is optional. */
export interface AuditEntryInput {
  taskId?: string | null;
  /** Who asked: `user`, `planner`, `worker:1`, `orchestrator`, … (1–128 chars). */
  actor: string;
  /** What happened: `command`, `tool_call`, `approval`, `patch_applied`, … (1–64 chars). */
  action: string;
  command?: string | null;
  cwd?: string | null;
  /** Policy verdict: allow / ask / deny (≤ 16 chars). */
  verdict?: string | null;
  approvalId?: string | null;
  exitCode?: number | null;
  durationMs?: number | null;
  stdout?: string | null;
  stderr?: string | null;
  /** Any JSON-serialisable extra data; stored as canonical JSON, redacted. */
  data?: unknown;
  /** Milliseconds since the epoch; default: the clock's now. */
  at?: number;
}

/** A stored row. */
export interface AuditRecord {
  seq: number;
  ts: string;
  taskId: string | null;
  actor: string;
  action: string;
  command: string | null;
  cwd: string | null;
  verdict: string | null;
  approvalId: string | null;
  exitCode: number | null;
  durationMs: number | null;
  stdout: string | null;
  stderr: string | null;
  /** Canonical JSON text, or null. */
  data: string | null;
  prevHash: string;
  hash: string;
}

/** One entry of the protocol's `audit_get` result (CommandResults.audit_get.entries[]). */
export interface AuditEntryView {
  seq: number;
  ts: string;
  taskId?: string;
  actor: string;
  action: string;
  command?: string;
  cwd?: string;
  verdict?: string;
  approvalId?: string;
  exitCode?: number;
  durationMs?: number;
  stdout?: string;
  stderr?: string;
  hash: string;
}

export type VerifyResult = { ok: true; count: number; head: AuditHead } | { ok: false; seq: number; reason: string };

export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditLogOptions {
  clock?: Clock;
  /** Per-stream cap on stored stdout/stderr, in UTF-8 bytes. Default 64 KiB; at most 1 MiB (protocol limit). */
  maxOutputBytes?: number;
  /** Known secret values to redact wherever they appear (server token, LLM key, …). */
  secrets?: string[];
}

interface Row {
  seq: number;
  ts: string;
  task_id: string | null;
  actor: string;
  action: string;
  command: string | null;
  cwd: string | null;
  verdict: string | null;
  approval_id: string | null;
  exit_code: number | null;
  duration_ms: number | null;
  stdout: string | null;
  stderr: string | null;
  data: string | null;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every level: one byte sequence per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return v;
  });
}

/** The chained hash of a row: sha256(prev_hash + canonical JSON of every other column). */
export function rowHash(r: Omit<Row, 'hash'>): string {
  const body = canonicalJson({
    action: r.action,
    actor: r.actor,
    approval_id: r.approval_id,
    command: r.command,
    cwd: r.cwd,
    data: r.data,
    duration_ms: r.duration_ms,
    exit_code: r.exit_code,
    seq: r.seq,
    stderr: r.stderr,
    stdout: r.stdout,
    task_id: r.task_id,
    ts: r.ts,
    verdict: r.verdict,
  });
  return createHash('sha256').update(r.prev_hash).update(body).digest('hex');
}

const toRecord = (r: Row): AuditRecord => ({
  seq: r.seq,
  ts: r.ts,
  taskId: r.task_id,
  actor: r.actor,
  action: r.action,
  command: r.command,
  cwd: r.cwd,
  verdict: r.verdict,
  approvalId: r.approval_id,
  exitCode: r.exit_code,
  durationMs: r.duration_ms,
  stdout: r.stdout,
  stderr: r.stderr,
  data: r.data,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export class AuditLog {
  private readonly clock: Clock;
  private readonly maxOutputBytes: number;
  private readonly secrets = new Set<string>();
  private readonly insert;
  private readonly getHead;
  private readonly setHead;

  constructor(
    private readonly db: Db,
    opts: AuditLogOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.maxOutputBytes = Math.min(opts.maxOutputBytes ?? 64 * 1024, 1024 * 1024 - 256);
    for (const s of opts.secrets ?? []) this.addSecret(s);
    this.insert = db.prepare(
      `INSERT INTO audit_log (seq, ts, task_id, actor, action, command, cwd, verdict, approval_id, exit_code, duration_ms, stdout, stderr, data, prev_hash, hash)
       VALUES (@seq, @ts, @task_id, @actor, @action, @command, @cwd, @verdict, @approval_id, @exit_code, @duration_ms, @stdout, @stderr, @data, @prev_hash, @hash)`,
    );
    this.getHead = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1');
    this.setHead = db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1');
    this.appendTx = this.makeAppendTx();
  }

  /** Adds a known secret value (e.g. a token created after start-up) to redact from now on. */
  addSecret(value: string): void {
    if (value.length >= 6) this.secrets.add(value);
  }

  /** The seq and hash of the last row: publish it elsewhere (logs, another host) as an external anchor. */
  head(): AuditHead {
    const h = this.getHead.get() as AuditHead | undefined;
    if (!h) throw new PushPalsError('internal', 'audit_head row is missing (run migration 002_audit)');
    return h;
  }

  /** Appends one entry; returns the stored record (after redaction and truncation). */
  append(entry: AuditEntryInput): AuditRecord {
    return this.appendBatch([entry])[0] as AuditRecord;
  }

  /** Appends entries in order, in ONE transaction: all or none. */
  appendBatch(entries: AuditEntryInput[]): AuditRecord[] {
    // Redaction, truncation and validation happen before the write lock is taken.
    const prepared = entries.map((e) => this.prepare(e));
    return this.appendTx.immediate(prepared);
  }

  private readonly appendTx: ReturnType<typeof this.makeAppendTx>;

  private makeAppendTx() {
    return this.db.transaction((prepared: Array<Omit<Row, 'seq' | 'prev_hash' | 'hash'>>): AuditRecord[] => {
    // The head is read inside the (IMMEDIATE) transaction: several writer processes stay consistent.
    let { seq, hash } = this.head();
    const out: AuditRecord[] = [];
    for (const p of prepared) {
      seq += 1;
      const row: Omit<Row, 'hash'> = { ...p, seq, prev_hash: hash };
      hash = rowHash(row);
      const full: Row = { ...row, hash };
      this.insert.run(full);
      out.push(toRecord(full));
    }
    if (out.length) this.setHead.run(seq, hash);
    return out;
    });
  }

  private prepare(e: AuditEntryInput): Omit<Row, 'seq' | 'prev_hash' | 'hash'> {
    const bad = (field: string, msg: string): never => {
      throw new PushPalsError('invalid_message', `audit entry ${field}: ${msg}`, undefined, `/${field}`);
    };
    if (typeof e.actor !== 'string' || e.actor.length < 1 || e.actor.length > 128) bad('actor', 'must be 1–128 characters');
    if (typeof e.action !== 'string' || e.action.length < 1 || e.action.length > 64) bad('action', 'must be 1–64 characters');
    if (e.taskId != null && !isId(e.taskId)) bad('taskId', 'must be an id');
    if (e.approvalId != null && !isId(e.approvalId)) bad('approvalId', 'must be an id');
    if (e.verdict != null && e.verdict.length > 16) bad('verdict', 'must be at most 16 characters');
    if (e.exitCode != null && !Number.isInteger(e.exitCode)) bad('exitCode', 'must be an integer');
    if (e.durationMs != null && !(Number.isFinite(e.durationMs) && e.durationMs >= 0)) bad('durationMs', 'must be a non-negative number');
    const red = (s: string | null | undefined): string | null => (s == null ? null : redactSecrets(s, this.secrets));
    const out = (s: string | null | undefined): string | null => {
      if (s == null) return null;
      // Very large outputs: cut to generous windows first so redaction stays cheap, then redact
      // (whole secrets, before the final cut can split one), then truncate with the marker.
      const max = this.maxOutputBytes;
      const pre = s.length > max * 4 ? truncateOutput(s, max + 8192) : s;
      return truncateOutput(redactSecrets(pre, this.secrets), max);
    };
    return {
      ts: isoAt(e.at ?? this.clock.now()),
      task_id: e.taskId ?? null,
      actor: e.actor,
      action: e.action,
      command: red(e.command),
      cwd: red(e.cwd),
      verdict: e.verdict ?? null,
      approval_id: e.approvalId ?? null,
      exit_code: e.exitCode ?? null,
      duration_ms: e.durationMs == null ? null : Math.round(e.durationMs),
      stdout: out(e.stdout),
      stderr: out(e.stderr),
      data: e.data === undefined ? null : red(canonicalJson(e.data)),
    };
  }

  /**
   * Walks the whole chain in seq order and checks, for every row: seq is the next number (a gap is a
   * deleted row), prev_hash is the previous row's hash (reordering or a changed neighbour), and the
   * hash matches the row's columns (an edit to any column). Then compares the end of the chain with the
   * anchor row (a deleted tail) and, when given, with heads kept outside the DB (`expect`: a signed
   * head file, a head copied from a log). Returns the first bad seq and why.
   */
  verify(expect?: AuditHead | readonly AuditHead[]): VerifyResult {
    const external = new Map<number, string>();
    for (const h of expect === undefined ? [] : Array.isArray(expect) ? (expect as readonly AuditHead[]) : [expect as AuditHead]) {
      if (h.seq === 0) continue; // the genesis head: nothing to compare
      const other = external.get(h.seq);
      if (other !== undefined && other !== h.hash) return { ok: false, seq: h.seq, reason: `two externally recorded heads disagree about row ${h.seq}: one of them is not a record of this trail` };
      external.set(h.seq, h.hash);
    }
    const walked = this.verifySegment({ seq: 0, hash: GENESIS_HASH }, { external });
    if (!walked.ok) return walked;
    const { seq: count, hash: prev } = walked.last;
    const anchor = this.getHead.get() as AuditHead | undefined;
    if (!anchor) return { ok: false, seq: count + 1, reason: 'the audit_head anchor row is missing' };
    if (anchor.seq > count) return { ok: false, seq: count + 1, reason: `rows ${count + 1}..${anchor.seq} are missing (the tail was deleted)` };
    if (anchor.seq < count) return { ok: false, seq: anchor.seq + 1, reason: `row ${anchor.seq + 1} and later are not covered by the anchor (rows were inserted past the head)` };
    if (anchor.hash !== prev) return { ok: false, seq: count, reason: `row ${count} does not match the anchor hash` };
    const beyond = [...external.keys()].filter((s) => s > count).sort((a, b) => b - a)[0];
    if (beyond !== undefined) return { ok: false, seq: count + 1, reason: `rows ${count + 1}..${beyond} recorded externally are missing (the tail was deleted)` };
    return { ok: true, count, head: { seq: count, hash: prev } };
  }

  /**
   * Checks the rows after `from` — which must still be in the chain with the same hash (seq 0: the
   * genesis) — up to `untilSeq` and at most `maxRows` of them: continuity, links, hashes and any
   * `external` heads met on the way. `done` is true when no row is left in that range. Lets a caller
   * that already checked the chain up to a head check only what was appended since.
   */
  verifySegment(
    from: AuditHead,
    opts: { maxRows?: number; untilSeq?: number; external?: ReadonlyMap<number, string> } = {},
  ): { ok: true; last: AuditHead; done: boolean } | { ok: false; seq: number; reason: string } {
    if (from.seq > 0) {
      const r = this.db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(from.seq) as Row | undefined;
      if (!r) return { ok: false, seq: from.seq, reason: `row ${from.seq}, recorded earlier as a head, is missing (rows were deleted)` };
      if (r.hash !== from.hash || rowHash(r) !== r.hash) return { ok: false, seq: from.seq, reason: `row ${from.seq} differs from the head recorded earlier (the chain was rewritten)` };
    }
    const maxRows = opts.maxRows ?? Number.MAX_SAFE_INTEGER;
    const untilSeq = opts.untilSeq ?? Number.MAX_SAFE_INTEGER;
    let expectedSeq = from.seq + 1;
    let prev = from.hash;
    let n = 0;
    const rows = this.db.prepare('SELECT * FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq').iterate(from.seq, untilSeq) as IterableIterator<Row>;
    for (const r of rows) {
      if (n === maxRows) {
        rows.return?.();
        return { ok: true, last: { seq: expectedSeq - 1, hash: prev }, done: false };
      }
      if (r.seq !== expectedSeq) {
        rows.return?.();
        return r.seq > expectedSeq
          ? { ok: false, seq: expectedSeq, reason: `row ${expectedSeq} is missing (deleted)${r.seq - expectedSeq > 1 ? ` along with ${r.seq - expectedSeq - 1} more` : ''}` }
          : { ok: false, seq: r.seq, reason: `row has an unexpected seq ${r.seq}` };
      }
      const bad = (reason: string) => {
        rows.return?.();
        return { ok: false as const, seq: r.seq, reason };
      };
      if (r.prev_hash !== prev) return bad(`row ${r.seq} does not follow row ${r.seq - 1} (prev_hash mismatch: a row was edited, reordered or replaced)`);
      if (rowHash(r) !== r.hash) return bad(`row ${r.seq} was edited (its columns no longer match its hash)`);
      const ext = opts.external?.get(r.seq);
      if (ext !== undefined && ext !== r.hash) return bad(`row ${r.seq} differs from the externally recorded head (the chain was rewritten)`);
      prev = r.hash;
      expectedSeq++;
      n++;
    }
    return { ok: true, last: { seq: expectedSeq - 1, hash: prev }, done: true };
  }

  /** A task's entries in seq order (the last `limit` of them), shaped like protocol `audit_get` entries. */
  listForTask(taskId: string, limit = 1000): AuditEntryView[] {
    const n = Math.max(1, Math.min(10000, Math.floor(limit)));
    const rows = this.db.prepare('SELECT * FROM (SELECT * FROM audit_log WHERE task_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq').all(taskId, n) as Row[];
    return rows.map((r) => {
      const v: AuditEntryView = { seq: r.seq, ts: r.ts, actor: r.actor, action: r.action, hash: r.hash };
      if (r.task_id != null) v.taskId = r.task_id;
      if (r.command != null) v.command = r.command;
      if (r.cwd != null) v.cwd = r.cwd;
      if (r.verdict != null) v.verdict = r.verdict;
      if (r.approval_id != null) v.approvalId = r.approval_id;
      if (r.exit_code != null) v.exitCode = r.exit_code;
      if (r.duration_ms != null) v.durationMs = r.duration_ms;
      if (r.stdout != null) v.stdout = r.stdout;
      if (r.stderr != null) v.stderr = r.stderr;
      return v;
    });
  }

  /** One stored row by its seq, as it is in the DB (not checked: `verify` does that). */
  record(seq: number): AuditRecord | undefined {
    const r = this.db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  /** All records (optionally of one task) in seq order, read in pages. */
  *records(taskId?: string, pageSize = 500): Generator<AuditRecord> {
    const stmt = taskId === undefined ? this.db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?') : this.db.prepare('SELECT * FROM audit_log WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    let after = 0;
    for (;;) {
      const rows = (taskId === undefined ? stmt.all(after, pageSize) : stmt.all(taskId, after, pageSize)) as Row[];
      for (const r of rows) yield toRecord(r);
      if (rows.length < pageSize) return;
      after = (rows[rows.length - 1] as Row).seq;
    }
  }

  /**
   * Writes a task's records (every record when taskId is undefined) as JSONL — one AuditRecord per
   * line, with prevHash and hash so the export can be checked — honouring back-pressure. Resolves with
   * the number of lines. Does not end the stream.
   */
  async exportJsonl(taskId: string | undefined, stream: Writable): Promise<number> {
    let n = 0;
    for (const rec of this.records(taskId)) {
      n++;
      if (!stream.write(`${JSON.stringify(rec)}\n`)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = (): void => {
            stream.off('error', onError);
            resolve();
          };
          const onError = (err: Error): void => {
            stream.off('drain', onDrain);
            reject(err);
          };
          stream.once('drain', onDrain);
          stream.once('error', onError);
        });
      }
    }
    return n;
  }
}
