/**
 * The shell-AST walk: finds every simple command wherever bash would run it (pipelines, lists,
 * subshells, compound commands, function bodies, command/process substitutions, here-docs) and
 * records one judged Part for each. What a command does is decided in dispatch.ts.
 */
import { judgeCommand } from './dispatch';
import { envAssignmentRisk } from './command-sets';
import type { WorkspacePaths } from './paths';
import type { Policy } from './policy';
import type { RuleContext } from './rule-context';
import { BinOp, nodeType, parseScript, RedirOp, ShellSyntaxError, sourceOf, walk, type Assign, type Command, type Redirect, type Stmt, type Word } from './shell';
import { allow, deny, worse, worseOf, type Judgment, type Part } from './verdicts';
import { evalWord, type Arg } from './words';

/** `bash -c "bash -c …"` nesting limit, and the longest line parsed at all (parser time is bounded). */
const MAX_DEPTH = 6;
const MAX_INPUT = 64 * 1024;

const WRITE_REDIRECTS = [RedirOp.out, RedirOp.append, RedirOp.clobber, RedirOp.inOut, RedirOp.all, RedirOp.appendAll];

export class ScriptWalker implements RuleContext {
  readonly parts: Part[] = [];
  readonly functions = new Set<string>();

  constructor(
    readonly paths: WorkspacePaths,
    readonly autoCommit: boolean,
    readonly policy: Policy,
  ) {}

  command(args: Arg[], depth: number): Judgment {
    return judgeCommand(this, args, depth);
  }

  script(src: string, depth: number, display: string[]): void {
    if (depth > MAX_DEPTH) {
      this.push(display, deny(`nested shells deeper than ${MAX_DEPTH} levels`, true));
      return;
    }
    if (src.length > MAX_INPUT) {
      this.push(display, deny(`command longer than ${MAX_INPUT} bytes`, true));
      return;
    }
    let file;
    try {
      file = parseScript(src);
    } catch (err) {
      const msg = err instanceof ShellSyntaxError ? err.message : String(err);
      this.push(display, deny(`cannot parse the command (${msg}); a command that cannot be parsed cannot be checked`, true));
      return;
    }
    if (file.Stmts.length === 0) {
      this.push(display, deny('empty command', true));
      return;
    }
    for (const st of file.Stmts) this.stmt(src, st, depth);
  }

  private push(argv: string[], j: Judgment): void {
    this.parts.push({ ...j, argv });
  }

  /** Classifies a statement; returns the tags of the simple command it ran (for pipelines). */
  private stmt(src: string, st: Stmt, depth: number): Judgment['tag'] {
    let redir: Judgment | undefined;
    for (const r of st.Redirs ?? []) redir = worse(redir ?? allow('redirection'), this.redirect(src, r, depth));
    const cmd = st.Cmd;
    const t = cmd ? nodeType(cmd) : '';
    if (cmd && t === 'CallExpr') {
      // The command's own part goes before the parts of substitutions found in its words.
      const before = this.parts.length;
      const j = this.call(src, cmd, depth);
      const final = redir ? worse(j.j, redir) : j.j;
      this.parts.splice(before, 0, { ...final, argv: j.argv });
      return j.j.tag;
    }
    if (redir && redir.verdict !== 'allow') this.push((st.Redirs ?? []).map((r) => sourceOf(src, r)), redir);
    if (!cmd) return undefined;
    if (t === 'BinaryCmd') {
      if (cmd.Op === BinOp.pipe || cmd.Op === BinOp.pipeAll) this.pipeline(src, cmd, depth);
      else {
        if (cmd.X) this.stmt(src, cmd.X, depth);
        if (cmd.Y) this.stmt(src, cmd.Y, depth);
      }
      return undefined;
    }
    if (t === 'FuncDecl') {
      if (cmd.Name) this.functions.add(cmd.Name.Value);
      if (cmd.Body) this.stmt(src, cmd.Body, depth);
      return undefined;
    }
    if (t === 'DeclClause') {
      this.decl(src, cmd, depth);
      return undefined;
    }
    // Compound commands (if/while/for/case/{ }/( )/[[ ]]/(( ))/time/coproc/let): classify every
    // statement and every word inside, whatever the construct.
    walk(cmd, (n, nt) => {
      if (n === cmd) return true;
      if (nt === 'Stmt') {
        this.stmt(src, n as Stmt, depth);
        return false;
      }
      if (nt === 'Word') {
        this.substitutions(src, n as Word, depth);
        return false;
      }
      return true;
    });
    return undefined;
  }

  /** A download piped into something that runs stdin as code (`curl … | sh`) is denied as a whole. */
  private pipeline(src: string, cmd: Command, depth: number): void {
    const stages: Stmt[] = [];
    const flatten = (s: Stmt): void => {
      const c = s.Cmd;
      if (c && nodeType(c) === 'BinaryCmd' && (c.Op === BinOp.pipe || c.Op === BinOp.pipeAll) && (s.Redirs ?? []).length === 0) {
        if (c.X) flatten(c.X);
        if (c.Y) flatten(c.Y);
      } else stages.push(s);
    };
    if (cmd.X) flatten(cmd.X);
    if (cmd.Y) flatten(cmd.Y);
    let fetched = false;
    for (const s of stages) {
      const tag = this.stmt(src, s, depth);
      if (tag === 'stdin-code' && fetched) this.push([sourceOf(src, cmd)], deny('pipes downloaded content into an interpreter (curl … | sh)', true));
      if (tag === 'fetch') fetched = true;
    }
  }

  /** export/declare/local/readonly: only the assignments matter. */
  private decl(src: string, cmd: Command, depth: number): void {
    const variant = cmd.Variant?.Value ?? 'declare';
    let j = allow(`${variant} (shell variables)`);
    for (const a of (cmd.Args ?? []) as Assign[]) {
      if (nodeType(a) !== 'Assign') continue;
      if (a.Value) this.substitutions(src, a.Value, depth);
      const name = a.Name?.Value;
      if (name && !a.Naked) j = worse(j, envAssignmentRisk(name, true));
    }
    this.push([sourceOf(src, cmd)], j);
  }

  /** Classifies command/process substitutions nested anywhere in a word (they run first). */
  private substitutions(src: string, word: Word, depth: number): void {
    walk(word, (n, nt) => {
      if (nt === 'CmdSubst' || nt === 'ProcSubst') {
        for (const s of (n as { Stmts?: Stmt[] }).Stmts ?? []) this.stmt(src, s, depth);
        return false;
      }
      return true;
    });
  }

  private redirect(src: string, r: Redirect, depth: number): Judgment {
    if (r.Word) this.substitutions(src, r.Word, depth);
    if (r.Hdoc) this.substitutions(src, r.Hdoc, depth);
    const dup = r.Op === RedirOp.dupOut || r.Op === RedirOp.dupIn;
    if (!r.Word || (!WRITE_REDIRECTS.includes(r.Op) && !dup)) return allow('input redirection');
    const target = evalWord(src, r.Word);
    if (dup) {
      if (target.static && /^(\d+-?|-)$/.test(target.text)) return allow('file descriptor duplication');
      if (r.Op === RedirOp.dupIn) return allow('input redirection');
    }
    return this.paths.writeTarget(target, `redirection to ${target.raw}`) ?? allow('write inside the workspace', 'medium');
  }

  /** A simple command: its words are evaluated statically, its prefix assignments checked. */
  private call(src: string, cmd: Command, depth: number): { argv: string[]; j: Judgment } {
    const words = (cmd.Args ?? []) as Word[];
    const args = words.map((w) => {
      this.substitutions(src, w, depth);
      return evalWord(src, w);
    });
    let j: Judgment | undefined;
    for (const a of cmd.Assigns ?? []) {
      if (a.Value) this.substitutions(src, a.Value, depth);
      const name = a.Name?.Value;
      if (name) j = worseOf(j, envAssignmentRisk(name));
    }
    const argv = args.map((a) => (a.static ? a.text : a.raw));
    if (args.length === 0) return { argv: (cmd.Assigns ?? []).map((a) => sourceOf(src, a)), j: j ?? allow('variable assignment') };
    const res = this.command(args, depth);
    return { argv, j: j ? worse(res, j) : res };
  }
}

