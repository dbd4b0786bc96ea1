/**
 * Shell variables whose text bash parses again. In arithmetic (`$((x))`, `((x))`, `let`,
 * `[[ x -eq 1 ]]`, array subscripts, `${s:x}`), in `${!x}` indirection and in `${x@P}` prompt
 * expansion, a variable's *value* is evaluated: a value such as `a[$(cmd)]` runs cmd. The same
 * holds for a subscript inside a variable *name* given to a builtin (`test -v`, `read`,
 * `printf -v`, `unset`, `declare` … — see `nameRisk`).
 *
 * So the policy tracks, over the whole line, which variables may hold such text ("tainted"):
 * assigned from command output, input (`read`, `mapfile`, `getopts`, `printf -v`), positional
 * parameters, loop words that are not plain, or quoted text containing `$`, backquotes, brackets or
 * quotes — and asks when a tainted variable reaches one of those places. Variables the line never
 * assigns come from the sandbox's environment, which the agent does not control.
 */
import { ARITH_TEST_OPS, NAME_TEST_OPS, nodeType, sourceOf, walk, type Assign, type Command, type File, type ShNode, type Word, type WordPart } from './shell';
import { ask, type Judgment } from './verdicts';
import { evalWord, literalArg, type Arg } from './words';

/** Set by bash itself from input, arguments or command text. */
const IMPLICIT = ['_', '-', '0', '@', '*', 'REPLY', 'MAPFILE', 'OPTARG', 'BASH_REMATCH', 'BASH_ARGV', 'BASH_COMMAND', 'BASH_EXECUTION_STRING', 'COMP_LINE', 'COMP_WORDS', 'COMPREPLY', 'READLINE_LINE'];
/** Special parameters that always hold a number. */
const NUMERIC_SPECIAL = new Set(['#', '?', '$', '!', 'RANDOM', 'SRANDOM', 'LINENO', 'SECONDS', 'EPOCHSECONDS', 'BASHPID', 'PPID', 'UID', 'EUID', 'OPTIND']);
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/g;
/** Text bash would parse again as a substitution, a subscript or a quoted string. */
const REEVALUATED = /[$`[\]\\'"]/;

export const DECLARE_LIKE = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
/** Builtins that assign the variables named by their arguments from input or formatting. */
const INPUT_ASSIGNERS = new Set(['read', 'mapfile', 'readarray', 'printf', 'getopts', 'wait']);

/** A value: tainted right away, or tainted when one of the variables it names is. */
interface ValueInfo {
  now: boolean;
  refs: string[];
}
const CLEAN: ValueInfo = { now: false, refs: [] };
const TAINTED: ValueInfo = { now: true, refs: [] };

export interface Sink {
  argv: string[];
  j: Judgment;
}

function textInfo(text: string): ValueInfo {
  return REEVALUATED.test(text) ? TAINTED : { now: false, refs: text.match(IDENT) ?? [] };
}

/** What a word may evaluate to, for taint purposes. */
function wordInfo(word: Word | null | undefined): ValueInfo {
  if (!word) return CLEAN;
  const refs: string[] = [];
  const part = (p: WordPart): boolean => {
    const t = nodeType(p);
    if (t === 'Lit' || t === 'SglQuoted') {
      const info = textInfo(p.Value ?? '');
      refs.push(...info.refs);
      return info.now;
    }
    if (t === 'DblQuoted') return (p.Parts ?? []).some(part);
    if (t === 'ArithmExp') return false; // a number
    if (t === 'ParamExp') {
      if (p.Length) return false;
      const name = p.Param?.Value ?? '';
      if (p.Excl || p.Index || p.Slice || p.Exp || p.Repl) return true;
      if (NUMERIC_SPECIAL.has(name)) return false;
      refs.push(name);
      return false;
    }
    return true; // command or process substitution, extglob, brace expansion
  };
  return word.Parts.some(part) ? TAINTED : { now: false, refs };
}

function argInfo(a: Arg): ValueInfo {
  return !a.static || a.glob ? TAINTED : textInfo(a.text);
}

export class VariableFlow {
  private readonly values = new Map<string, ValueInfo[]>();
  private readonly tainted = new Set<string>(IMPLICIT);
  /** Variables with the integer attribute: every assignment to them is evaluated as arithmetic. */
  private readonly integer = new Set<string>();
  private namerefAt: string | undefined;
  /**
   * Variables assigned through a name given as a word (`read X`, `printf -v X`, `declare "X=…"`):
   * the environment-variable checks of plain assignments (PATH=, CDPATH=, …) never saw them.
   */
  readonly namedAssigns = new Set<string>();

  isTainted(name: string): boolean {
    return this.tainted.has(name) || /^\d+$/.test(name);
  }

  private assign(name: string, info: ValueInfo): void {
    const list = this.values.get(name) ?? [];
    list.push(info);
    this.values.set(name, list);
  }

  /** Records the assignments and attributes of a parsed script (call before `sinks`). */
  collect(src: string, file: File): void {
    walk(file, (n, t) => {
      if (t === 'Assign') {
        const a = n as Assign;
        const name = a.Name?.Value;
        if (name) {
          if (a.Array) for (const e of a.Array.Elems) this.assign(name, wordInfo(e.Value));
          else this.assign(name, wordInfo(a.Value));
        }
      } else if (t === 'DeclClause') {
        this.declaration(src, n as Command);
      } else if (t === 'CallExpr') {
        const args = (((n as Command).Args as Word[] | undefined) ?? []).map((w) => evalWord(src, w));
        const at = args.findIndex((a) => !(a.static && ['command', 'builtin'].includes(a.text)));
        const cmd = args[at];
        if (cmd?.static && INPUT_ASSIGNERS.has(cmd.text))
          for (const a of args.slice(at + 1))
            if (a.static && /^[A-Za-z_][A-Za-z0-9_]*$/.test(a.text)) {
              this.assign(a.text, TAINTED);
              this.namedAssigns.add(a.text);
            }
        if (cmd?.static && DECLARE_LIKE.has(cmd.text)) this.declArgs(args.slice(at + 1), src, n as ShNode, true);
      } else if (t === 'ForClause') {
        const loop = (n as Command).Loop;
        const name = loop?.Name?.Value;
        if (name && loop?.Items) for (const w of loop.Items) this.assign(name, argInfo(evalWord(src, w)));
        else if (name) this.assign(name, TAINTED); // `for x; do` iterates over the positional parameters
      }
      return true;
    });
    for (let changed = true; changed; ) {
      changed = false;
      for (const [name, infos] of this.values) {
        if (this.tainted.has(name) || !infos.some((i) => i.now || i.refs.some((r) => this.isTainted(r)))) continue;
        this.tainted.add(name);
        changed = true;
      }
    }
  }

  /** `declare -i x=…`, `local -n r=…`: flags, and names written as quoted words. */
  private declaration(src: string, cmd: Command): void {
    // Plain `name=value` assignments are recorded by the Assign visit; here only the names matter.
    const args = ((cmd.Args ?? []) as Assign[]).map((a): Arg | undefined => (a.Name ? literalArg(a.Name.Value) : a.Value ? evalWord(src, a.Value) : undefined));
    this.declArgs(args.filter((a): a is Arg => a !== undefined), src, cmd);
    for (const a of (cmd.Args ?? []) as Assign[]) if (!a.Name && a.Value) this.namedByWord(evalWord(src, a.Value));
  }

  private namedByWord(a: Arg): void {
    if (a.static && !/^[-+][a-zA-Z]+$/.test(a.text)) this.namedAssigns.add(a.text.split('=')[0]?.replace(/\[.*$/s, '') ?? '');
  }

  private declArgs(args: Arg[], src: string, at: ShNode, byWord = false): void {
    if (byWord) for (const a of args) this.namedByWord(a);
    let integer = false;
    for (const a of args) {
      if (a.static && /^[-+][a-zA-Z]+$/.test(a.text)) {
        if (a.text.startsWith('-') && a.text.includes('n')) this.namerefAt ??= sourceOf(src, at);
        if (a.text.startsWith('-') && a.text.includes('i')) integer = true;
        continue;
      }
      const eq = a.text.indexOf('=');
      const name = (eq < 0 ? a.text : a.text.slice(0, eq)).replace(/\[.*$/s, '');
      if (integer) this.integer.add(name);
      if (eq >= 0) this.assign(name, a.static ? textInfo(a.text.slice(eq + 1)) : TAINTED);
    }
  }

  /** Where the script makes bash evaluate a variable's text: one ask per place. */
  sinks(src: string, file: File): Sink[] {
    const out: Sink[] = [];
    const flag = (n: ShNode, reason: string): void => {
      out.push({ argv: [sourceOf(src, n)], j: ask(reason, 'high') });
    };
    walk(file, (n, t) => {
      const node = n as ShNode;
      const c = n as { X?: ShNode; Y?: ShNode; Exprs?: ShNode[]; Init?: ShNode; Cond?: ShNode; Post?: ShNode; Op?: number };
      if (t === 'ArithmExp' || t === 'ArithmCmd') {
        this.arithmetic(src, c.X, node, flag);
        return false;
      }
      if (t === 'LetClause') for (const e of c.Exprs ?? []) this.arithmetic(src, e, node, flag);
      if (t === 'CStyleLoop') for (const e of [c.Init, c.Cond, c.Post]) this.arithmetic(src, e, node, flag);
      if (t === 'BinaryTest' && c.Op !== undefined && ARITH_TEST_OPS.has(c.Op)) {
        this.arithmetic(src, c.X, node, flag);
        this.arithmetic(src, c.Y, node, flag);
      }
      if (t === 'UnaryTest' && c.Op !== undefined && NAME_TEST_OPS.has(c.Op) && c.X) {
        const risk = this.nameRisk(evalWord(src, c.X as Word), '[[ -v ]]');
        if (risk) out.push({ argv: [sourceOf(src, node)], j: risk });
      }
      if (t === 'ParamExp') this.paramExp(src, n as WordPart, flag);
      if (t === 'Assign') {
        const a = n as Assign;
        if (a.Index) this.arithmetic(src, a.Index, a.Index, flag);
        for (const e of a.Array?.Elems ?? []) if (e.Index) this.arithmetic(src, e.Index, e.Index, flag);
      }
      return true;
    });
    return out;
  }

  /** Risks that do not belong to one place in the line (attributes, namerefs). */
  lineRisks(): Sink[] {
    const out: Sink[] = [];
    if (this.namerefAt) out.push({ argv: [this.namerefAt], j: ask('a nameref (declare -n) makes assignments reach other variables, whose names bash evaluates', 'high') });
    const both = [...this.integer].filter((v) => this.isTainted(v));
    if (both.length) out.push({ argv: [`declare -i ${both.join(' ')}`], j: ask(`${both.join(', ')} has the integer attribute and may be assigned text that is not plain: bash evaluates it as arithmetic (a subscript in it runs commands)`, 'high') });
    this.namerefAt = undefined;
    return out;
  }

  private paramExp(src: string, p: WordPart, flag: (n: ShNode, reason: string) => void): void {
    const name = p.Param?.Value ?? '';
    const allIndex = p.Index && /^[@*]$/.test(sourceOf(src, p.Index));
    if (p.Excl && !p.Names && !allIndex && this.isTainted(name)) flag(p, `\${!${name}} uses the value of ${name} as a variable name, and ${name} may hold text that is not plain (a subscript in it runs commands)`);
    if (p.Exp && p.Exp.Word && sourceOf(src, p.Exp.Word) === 'P' && /@P\}$/.test(sourceOf(src, p)) && this.isTainted(name)) flag(p, `\${${name}@P} expands ${name} like a prompt, which runs the command substitutions in it`);
    if (p.Index && !allIndex) this.arithmetic(src, p.Index, p, flag);
    if (p.Slice) for (const e of [p.Slice.Offset, p.Slice.Length]) this.arithmetic(src, e, p, flag);
  }

  /** An expression bash evaluates as arithmetic: variables in it are evaluated recursively. */
  private arithmetic(src: string, expr: ShNode | null | undefined, at: ShNode, flag: (n: ShNode, reason: string) => void): void {
    if (!expr) return;
    let reason: string | undefined;
    const what = `in ${sourceOf(src, at)}`;
    walk(expr, (n, t) => {
      if (reason) return false;
      const p = n as WordPart;
      if (t === 'CmdSubst' || t === 'ProcSubst') reason = `${what}: command output is evaluated as arithmetic (a subscript in it runs commands)`;
      else if (t === 'ParamExp' && p.Length) return false;
      else if (t === 'SglQuoted' && REEVALUATED.test(p.Value ?? '')) reason = `${what}: quoted text is evaluated as arithmetic (a subscript with a substitution in it runs commands)`;
      else if (t === 'Lit' || t === 'SglQuoted') {
        const text = p.Value ?? '';
        if (/[$`]/.test(text)) reason = `${what}: quoted text is evaluated as arithmetic (a substitution in it runs commands)`;
        const bad = (text.match(IDENT) ?? []).find((v) => this.isTainted(v));
        if (bad) reason = `${what}: the value of ${bad} is evaluated as arithmetic, and ${bad} may hold text that is not plain (a subscript in it runs commands)`;
      } else if (t === 'ParamExp' && this.isTainted(p.Param?.Value ?? '')) {
        const v = p.Param?.Value ?? '';
        reason = `${what}: the value of $${v} is evaluated as arithmetic, and it may hold text that is not plain (a subscript in it runs commands)`;
      }
      return !reason;
    });
    if (reason) flag(at, reason);
  }

  /**
   * A variable name given to a builtin (`read NAME`, `printf -v NAME`, `test -v NAME`, `unset`,
   * `declare`, …): bash evaluates a subscript in it, substitutions included. Undefined when plain.
   */
  nameRisk(a: Arg, what: string): Judgment | undefined {
    if (!a.static) return ask(`${what} ${a.raw}: a variable name that is not statically known (bash evaluates a subscript in it, commands included)`, 'high');
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(.*)\])?$/s.exec(a.text);
    if (!m) return ask(`${what} ${a.raw}: not a plain variable name (bash evaluates subscripts and substitutions in it)`, 'high');
    const sub = m[2];
    if (sub !== undefined && (REEVALUATED.test(sub) || (sub.match(IDENT) ?? []).some((v) => this.isTainted(v)))) return ask(`${what} ${a.raw}: bash evaluates the subscript, and it may run commands`, 'high');
    return undefined;
  }
}
