/**
 * Publishes the audit trail's head, signed, where the DB's writer cannot quietly rewrite it: the
 * orchestrator log, `/api/status` (clients) and `<dataDir>/audit-head.json` (for the person to copy
 * elsewhere). Before signing a new head it checks the rows appended since the last head it
 * published: a chain rewritten or truncated in between is reported (log error, status `problem`)
 * and never signed, and the head file is then left as it was (it is the evidence).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from '../log';
import type { Db } from '../store/db';
import { AuditLog, GENESIS_HASH, type AuditHead } from './audit-log';
import { loadOrCreateSigner, verifySignedHead, type HeadSigner, type SignedHead } from './head-signing';

export const AUDIT_HEAD_FILE = 'audit-head.json';
/** How often a changed head is published. */
export const HEAD_PUBLISH_MS = 10_000;
/** Rows checked per turn of the event loop (a large trail is checked without blocking the server). */
const PAGE = 2000;

export interface AuditHeadStatus {
  head?: SignedHead;
  /** Set when the trail no longer extends the last published head: the chain was rewritten or cut. */
  problem?: string;
}

export interface HeadPublisherOptions {
  dataDir: string;
  db: Db;
  logger: Logger;
  intervalMs?: number;
}

export const auditHeadPath = (dataDir: string): string => join(dataDir, AUDIT_HEAD_FILE);

export class AuditHeadPublisher {
  private readonly audit: AuditLog;
  private readonly file: string;
  private signer: HeadSigner | undefined;
  /** The last head whose chain this publisher checked (undefined: read the head file first). */
  private checked: AuditHead | undefined;
  private latest: SignedHead | undefined;
  private problem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SignedHead | undefined> | undefined;

  constructor(private readonly opts: HeadPublisherOptions) {
    this.audit = new AuditLog(opts.db);
    this.file = auditHeadPath(opts.dataDir);
  }

  status(): AuditHeadStatus {
    return { ...(this.latest ? { head: this.latest } : {}), ...(this.problem ? { problem: this.problem } : {}) };
  }

  /** Publishes now, then every `intervalMs` when the head moved. */
  start(): void {
    void this.publish();
    this.timer = setInterval(() => void this.publish(), this.opts.intervalMs ?? HEAD_PUBLISH_MS);
    this.timer.unref();
  }

  /** Stops the timer and publishes the final head (the DB must still be open). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.publish();
  }

  /** Checks what was appended since the last published head, then signs and publishes the head. One at a time. */
  publish(): Promise<SignedHead | undefined> {
    const run = (this.running ?? Promise.resolve(undefined)).then(() => this.publishOnce());
    this.running = run.catch(() => undefined);
    return run.catch((e: unknown) => {
      this.report(`publishing the audit head failed: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
  }

  private async publishOnce(): Promise<SignedHead | undefined> {
    if (!this.opts.db.open) return this.latest;
    this.signer ??= loadOrCreateSigner(this.opts.dataDir);
    if (!this.checked) {
      const published = this.readPublished();
      if (published === 'invalid') return undefined;
      this.checked = published ?? { seq: 0, hash: GENESIS_HASH };
    }
    const anchor = this.audit.head();
    let from = this.checked;
    if (anchor.seq < from.seq) return this.report(`the audit trail ends at row ${anchor.seq}, but head #${from.seq} was published: rows ${anchor.seq + 1}..${from.seq} were deleted`);
    for (;;) {
      const r = this.audit.verifySegment(from, { maxRows: PAGE, untilSeq: anchor.seq });
      if (!r.ok) return this.report(`the audit trail no longer extends published head #${this.checked.seq}: ${r.reason}`);
      from = r.last;
      if (r.done) break;
      await nextTurn();
      if (!this.opts.db.open) return this.latest;
    }
    if (from.seq !== anchor.seq || from.hash !== anchor.hash) return this.report(`the audit anchor (#${anchor.seq}) does not match the chain's end (#${from.seq})`);
    this.checked = anchor;
    this.problem = undefined;
    if (this.latest && this.latest.seq === anchor.seq && this.latest.hash === anchor.hash) return this.latest;
    const signed = this.signer.sign(anchor);
    this.write(signed);
    this.latest = signed;
    this.opts.logger.info(`audit head #${signed.seq} ${signed.hash} (signed by ${signed.keyId}); keep a copy elsewhere and check with "pushpals audit verify --expect HEAD"`, { auditHead: signed });
    return signed;
  }

  /** The head in the head file, checked against our key; undefined when there is none yet. */
  private readPublished(): AuditHead | 'invalid' | undefined {
    if (!existsSync(this.file)) return undefined;
    try {
      return verifySignedHead(JSON.parse(readFileSync(this.file, 'utf8')), (this.signer as HeadSigner).publicKey);
    } catch (e) {
      this.report(`${this.file} is not a valid signed head of this data dir's key (${e instanceof Error ? e.message : String(e)}); it is kept as evidence and no new head is published — move it aside to start a new record`);
      return 'invalid';
    }
  }

  /** Atomic replace; never moves the file's head backwards (another process may have published a newer one). */
  private write(h: SignedHead): void {
    try {
      const cur = JSON.parse(readFileSync(this.file, 'utf8')) as { seq?: unknown };
      if (typeof cur.seq === 'number' && cur.seq > h.seq) return;
    } catch {
      // no file yet (or unreadable: replaced below)
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(h, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  private report(problem: string): undefined {
    if (problem !== this.problem) this.opts.logger.error(`audit: ${problem}`);
    this.problem = problem;
    return undefined;
  }
}
