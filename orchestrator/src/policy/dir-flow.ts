/**
 * Where the shell may be, statement by statement. A `cd` may fail — bash then goes on where it was —
 * so the walk carries a SET of possible current directories and judges every command from each of
 * them (the worst verdict wins): `cd /tmp/nope; echo x > HEAD` writes /workspace/HEAD when the cd
 * fails. The set is split by exit status so that `cd x && y` judges y from x only, and `cd x || y`
 * judges y from where the failed cd left the shell.
 *
 * Compound commands join their branches: an `if` leaves the shell wherever any branch may leave it,
 * a loop body runs again from where the previous round ended (until no new directory appears), a
 * `case` arm that falls through (`;&`, `;;&`) runs on from where the previous arm ended. Past
 * MAX_DIRS directories, or a loop that keeps moving, the directory is "not known" (null): relative
 * writes and git then ask.
 */
import { CASE_BREAK, type Command, type Stmt } from './shell';

/** The directories the shell may be in; null: not statically known. */
export type Dirs = ReadonlySet<string | null>;

/** Where a statement may leave the shell, by its exit status (`&&` goes on from ok, `||` from fail). */
export interface Flow {
  ok: Dirs;
  fail: Dirs;
}

const MAX_DIRS = 4;
export const UNKNOWN_DIR: Dirs = new Set([null]);

/** The union of directory sets; past MAX_DIRS it is "not known". */
export function dirs(...sets: Iterable<string | null>[]): Dirs {
  const out = new Set<string | null>();
  for (const s of sets) for (const d of s) out.add(d);
  return out.size > MAX_DIRS ? UNKNOWN_DIR : out;
}

/** Whatever the exit status, the shell is in one of `d`. */
export const either = (d: Dirs): Flow => ({ ok: d, fail: d });
export const anyExit = (f: Flow): Dirs => dirs(f.ok, f.fail);

/** Walks a list of statements from some directories (the walker's `list`). */
export type ListWalk = (stmts: readonly Stmt[], from: Dirs) => Flow;

/** `if c; then a; elif d; then b; else e; fi`: each branch from where its condition left the shell. */
export function ifFlow(c: Command, from: Dirs, list: ListWalk): Flow {
  if (!c.Cond?.length) return list(c.Then ?? [], from); // a plain `else`
  const cond = list(c.Cond, from);
  const then = list(c.Then ?? [], cond.ok);
  // No branch taken: the status is 0, the shell is where the conditions left it.
  const other = c.Else ? ifFlow(c.Else, cond.fail, list) : either(cond.fail);
  return { ok: dirs(then.ok, other.ok), fail: dirs(then.fail, other.fail) };
}

/**
 * `while`/`until`/`for`/`select`: the condition and body are walked again from every directory a
 * previous round may have ended in; a loop that keeps moving (`cd sub` each round) is walked a last
 * time from "not known". Every directory seen may be where the loop ends (`break` can leave anywhere).
 */
export function loopFlow(cond: readonly Stmt[], until: boolean, body: readonly Stmt[], from: Dirs, list: ListWalk): Flow {
  const seen = new Set(from);
  const out: (string | null)[] = [...from];
  let frontier: Dirs = from;
  for (let round = 0; ; round++) {
    const c = cond.length ? list(cond, frontier) : either(frontier);
    const b = list(body, cond.length ? (until ? c.fail : c.ok) : frontier);
    out.push(...c.ok, ...c.fail, ...b.ok, ...b.fail);
    const next = [...anyExit(b)].filter((d) => !seen.has(d));
    if (next.length === 0) break;
    if (round >= 1 || seen.size + next.length > MAX_DIRS) {
      if (seen.has(null)) break;
      frontier = UNKNOWN_DIR;
    } else frontier = new Set(next);
    for (const d of frontier) seen.add(d);
  }
  return either(dirs(out));
}

/** `case`: each arm from where the shell was, or also from where a falling-through arm ended. */
export function caseFlow(c: Command, from: Dirs, list: ListWalk): Flow {
  const out: (string | null)[] = [...from]; // no arm matched
  let carried: Dirs = new Set();
  for (const item of c.Items ?? []) {
    const f = list(item.Stmts ?? [], dirs(from, carried));
    out.push(...f.ok, ...f.fail);
    carried = item.Op === CASE_BREAK ? new Set() : anyExit(f);
  }
  return either(dirs(out));
}
