/**
 * Approvals: a risky action waits for a person. Requests are persisted (a pending approval
 * survives a restart), decisions are idempotent (the first decision wins; repeating it is a no-op,
 * contradicting it is a `conflict`), and pending approvals expire after a configurable time.
 *
 * A running job awaits a decision with `wait`. After a restart the re-run job calls `request` again
 * with the same key, gets the SAME approval back (pending or already decided) and waits again.
 */
import { MAX_MESSAGE_LENGTH, MAX_TITLE_LENGTH, newId, type EventPayload, type Risk } from '@pushpals/protocol';
import type { AuditEntryInput } from '../audit/audit-log';
import { PushPalsError } from '../errors';
import { SYSTEM_SESSION, type EventLog } from '../events/event-log';
import type { Db } from '../store/db';
import { stmt } from '../store/statements';
import type { Clock } from '../util/clock';

export type ApprovalKind = EventPayload<'approval_required'>['kind'];
export type ApprovalState = 'pending' | 'approved' | 'denied' | 'expired';
export type Decision = 'approve' | 'deny';
export type PullRequestProposal = NonNullable<EventPayload<'approval_required'>['pullRequest']>;

export interface ApprovalRequest {
  taskId: string;
  kind: ApprovalKind;
  title: string;
  reason: string;
  risk: Risk;
  command?: string;
  patch?: string;
  /** A commit approval: the proposed commit message (the person may send an edited one with the decision). */
  message?: string;
  /** A `pr` approval: the proposed title and body (the person may send edited ones with the decision). */
  pullRequest?: PullRequestProposal;
  /** Idempotency key, unique per task (e.g. `cmd:<step>`): a re-run finds the same approval. */
  key?: string;
  /** Overrides the configured expiry (0 = never). */
  expiresInMs?: number;
  /** Free-form data for the requester (policy verdict, cwd, ...), stored, not broadcast. */
  details?: Record<string, unknown>;
  /** Defaults to the task's session. */
  sessionId?: string;
}

export interface ApprovalRecord {
  id: string;
  taskId: string;
  sessionId: string;
  key: string | null;
  kind: ApprovalKind;
  title: string;
  reason: string;
  risk: Risk;
  command?: string;
  patch?: string;
  message?: string;
  pullRequest?: PullRequestProposal;
  details?: Record<string, unknown>;
  /** What the decider sent along (e.g. an edited commit message); stored, not broadcast. */
  decisionDetails?: Record<string, unknown>;
  state: ApprovalState;
  requestedAt: number;
  expiresAt: number | null;
  decidedBy: string | null;
  decidedAt: number | null;
  decisionReason: string | null;
  tokenFingerprint: string | null;
}

interface Row {
  id: string;
  task_id: string;
  session_id: string;
  key: string | null;
  kind: ApprovalKind;
  title: string;
  reason: string;
  risk: Risk;
  payload: string;
  state: ApprovalState;
  requested_at: number;
  expires_at: number | null;
  decided_by: string | null;
  decided_at: number | null;
  decision_reason: string | null;
  token_fingerprint: string | null;
}

const toRecord = (r: Row): ApprovalRecord => {
  const p = JSON.parse(r.payload) as { command?: string; patch?: string; message?: string; pullRequest?: PullRequestProposal; details?: Record<string, unknown>; decision?: Record<string, unknown> };
  return {
    id: r.id,
    taskId: r.task_id,
    sessionId: r.session_id,
    key: r.key,
    kind: r.kind,
    title: r.title,
    reason: r.reason,
    risk: r.risk,
    ...(p.command !== undefined ? { command: p.command } : {}),
    ...(p.patch !== undefined ? { patch: p.patch } : {}),
    ...(p.message !== undefined ? { message: p.message } : {}),
    ...(p.pullRequest !== undefined ? { pullRequest: p.pullRequest } : {}),
    ...(p.details !== undefined ? { details: p.details } : {}),
    ...(p.decision !== undefined ? { decisionDetails: p.decision } : {}),
    state: r.state,
    requestedAt: r.requested_at,
    expiresAt: r.expires_at,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    decisionReason: r.decision_reason,
    tokenFingerprint: r.token_fingerprint,
  };
};

export interface DecideOptions {
  tokenFingerprint?: string;
  reason?: string;
  /** Stored with the decision (e.g. an edited commit message), for the waiting job to read. */
  details?: Record<string, unknown>;
}

export interface DecideResult {
  approval: ApprovalRecord;
  /** False when the same decision had already been recorded (idempotent repeat) or it expired. */
  changed: boolean;
}

/** An approval decided without asking (an auto-commit grant): who decided, why, and what to record with it. */
export interface AutoApproval {
  /** `grant:<id>`: the decider recorded and sent in `approved`. */
  by: string;
  reason: string;
  /** Runs inside the transaction that records the approval (e.g. the audit row naming the grant). */
  record?(approval: ApprovalRecord): void;
}

/** Consulted for every new approval: an AutoApproval decides it at once, undefined leaves it to a person. */
export type AutoApprover = (req: ApprovalRequest) => AutoApproval | undefined;

export interface ApprovalServiceOptions {
  /** Default expiry of a pending approval (0 = never). */
  timeoutMs: number;
  /** How often waiters re-read the DB (decisions made by another process). */
  pollMs?: number;
  /** Where each decision is recorded (`approval_decided`, in the decision's transaction): a receipt names that row. */
  audit?: { append(entry: AuditEntryInput): unknown };
}

export class ApprovalService {
  private readonly waiters = new Map<string, Set<(a: ApprovalRecord) => void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private autoApprover: AutoApprover | undefined;

  constructor(
    private readonly db: Db,
    private readonly events: EventLog,
    private readonly clock: Clock,
    private readonly opts: ApprovalServiceOptions,
  ) {}

  get(id: string): ApprovalRecord | undefined {
    const r = stmt(this.db, 'SELECT * FROM approvals WHERE id = ?').get(id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  /** Pending approvals, optionally of one task, oldest first. */
  pending(taskId?: string): ApprovalRecord[] {
    const rows = (taskId === undefined
      ? stmt(this.db, `SELECT * FROM approvals WHERE state = 'pending' ORDER BY requested_at, id`).all()
      : stmt(this.db, `SELECT * FROM approvals WHERE state = 'pending' AND task_id = ? ORDER BY requested_at, id`).all(taskId)) as Row[];
    return rows.map(toRecord);
  }

  /** Sets what may decide new approvals without asking (the auto-commit grants: grants/auto-approve.ts). */
  setAutoApprover(fn: AutoApprover | undefined): void {
    this.autoApprover = fn;
  }

  /**
   * Persists a request and emits `approval_required`, or — when `key` was used before for this
   * task — returns the existing approval unchanged (`created: false`). When the auto-approver (an
   * active grant) covers it, it is stored approved instead and only `approved` is emitted: nobody is
   * asked, and the record (and `record`'s audit row) say which grant decided.
   */
  request(req: ApprovalRequest): { approval: ApprovalRecord; created: boolean } {
    const run = this.db.transaction(() => {
      if (req.key !== undefined) {
        const existing = stmt(this.db, 'SELECT * FROM approvals WHERE task_id = ? AND key = ?').get(req.taskId, req.key) as Row | undefined;
        if (existing) return { approval: toRecord(existing), created: false };
      }
      const now = this.clock.now();
      const ttl = req.expiresInMs ?? this.opts.timeoutMs;
      const expiresAt = ttl > 0 ? now + ttl : null;
      const sessionId = req.sessionId ?? ((stmt(this.db, 'SELECT session_id FROM tasks WHERE id = ?').pluck().get(req.taskId) as string | undefined) ?? SYSTEM_SESSION);
      const id = newId('ap');
      const payload = JSON.stringify({ command: req.command, patch: req.patch, message: req.message, pullRequest: req.pullRequest, details: req.details });
      const auto = this.autoApprover?.(req);
      if (auto) return { approval: this.insertApproved(id, req, sessionId, payload, now, auto), created: true };
      const row = stmt(
        this.db,
        `INSERT INTO approvals (id, task_id, session_id, key, kind, title, reason, risk, payload, state, requested_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
      ).get(id, req.taskId, sessionId, req.key ?? null, req.kind, req.title, req.reason, req.risk, payload, now, expiresAt) as Row;
      this.events.append({
        type: 'approval_required',
        sessionId,
        payload: {
          approvalId: id,
          taskId: req.taskId,
          kind: req.kind,
          title: req.title.slice(0, MAX_TITLE_LENGTH),
          reason: req.reason.slice(0, MAX_MESSAGE_LENGTH),
          risk: req.risk,
          ...(req.command !== undefined ? { command: req.command } : {}),
          ...(req.patch !== undefined ? { patch: req.patch } : {}),
          ...(req.message !== undefined ? { message: req.message.slice(0, MAX_MESSAGE_LENGTH) } : {}),
          ...(req.pullRequest !== undefined ? { pullRequest: req.pullRequest } : {}),
          ...(expiresAt !== null ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
        },
      });
      return { approval: toRecord(row), created: true };
    });
    return this.db.inTransaction ? run() : run.immediate();
  }

  /**
   * Records a decision. The first decision wins: repeating it returns `changed: false`; the other
   * decision afterwards is a `conflict`. Deciding an expired approval returns state `expired`.
   */
  decide(approvalId: string, decision: Decision, by: string, opts: DecideOptions = {}): DecideResult {
    const result = this.db
      .transaction((): DecideResult => {
        const cur = stmt(this.db, 'SELECT * FROM approvals WHERE id = ?').get(approvalId) as Row | undefined;
        if (!cur) throw new PushPalsError('not_found', `no approval ${approvalId}`);
        const wanted: ApprovalState = decision === 'approve' ? 'approved' : 'denied';
        const now = this.clock.now();
        if (cur.state === 'pending' && cur.expires_at !== null && cur.expires_at <= now) {
          this.expireRow(cur, now);
          return { approval: this.get(approvalId)!, changed: false };
        }
        if (cur.state === 'expired') return { approval: toRecord(cur), changed: false };
        if (cur.state !== 'pending') {
          if (cur.state === wanted) return { approval: toRecord(cur), changed: false };
          throw new PushPalsError('conflict', `approval ${approvalId} was already ${cur.state} by ${cur.decided_by ?? 'someone'}`, { state: cur.state });
        }
        stmt(this.db, `UPDATE approvals SET state = ?, decided_by = ?, decided_at = ?, decision_reason = ?, token_fingerprint = ? WHERE id = ? AND state = 'pending'`).run(
          wanted,
          by,
          now,
          opts.reason ?? null,
          opts.tokenFingerprint ?? null,
          approvalId,
        );
        if (opts.details) {
          const payload = JSON.parse(cur.payload) as Record<string, unknown>;
          stmt(this.db, 'UPDATE approvals SET payload = ? WHERE id = ?').run(JSON.stringify({ ...payload, decision: opts.details }), approvalId);
        }
        this.audited(cur, wanted, by);
        if (wanted === 'approved') this.events.append({ type: 'approved', sessionId: cur.session_id, payload: { approvalId, taskId: cur.task_id, by } });
        else this.events.append({ type: 'denied', sessionId: cur.session_id, payload: { approvalId, taskId: cur.task_id, by, ...(opts.reason ? { reason: opts.reason.slice(0, MAX_MESSAGE_LENGTH) } : {}) } });
        return { approval: this.get(approvalId)!, changed: true };
      })
      .immediate();
    this.notify(result.approval);
    return result;
  }

  /** Marks every pending approval past its expiry as expired (emitting `denied`). Returns how many. */
  expireDue(): number {
    const now = this.clock.now();
    const expired = this.db
      .transaction(() => {
        const rows = stmt(this.db, `SELECT * FROM approvals WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?`).all(now) as Row[];
        for (const r of rows) this.expireRow(r, now);
        return rows.map((r) => r.id);
      })
      .immediate();
    for (const id of expired) this.notify(this.get(id)!);
    return expired.length;
  }

  /** Denies every pending approval of a task (the task was cancelled). */
  denyAllForTask(taskId: string, by: string, reason: string): number {
    const ids = this.pending(taskId).map((a) => a.id);
    let n = 0;
    for (const id of ids) {
      try {
        if (this.decide(id, 'deny', by, { reason }).changed) n++;
      } catch (e) {
        if (!(e instanceof PushPalsError && e.code === 'conflict')) throw e;
      }
    }
    return n;
  }

  /**
   * Resolves once the approval is no longer pending (approved, denied or expired). Rejects with a
   * `cancelled` error when `signal` aborts. Decisions made in this process resolve at once; ones
   * made by another process on the same DB are seen by polling.
   */
  wait(approvalId: string, signal?: AbortSignal): Promise<ApprovalRecord> {
    const now = this.get(approvalId);
    if (!now) return Promise.reject(new PushPalsError('not_found', `no approval ${approvalId}`));
    if (now.state !== 'pending') return Promise.resolve(now);
    if (now.expiresAt !== null && now.expiresAt <= this.clock.now()) {
      this.expireDue();
      return Promise.resolve(this.get(approvalId)!);
    }
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(approvalId);
      if (!set) this.waiters.set(approvalId, (set = new Set()));
      const done = (a: ApprovalRecord) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(a);
      };
      const onAbort = () => {
        set.delete(done);
        if (set.size === 0) this.waiters.delete(approvalId);
        reject(new PushPalsError('cancelled', 'stopped waiting for the approval'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(done);
      this.ensurePolling();
    });
  }

  /** request() + wait(): the usual call from a running job. */
  async requestAndWait(req: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalRecord> {
    const { approval } = this.request(req);
    return this.wait(approval.id, signal);
  }

  countPending(taskId: string): number {
    return stmt(this.db, `SELECT COUNT(*) FROM approvals WHERE task_id = ? AND state = 'pending'`).pluck().get(taskId) as number;
  }

  close(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private insertApproved(id: string, req: ApprovalRequest, sessionId: string, payload: string, now: number, auto: AutoApproval): ApprovalRecord {
    const row = stmt(
      this.db,
      `INSERT INTO approvals (id, task_id, session_id, key, kind, title, reason, risk, payload, state, requested_at, expires_at, decided_by, decided_at, decision_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'approved', ?, NULL, ?, ?, ?) RETURNING *`,
    ).get(id, req.taskId, sessionId, req.key ?? null, req.kind, req.title, req.reason, req.risk, payload, now, auto.by, now, auto.reason) as Row;
    const approval = toRecord(row);
    this.events.append({ type: 'approved', sessionId, payload: { approvalId: id, taskId: req.taskId, by: auto.by } });
    auto.record?.(approval);
    return approval;
  }

  private expireRow(r: Row, now: number): void {
    const changed = stmt(this.db, `UPDATE approvals SET state = 'expired', decided_at = ?, decided_by = 'orchestrator', decision_reason = 'expired' WHERE id = ? AND state = 'pending'`).run(now, r.id).changes;
    if (!changed) return;
    this.audited(r, 'expired', 'orchestrator');
    this.events.append({ type: 'denied', sessionId: r.session_id, payload: { approvalId: r.id, taskId: r.task_id, by: 'orchestrator', reason: 'expired' } });
  }

  /** The decision's audit row: who decided what about which approval (the reason stays in the approvals table: it is free text). */
  private audited(r: Row, state: ApprovalState, by: string): void {
    this.opts.audit?.append({ taskId: r.task_id, actor: by, action: 'approval_decided', approvalId: r.id, data: { kind: r.kind, state, key: r.key } });
  }

  private notify(a: ApprovalRecord): void {
    if (a.state === 'pending') return;
    const set = this.waiters.get(a.id);
    if (!set) return;
    this.waiters.delete(a.id);
    for (const w of set) w(a);
  }

  private ensurePolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.waiters.size === 0) {
        clearInterval(this.pollTimer);
        this.pollTimer = undefined;
        return;
      }
      for (const id of [...this.waiters.keys()]) {
        const a = this.get(id);
        if (a && a.state !== 'pending') this.notify(a);
        else if (a && a.expiresAt !== null && a.expiresAt <= this.clock.now()) this.expireDue();
      }
    }, this.opts.pollMs ?? 1000);
    this.pollTimer.unref();
  }
}
