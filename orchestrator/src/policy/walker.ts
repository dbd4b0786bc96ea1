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
import { gitPathEnvRisk } from './rules/git';
import { BinOp, nodeType, parseScript, RedirOp, ShellSyntaxError, sourceOf, walk, type Assign, type Command, type Redirect, type Stmt, type Word } from './shell';
import { VariableFlow } from './variable-flow';
import { allow, ask, deny, worse, worseOf, type Judgment, type Part } from './verdicts';
import { evalWord, type Arg } from './words';

/** `bash -c "bash -c …"` nesting limit, and the longest line parsed at all (parser time is bounded). */
const MAX_DEPTH = 6;
const MAX_INPUT = 64 * 1024;

const WRITE_REDIRECTS = [RedirOp.out, RedirOp.append, RedirOp.clobber, RedirOp.inOut, RedirOp.all, RedirOp.appendAll];

export class ScriptWalker implements RuleContext {
  readonly parts: Part[] = [];
  readonly functions = new Set<string>();
  readonly flow = new VariableFlow();

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
    // Which variables may hold text that bash evaluates again, and the places where it would.
    if (/dotglob|nocaseglob|GLOBIGNORE/.test(src)) this.paths.dotglob = true;
    this.flow.collect(src, file);
    for (const s of [...this.flow.sinks(src, file), ...this.flow.lineRisks()]) this.push(s.argv, s.j);
    this.list(src, file.Stmts, depth, 0);
  }

  /**
   * A list of statements (`a; b`, lines). A statement that moved the directory (`cd x`, `cd x && y`)
   * may have failed — then bash goes on where it was — so what follows is judged from BOTH directories
   * (the worst verdict wins): `cd /tmp/nope; echo x > HEAD` writes /workspace/HEAD when the cd fails.
   * Past two such forks the directory is treated as unknown (relative writes and git then ask).
   */
  private list(src: string, stmts: readonly Stmt[], depth: number, forks: number): void {
    for (const [i, st] of stmts.entries()) {
      const before = this.paths.snapshot();
      this.stmt(src, st, depth);
      const after = this.paths.snapshot();
      const rest = stmts.slice(i + 1);
      if (after === before || rest.length === 0) continue;
      if (forks >= 2) {
        this.paths.chdir(null);
        continue;
      }
      this.paths.restore(before);
      this.list(src, rest, depth, forks + 1);
      this.paths.restore(after);
      this.list(src, rest, depth, forks + 1);
      return;
    }
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
      return final.tag;
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
    // Tests and arithmetic run nothing by themselves (variable-flow.ts judges what they evaluate).
    if (t === 'TestClause' || t === 'ArithmCmd' || t === 'LetClause') this.push([sourceOf(src, cmd)], allow('shell test or arithmetic'));
    // Compound commands (if/while/for/case/{ }/( )/[[ ]]/(( ))/time/coproc/let): classify every
    // statement and every word inside, whatever the construct. `( … )` is a subshell: its cd stays inside.
    if (t === 'Subshell') {
      this.paths.subshell(() => this.compound(src, cmd, depth));
      return undefined;
    }
    this.compound(src, cmd, depth);
    return undefined;
  }

  private compound(src: string, cmd: Command, depth: number): void {
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
      // Every stage runs in a subshell (no lastpipe): a cd there moves nothing after the pipeline.
      const tag = this.paths.subshell(() => this.stmt(src, s, depth));
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
      this.substitutions(src, a, depth);
      const name = a.Name?.Value;
      if (name && !a.Naked) j = worse(j, worseOf(envAssignmentRisk(name, true), gitPathEnvRisk(this, name, a.Value ? evalWord(src, a.Value) : undefined)));
      // A quoted word is a name bash parses at run time (`declare 'a[$(cmd)]'`): it must be plain.
      if (!a.Name && a.Value) {
        const w = evalWord(src, a.Value);
        if (!(w.static && /^[-+][a-zA-Z]+$/.test(w.text))) {
          const eq = w.static ? w.text.indexOf('=') : -1;
          j = worse(j, this.flow.nameRisk(eq < 0 ? w : { ...w, text: w.text.slice(0, eq) }, variant));
        }
      }
    }
    this.push([sourceOf(src, cmd)], j);
  }

  /** Classifies command/process substitutions nested anywhere in a word or assignment (they run first). */
  private substitutions(src: string, word: Word | Assign, depth: number): void {
    walk(word, (n, nt) => {
      if (nt === 'CmdSubst' || nt === 'ProcSubst') {
        this.paths.subshell(() => {
          for (const s of (n as { Stmts?: Stmt[] }).Stmts ?? []) this.stmt(src, s, depth);
        });
        return false;
      }
      return true;
    });
  }

  private redirect(src: string, r: Redirect, depth: number): Judgment {
    if (r.Word) this.substitutions(src, r.Word, depth);
    if (r.Hdoc) this.substitutions(src, r.Hdoc, depth);
    // `{fd}>file` assigns a variable: a subscript there would be evaluated like any other name.
    const varFd = r.N?.Value.startsWith('{') && !/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(r.N.Value) ? ask(`redirection variable ${r.N.Value} is not a plain name`) : undefined;
    const dup = r.Op === RedirOp.dupOut || r.Op === RedirOp.dupIn;
    const write = WRITE_REDIRECTS.includes(r.Op);
    if (!r.Word || (!write && !dup && r.Op !== RedirOp.in)) return worse(allow('here-document'), varFd);
    const target = evalWord(src, r.Word);
    if (dup) {
      if (target.static && /^(\d+-?|-)$/.test(target.text)) return worse(allow('file descriptor duplication'), varFd);
      if (r.Op === RedirOp.dupIn) return worse(allow('input redirection'), this.paths.redirectTarget(target, false) ?? varFd);
    }
    const j = this.paths.redirectTarget(target, write || dup);
    return worse(j ?? (write || dup ? allow('write inside the workspace', 'medium') : allow('input redirection')), varFd);
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
      this.substitutions(src, a, depth);
      const name = a.Name?.Value;
      if (name) j = worseOf(j, worseOf(envAssignmentRisk(name), gitPathEnvRisk(this, name, a.Value ? evalWord(src, a.Value) : undefined)));
    }
    const argv = args.map((a) => (a.static ? a.text : a.raw));
    if (args.length === 0) return { argv: (cmd.Assigns ?? []).map((a) => sourceOf(src, a)), j: j ?? allow('variable assignment') };
    const res = this.command(args, depth);
    return { argv, j: j ? worse(res, j) : res };
  }
}

