/**
 * A base's check results, reused across tasks: most tasks in a row start from the same base commit, and
 * its checks (on a real project, tens of seconds) say the same thing each time. A result is stored in
 * SQLite (migration 010) under a key made of EVERYTHING that decides it — repository, tree id, the
 * check's name, command and runner, the repository's settings, the dependency set-up plan (the lockfile
 * itself is part of the tree), the sandbox image id and limits, the runner's version — so a change of
 * any of them is a miss. Entries expire (flaky suites exist); only `passed`/`failed` results of a run
 * that wrote its `check_run` audit row are kept (an `error` — a set-up that failed, a denied approval —
 * says nothing of the tree).
 */
import type { Db } from '../store/db';
import { stmt } from '../store/statements';
import { canonicalJson } from '../audit/audit-log';
import { sha256Ref } from '../util/hash';
import type { CheckResult, CheckSpec } from './types';

/**
 * The version of how a check's result is produced and read (run.ts, parse/): bump it when a change
 * there would give a stored result another meaning. The orchestrator's version is in the key as well.
 */
export const CHECK_RUNNER_VERSION = 1;

/** Everything that decides a check's result, besides the tree's content. */
export interface CheckKeyParts {
  repoId: string;
  treeId: string;
  check: Pick<CheckSpec, 'name' | 'command' | 'runner'>;
  /** The repository's settings (image, set-up, egress, checks), as written. */
  settings: unknown;
  /** The dependency set-up the fresh tree needs (kind and commands of each plan). */
  setup: unknown;
  /** The sandbox: image name and id, limits, command timeout. */
  sandbox: unknown;
  /** CHECK_RUNNER_VERSION and the orchestrator's version. */
  runner: string;
}

/** The key of one check's result: sha256 of the canonical JSON of its parts. */
export const checkKey = (p: CheckKeyParts): string => sha256Ref(canonicalJson({ ...p, check: { name: p.check.name, command: p.check.command, runner: p.check.runner ?? null } }));

/** What a stored result is: the check's outcome on a tree, without the task, phase, commit or ticket it ran for. */
export type StoredResult = Omit<CheckResult, 'phase' | 'commit' | 'ticketId' | 'reusedFrom'>;

export interface ReusableResult {
  result: StoredResult;
  /** The task that ran it and its `check_run` audit row. */
  taskId: string;
  auditSeq: number;
  ranAt: number;
}

export interface CheckReuseOptions {
  /** `checks.reuseBase`. */
  enabled: boolean;
  /** `checks.reuseMaxAgeHours`, in ms: an older result is run again. */
  maxAgeMs: number;
  now?: () => number;
}

interface Row {
  result_json: string;
  task_id: string;
  audit_seq: number;
  ran_at: number;
}

export class CheckReuse {
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly o: CheckReuseOptions,
  ) {
    this.now = o.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.o.enabled;
  }

  /** The stored result under `key`, unless reuse is off or it expired. */
  find(key: string): ReusableResult | undefined {
    if (!this.o.enabled) return undefined;
    const row = stmt(this.db, 'SELECT result_json, task_id, audit_seq, ran_at FROM check_reuse WHERE key = ? AND ran_at >= ?').get(key, this.now() - this.o.maxAgeMs) as Row | undefined;
    if (!row) return undefined;
    return { result: JSON.parse(row.result_json) as StoredResult, taskId: row.task_id, auditSeq: row.audit_seq, ranAt: row.ran_at };
  }

  /** Keeps a result that ran (passed or failed) for later tasks; drops expired entries on the way. */
  remember(key: string, e: { repoId: string; treeId: string; result: CheckResult; taskId: string; auditSeq: number }): void {
    if (!this.o.enabled || (e.result.status !== 'passed' && e.result.status !== 'failed') || e.result.reusedFrom) return;
    const { phase: _p, commit: _c, ticketId: _t, reusedFrom: _r, ...result } = e.result;
    const now = this.now();
    this.db.transaction(() => {
      stmt(this.db, 'DELETE FROM check_reuse WHERE ran_at < ?').run(now - this.o.maxAgeMs);
      stmt(this.db, 'INSERT OR REPLACE INTO check_reuse (key, repo_id, tree_id, name, result_json, task_id, audit_seq, ran_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(key, e.repoId, e.treeId, result.name, JSON.stringify(result), e.taskId, e.auditSeq, now);
    })();
  }
}
