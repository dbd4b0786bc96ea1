/**
 * A small typed facade over mvdan-sh (mvdan.cc/sh/v3/syntax compiled to JS with GopherJS): a real
 * POSIX/bash parser. The library ships no types, so the node shapes the policy engine reads are
 * declared here structurally; nothing else in the orchestrator touches mvdan-sh directly.
 *
 * Operator tokens are plain numbers in the Go library. Rather than hard-coding them (they move
 * between versions), they are learnt once at load time by parsing tiny probe scripts.
 */
import { syntax } from 'mvdan-sh';

export interface Pos {
  Offset(): number;
}
export interface ShNode {
  Pos(): Pos;
  End(): Pos;
}
export interface Lit extends ShNode {
  Value: string;
}
export interface Word extends ShNode {
  Parts: WordPart[];
}
/** Lit | SglQuoted | DblQuoted | ParamExp | CmdSubst | ArithmExp | ProcSubst | ExtGlob | BraceExp */
export interface WordPart extends ShNode {
  Value?: string;
  Dollar?: boolean;
  Parts?: WordPart[];
  Stmts?: Stmt[];
  // ParamExp
  Param?: Lit | null;
  Excl?: boolean;
  Length?: boolean;
  /** `${!prefix*}` / `${!prefix@}`: non-zero. */
  Names?: number;
  Index?: ShNode | null;
  Slice?: { Offset: ShNode | null; Length: ShNode | null } | null;
  Exp?: { Op: number; Word: Word | null } | null;
  Repl?: unknown;
}
export interface Assign extends ShNode {
  Name: Lit | null;
  Index: ShNode | null;
  Value: Word | null;
  Array: { Elems: { Index: ShNode | null; Value: Word | null }[] } | null;
  Naked: boolean;
  Append: boolean;
}
export interface Redirect extends ShNode {
  Op: number;
  N: Lit | null;
  Word: Word | null;
  Hdoc: Word | null;
}
export interface Stmt extends ShNode {
  Cmd: Command | null;
  Redirs: Redirect[];
  Negated: boolean;
  Background: boolean;
  Coprocess: boolean;
}
/** Any command node; fields are present depending on nodeType(). */
export interface Command extends ShNode {
  // CallExpr
  Assigns?: Assign[];
  Args?: Word[] | Assign[];
  // BinaryCmd
  Op?: number;
  X?: Stmt;
  Y?: Stmt;
  // Block, Subshell
  Stmts?: Stmt[];
  // FuncDecl
  Name?: Lit;
  Body?: Stmt;
  // DeclClause
  Variant?: Lit;
  // ForClause (WordIter loops; `select` too; CStyleLoop has Init/Cond/Post)
  Loop?: { Name?: Lit; Items?: Word[] };
  // IfClause (an `else` is an IfClause without Cond), WhileClause (Until), ForClause: the bodies
  Cond?: Stmt[];
  Then?: Stmt[];
  Else?: Command | null;
  Until?: boolean;
  Do?: Stmt[];
  // CaseClause
  Word?: Word;
  Items?: { Op: number; Patterns: Word[]; Stmts: Stmt[] }[];
  // TimeClause, CoprocClause
  Stmt?: Stmt | null;
}
export interface File extends ShNode {
  Stmts: Stmt[];
}

export const nodeType = (n: unknown): string => syntax.NodeType(n);

/** Visits every node under `root` depth-first; returning false skips a node's children. */
export function walk(root: unknown, visit: (node: unknown, type: string) => boolean): void {
  syntax.Walk(root, (n: unknown) => (n == null ? true : visit(n, syntax.NodeType(n))));
}

export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

const parser = syntax.NewParser(syntax.Variant(syntax.LangBash));

/** Parses a bash script. Throws ShellSyntaxError with "line:col: message". */
export function parseScript(src: string): File {
  try {
    return parser.Parse(src, 'cmd') as File;
  } catch (err) {
    const e = err as { Error?: () => string; message?: string };
    const text = typeof e.Error === 'function' ? e.Error() : String(e.message ?? err);
    throw new ShellSyntaxError(text.replace(/^cmd:/, ''));
  }
}

/** The source text a node spans (for display in reasons and argv). */
export const sourceOf = (src: string, n: ShNode): string => src.slice(n.Pos().Offset(), n.End().Offset());

function probeBinary(src: string): number {
  const f = parser.Parse(src, 'probe') as File;
  const op = f.Stmts[0]?.Cmd?.Op;
  if (typeof op !== 'number') throw new Error(`mvdan-sh probe failed for ${src}`);
  return op;
}
function probeRedirect(src: string): number {
  const f = parser.Parse(src, 'probe') as File;
  const op = f.Stmts[0]?.Redirs[0]?.Op;
  if (typeof op !== 'number') throw new Error(`mvdan-sh probe failed for ${src}`);
  return op;
}

export const BinOp = {
  and: probeBinary('a && b'),
  or: probeBinary('a || b'),
  pipe: probeBinary('a | b'),
  pipeAll: probeBinary('a |& b'),
} as const;

export const RedirOp = {
  out: probeRedirect('a > b'),
  append: probeRedirect('a >> b'),
  in: probeRedirect('a < b'),
  inOut: probeRedirect('a <> b'),
  dupIn: probeRedirect('a <& 0'),
  dupOut: probeRedirect('a >& 2'),
  clobber: probeRedirect('a >| b'),
  hdoc: probeRedirect('a <<E\nE\n'),
  dashHdoc: probeRedirect('a <<-E\nE\n'),
  hereString: probeRedirect('a <<< b'),
  all: probeRedirect('a &> b'),
  appendAll: probeRedirect('a &>> b'),
} as const;

/** The operator ending a `case` arm: `;;` stops, `;&` and `;;&` go on into the next arm. */
export const CASE_BREAK = (parser.Parse('case x in a) b;; esac', 'probe') as File).Stmts[0]?.Cmd?.Items?.[0]?.Op;

function probeTest(src: string): number {
  const f = parser.Parse(src, 'probe') as File;
  const op = (f.Stmts[0]?.Cmd as { X?: { Op?: number } } | undefined)?.X?.Op;
  if (typeof op !== 'number') throw new Error(`mvdan-sh probe failed for ${src}`);
  return op;
}

/** `[[ a -eq b ]]` and friends: bash evaluates both sides as arithmetic expressions. */
export const ARITH_TEST_OPS: ReadonlySet<number> = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge'].map((op) => probeTest(`[[ a ${op} b ]]`)));
/** `[[ -v name ]]`, `[[ -R name ]]`: the operand is a variable name (with a subscript, evaluated). */
export const NAME_TEST_OPS: ReadonlySet<number> = new Set(['-v', '-R'].map((op) => probeTest(`[[ ${op} a ]]`)));
