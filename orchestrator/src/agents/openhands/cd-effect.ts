/**
 * Where a command line leaves a persistent bash shell (OpenHands' terminal keeps one across
 * commands): read from the line's syntax tree (the policy's bash parser), never run. The answer is
 * every directory the shell may be in afterwards — a `cd` may fail, so the old directory stays
 * possible — or null when it cannot be known (`cd "$(…)"`, `popd`, `cd` inside an `if` or a loop, a
 * call of a function the conversation defined, `mapfile -C`, ...). Only what runs in the shell
 * itself counts: subshells `( … )`, pipeline stages, background jobs and command substitutions
 * cannot move it.
 */
import * as path from 'node:path';
import { BinOp, nodeType, parseScript, walk, type Command, type Stmt, type Word } from '../../policy/shell';
import { evalWord, type Arg } from '../../policy/words';

export interface ShellDirs {
  /** Every directory the shell may be in; null: not known. */
  dirs: ReadonlySet<string> | null;
  /** Where it is if every `cd` succeeded (what a person is shown); undefined when not known. */
  likely: string | undefined;
}

export interface CdEffect extends ShellDirs {
  /** The line is one plain `cd <dir>` (its observation can tell whether it worked). */
  loneCd: boolean;
  /** The line touches what makes the shell move by itself later (PROMPT_COMMAND, traps, CDPATH, autocd, ...). */
  volatile: boolean;
}

/** More candidate directories than this: the shell's place counts as unknown. */
const MAX_DIRS = 8;
const CD = new Set(['cd', 'pushd', 'popd']);
/** Builtins that run code given as text or a name inside the shell itself (the policy denies or asks most of them). */
const RUNS_CODE_HERE = new Set(['eval', 'source', '.', 'trap', 'enable', 'fc', 'mapfile', 'readarray', 'exec']);
/** Later commands (or every prompt) may move the shell once these are set: from then on its place is unknown. */
const VOLATILE = /PROMPT_COMMAND|CDPATH|autocd|cdable_vars|\btrap\b|\bshopt\b/;
const CD_OPTIONS = /^-[LPe@]+$/;
/** Builtins that set a variable whose name is an argument: a name not known statically may be PROMPT_COMMAND. */
const NAMES_VARIABLE = new Set(['read', 'mapfile', 'readarray', 'getopts', 'printf']);

type Dirs = Set<string> | null;
interface State {
  dirs: Dirs;
  likely: string | undefined;
}

const UNKNOWN: State = { dirs: null, likely: undefined };

class Walker {
  constructor(
    private readonly src: string,
    private readonly ws: string,
    private readonly functions: Set<string>,
  ) {}

  list(stmts: readonly Stmt[], s: State): State {
    for (const st of stmts) s = this.stmt(st, s);
    return s;
  }

  private stmt(st: Stmt, s: State): State {
    const cmd = st.Cmd;
    if (!cmd || st.Background || st.Coprocess) return s; // a background job runs in a subshell
    const t = nodeType(cmd);
    if (t === 'CallExpr') return this.call(cmd, s);
    if (t === 'BinaryCmd') {
      if (cmd.Op === BinOp.pipe || cmd.Op === BinOp.pipeAll) return s; // every stage is a subshell
      const x = cmd.X ? this.stmt(cmd.X, s) : s;
      const y = cmd.Y ? this.stmt(cmd.Y, x) : x; // `&&`/`||`: Y may not run
      return { dirs: union(x.dirs, y.dirs, this.ws), likely: y.likely };
    }
    if (t === 'Subshell' || t === 'FuncDecl' || t === 'TestClause' || t === 'ArithmCmd' || t === 'DeclClause') return s;
    if (t === 'Block') return this.list(cmd.Stmts ?? [], s);
    // if/while/for/case/time/...: whether and how often a cd inside runs is not known statically.
    return this.movesShell(cmd) ? UNKNOWN : s;
  }

  private words(cmd: Command): Arg[] {
    return ((cmd.Args ?? []) as Word[]).map((w) => evalWord(this.src, w));
  }

  private call(cmd: Command, s: State): State {
    let args = this.words(cmd);
    // `builtin cd x` and `command cd x` are cd; `command -v cd` only prints.
    while (args[0]?.static && (args[0].text === 'builtin' || args[0].text === 'command')) {
      if (args[0].text === 'command' && args[1]?.static && /^-[a-zA-Z]*[vV]/.test(args[1].text)) return s;
      args = args.slice(args[0].text === 'command' && args[1]?.text === '-p' ? 2 : 1);
    }
    const name = args[0];
    if (!name) return s; // assignments only
    if (!name.static) return UNKNOWN; // the policy denies it; should it ever run, it may be cd
    if (this.functions.has(name.text) || RUNS_CODE_HERE.has(name.text)) return UNKNOWN;
    if (!CD.has(name.text)) return s;
    const target = cdTarget(name.text, args.slice(1));
    if (target === undefined || !s.dirs) return UNKNOWN;
    const next = new Set<string>([this.ws]); // a replaced (reset) terminal starts in the workspace
    for (const d of s.dirs) {
      next.add(d); // the cd may fail
      next.add(path.posix.resolve(d, target));
    }
    if (next.size > MAX_DIRS) return UNKNOWN;
    return { dirs: next, likely: s.likely === undefined ? undefined : path.posix.resolve(s.likely, target) };
  }

  /** Could something under `cmd` move this shell (not inside a subshell or substitution)? */
  private movesShell(cmd: Command): boolean {
    let moves = false;
    walk(cmd, (n, nt) => {
      if (moves || nt === 'Subshell' || nt === 'CmdSubst' || nt === 'ProcSubst') return false;
      if (nt === 'CallExpr') {
        const first = this.words(n as Command)[0];
        if (first && (!first.static || CD.has(first.text) || RUNS_CODE_HERE.has(first.text) || this.functions.has(first.text) || first.text === 'builtin' || first.text === 'command')) moves = true;
      }
      return !moves;
    });
    return moves;
  }
}

/** The directory `cd`/`pushd` goes to (relative or absolute), or undefined when it is not statically known. */
function cdTarget(name: string, rest: Arg[]): string | undefined {
  if (name === 'popd') return undefined;
  let i = 0;
  for (; i < rest.length; i++) {
    const a = rest[i] as Arg;
    if (!a.static) return undefined;
    if (a.text === '--') {
      i++;
      break;
    }
    if (!a.text.startsWith('-') || a.text === '-') break;
    if (!CD_OPTIONS.test(a.text)) return undefined;
  }
  const t = rest[i];
  if (!t || !t.static || t.tilde || t.glob || t.text === '' || t.text === '-' || /^[+-]\d/.test(t.text)) return undefined;
  return t.text;
}

function union(a: Dirs, b: Dirs, ws: string): Dirs {
  if (!a || !b) return null;
  const u = new Set([ws, ...a, ...b]);
  return u.size > MAX_DIRS ? null : u;
}

/**
 * Could the line set PROMPT_COMMAND & co. under a name the raw text does not show: quoted pieces
 * (`"PROMPT""_COMMAND=…"`, `$'…'` escapes), or a name only known at run time given to `declare`,
 * `export`, `read`, `printf -v`, ...
 */
function setsHiddenVariable(src: string, file: ReturnType<typeof parseScript>): boolean {
  let hidden = false;
  walk(file, (n, nt) => {
    if (hidden) return false;
    if (nt === 'Word') {
      const w = evalWord(src, n as Word);
      if (w.static && VOLATILE.test(w.text)) hidden = true;
      return true;
    }
    if (nt === 'DeclClause') {
      for (const a of ((n as Command).Args ?? []) as Array<{ Name?: { Value: string } | null; Value?: Word | null; Naked?: boolean }>) {
        const w = a.Value ? evalWord(src, a.Value) : undefined;
        if (!a.Name && w && !w.static) hidden = true; // `declare "$x=…"`
      }
    }
    if (nt === 'CallExpr') {
      const [name, ...rest] = ((n as Command).Args ?? []) as Word[];
      const cmd = name ? evalWord(src, name) : undefined;
      if (cmd?.static && NAMES_VARIABLE.has(cmd.text) && rest.some((w) => !evalWord(src, w).static) && (cmd.text !== 'printf' || rest.some((w) => evalWord(src, w).text.startsWith('-v')))) hidden = true;
    }
    return true;
  });
  return hidden;
}

/**
 * The shell's place after `command`, starting from `from`. Function names the line defines are
 * added to `functions` (the shell keeps them: a later call may cd). A line that does not parse
 * leaves the shell where it was (bash runs nothing of it; the policy denies it anyway).
 */
export function cdEffect(command: string, from: ShellDirs, ws: string, functions: Set<string>): CdEffect {
  let file;
  try {
    file = parseScript(command);
  } catch {
    return { dirs: from.dirs, likely: from.likely, loneCd: false, volatile: VOLATILE.test(command) };
  }
  const volatile = VOLATILE.test(command) || setsHiddenVariable(command, file);
  walk(file, (n, nt) => {
    if (nt === 'FuncDecl') {
      const name = (n as Command).Name?.Value;
      if (name) functions.add(name);
    }
    return true;
  });
  const start: State = { dirs: from.dirs ? new Set(from.dirs) : null, likely: from.likely };
  const end = new Walker(command, ws, functions).list(file.Stmts, start);
  const only = file.Stmts.length === 1 ? file.Stmts[0] : undefined;
  const cmd = only && !only.Background && !only.Negated && (only.Redirs ?? []).length === 0 ? only.Cmd : undefined;
  const words = cmd && nodeType(cmd) === 'CallExpr' && !(cmd.Assigns ?? []).length ? ((cmd.Args ?? []) as Word[]).map((w) => evalWord(command, w)) : [];
  const loneCd = words.length >= 1 && words[0]?.static === true && (words[0].text === 'cd' || words[0].text === 'pushd') && cdTarget(words[0].text, words.slice(1)) !== undefined;
  return { dirs: end.dirs, likely: end.dirs ? end.likely : undefined, loneCd, volatile };
}
