/**
 * The shell-AST walk: finds every simple command wherever bash would run it (pipelines, lists,
 * subshells, compound commands, function bodies, command/process substitutions, here-docs) and
 * records one judged Part for each, from every directory the shell may be in there (dir-flow.ts: a
 * `cd` may fail, a branch may not run, a loop runs again from where it ended). What a command does is
 * decided in dispatch.ts.
 */
import * as path from 'node:path';
import { judgeCommand } from './dispatch';
import { envAssignmentRisk } from './command-sets';
import type { WorkspacePaths } from './paths';
import type { Policy } from './policy';
import type { RuleContext } from './rule-context';
import { gitPathEnvRisk } from './rules/git';
import { anyExit, caseFlow, dirs, either, ifFlow, loopFlow, UNKNOWN_DIR, type Dirs, type Flow } from './dir-flow';
import { BinOp, nodeType, parseScript, RedirOp, ShellSyntaxError, sourceOf, walk, type Assign, type Command, type Redirect, type Stmt, type Word } from './shell';
import { VariableFlow } from './variable-flow';
import { allow, ask, deny, worse, worseOf, type Judgment, type Part } from './verdicts';
import { evalWord, type Arg } from './words';

/** `bash -c "bash -c …"` nesting limit. (The line's length is capped before parsing: classify.ts.) */
const MAX_DEPTH = 6;
/**
 * Statements walked per line, counting every directory, loop round and function call: loops and
 * calls re-walk their bodies, so a line of nested loops or of functions calling each other twice
 * could otherwise keep the (synchronous) classifier busy for minutes.
 */
const MAX_STEPS = 10_000;

/** Commands that never create or move a symlink (anything else that is not read-only may: git checkout, cp, mv, tar, scripts). */
const KEEPS_LINKS = new Set(['cd', 'pushd', 'popd', 'mkdir', 'touch', 'rm', 'rmdir', 'chmod', 'truncate', 'tee', 'sed', 'sort', 'echo', 'printf', 'cat', 'dd']);

const WRITE_REDIRECTS = [RedirOp.out, RedirOp.append, RedirOp.clobber, RedirOp.inOut, RedirOp.all, RedirOp.appendAll];

export class ScriptWalker implements RuleContext {
  readonly parts: Part[] = [];
  readonly functions = new Set<string>();
  readonly flow = new VariableFlow();
  /** The bodies of the functions defined so far: a call runs the body from where the shell is then. */
  private readonly bodies = new Map<string, { src: string; body: Stmt }>();
  /** Functions being walked (recursion stops here). */
  private readonly calling = new Set<string>();
  private readonly seenParts = new Set<string>();
  private steps = 0;

  constructor(
    readonly paths: WorkspacePaths,
    readonly autoCommit: boolean,
    readonly policy: Policy,
  ) {}

  /** What a wrapper, `find -exec` or `xargs` runs: a program or builtin, never a shell function. */
  command(args: Arg[], depth: number): Judgment {
    return judgeCommand(this, args, depth, false);
  }

  script(src: string, depth: number, display: string[]): void {
    if (depth > MAX_DEPTH) {
      this.push(display, deny(`nested shells deeper than ${MAX_DEPTH} levels`, true));
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
    // `read PATH`, `printf -v CDPATH …`, `declare "HOME=…"` assign what a plain assignment would be asked for.
    for (const name of this.flow.namedAssigns) {
      const risk = envAssignmentRisk(name, true);
      if (risk) this.push([name], risk);
    }
    // CDPATH and `shopt -s cdable_vars` make `cd name` go somewhere else than ./name.
    if (/CDPATH|cdable_vars/.test(src) || this.flow.namedAssigns.has('CDPATH')) this.paths.cdSearch = true;
    if (/lastpipe/.test(src)) this.paths.lastpipe = true;
    for (const s of [...this.flow.sinks(src, file), ...this.flow.lineRisks()]) this.push(s.argv, s.j);
    // A nested shell (`bash -c`) starts where its caller is; its cd moves nothing after it.
    this.nested((from) => this.list(src, file.Stmts, depth, from));
  }

  /** A list of statements (`a; b`, lines): each from wherever the one before may have left the shell. */
  private list(src: string, stmts: readonly Stmt[], depth: number, from: Dirs): Flow {
    let flow = either(from);
    for (const st of stmts) flow = this.stmt(src, st, depth, anyExit(flow));
    return flow;
  }

  /** Walks a nested shell (`$( … )`, `bash -c`) from the current directory; its cd moves nothing after it. */
  private nested(fn: (from: Dirs) => void): void {
    const here = this.paths.snapshot();
    try {
      fn(new Set([here]));
    } finally {
      this.paths.restore(here);
    }
  }

  private push(argv: string[], j: Judgment, at = this.parts.length): void {
    // The same command judged from several directories with the same outcome is one part.
    const key = JSON.stringify([argv, j.verdict, j.reason]);
    if (this.seenParts.has(key)) return;
    this.seenParts.add(key);
    if (j.risk !== 'low' && !KEEPS_LINKS.has(path.posix.basename(argv[0] ?? ''))) this.paths.linksMayChange = true;
    this.parts.splice(at, 0, { ...j, argv });
  }

  /** Classifies a statement from every directory in `from`; returns where it may leave the shell. */
  private stmt(src: string, st: Stmt, depth: number, from: Dirs): Flow & { tag?: Judgment['tag'] } {
    // Never judge from nowhere: an empty set would skip the statement.
    const entry = from.size > 0 ? from : UNKNOWN_DIR;
    this.steps += entry.size;
    if (this.steps > MAX_STEPS) {
      // Once: the rest of the line is not judged, so the line as a whole cannot be allowed.
      if (this.steps - entry.size <= MAX_STEPS) this.push(['…'], deny(`the command has more than ${MAX_STEPS} statements to judge (counting loops and function calls again from every directory); it is too complex to check`, true));
      return either(UNKNOWN_DIR);
    }
    // `cmd &` and coprocesses run in a subshell: their cd moves nothing after them.
    if (st.Background || st.Coprocess) {
      const f = this.inner(src, st, depth, entry);
      return { ...either(entry), tag: f.tag };
    }
    const f = this.inner(src, st, depth, entry);
    return st.Negated ? { ok: f.fail, fail: f.ok, tag: f.tag } : f;
  }

  private inner(src: string, st: Stmt, depth: number, from: Dirs): Flow & { tag?: Judgment['tag'] } {
    const cmd = st.Cmd;
    const t = cmd ? nodeType(cmd) : '';
    if (cmd && t === 'CallExpr') return this.simple(src, st, cmd, depth, from);
    // The redirections of a compound command are opened before it runs, where the shell is then.
    for (const d of from) {
      this.paths.restore(d);
      const redir = this.redirs(src, st, depth);
      if (redir && redir.verdict !== 'allow') this.push((st.Redirs ?? []).map((r) => sourceOf(src, r)), redir);
    }
    if (!cmd) return either(from);
    const list = (stmts: readonly Stmt[], at: Dirs): Flow => this.list(src, stmts, depth, at);
    switch (t) {
      case 'BinaryCmd': {
        if (cmd.Op === BinOp.pipe || cmd.Op === BinOp.pipeAll) return this.pipeline(src, cmd, depth, from);
        const x = cmd.X ? this.stmt(src, cmd.X, depth, from) : either(from);
        if (cmd.Op === BinOp.and) {
          const y = cmd.Y ? this.stmt(src, cmd.Y, depth, x.ok) : either(x.ok);
          return { ok: y.ok, fail: dirs(x.fail, y.fail) };
        }
        const y = cmd.Y ? this.stmt(src, cmd.Y, depth, x.fail) : either(x.fail);
        return { ok: dirs(x.ok, y.ok), fail: y.fail };
      }
      case 'FuncDecl':
        // Judged where it is defined (as before), and again from wherever it is called (`simple`).
        if (cmd.Name) {
          this.functions.add(cmd.Name.Value);
          if (cmd.Body) this.bodies.set(cmd.Name.Value, { src, body: cmd.Body });
        }
        if (cmd.Body) this.stmt(src, cmd.Body, depth, from);
        return either(from);
      case 'Subshell':
        this.list(src, cmd.Stmts ?? [], depth, from);
        return either(from);
      case 'Block':
        return this.list(src, cmd.Stmts ?? [], depth, from);
      case 'IfClause':
        return ifFlow(cmd, from, list);
      case 'WhileClause':
        return loopFlow(cmd.Cond ?? [], cmd.Until === true, cmd.Do ?? [], from, list);
      case 'ForClause':
        this.eachDir(from, () => this.words(src, cmd.Loop, depth));
        return loopFlow([], false, cmd.Do ?? [], from, list);
      case 'CaseClause':
        this.eachDir(from, () => {
          this.words(src, cmd.Word, depth);
          for (const item of cmd.Items ?? []) for (const p of item.Patterns) this.words(src, p, depth);
        });
        return caseFlow(cmd, from, list);
      case 'TimeClause':
        return cmd.Stmt ? this.stmt(src, cmd.Stmt, depth, from) : either(from);
      case 'CoprocClause':
        if (cmd.Stmt) this.stmt(src, cmd.Stmt, depth, from);
        return either(from);
      case 'DeclClause':
        this.eachDir(from, () => this.decl(src, cmd, depth));
        return either(from);
      case 'TestClause':
      case 'ArithmCmd':
      case 'LetClause':
        // Tests and arithmetic run nothing by themselves (variable-flow.ts judges what they evaluate).
        this.eachDir(from, () => {
          this.push([sourceOf(src, cmd)], allow('shell test or arithmetic'));
          this.words(src, cmd, depth);
        });
        return either(from);
      default: {
        // A construct this walk does not model: every statement in it is judged, and where it leaves the shell is not known.
        let moved = false;
        this.eachDir(from, () =>
          walk(cmd, (n, nt) => {
            if (n === cmd) return true;
            if (nt === 'Stmt') moved = true;
            if (nt === 'Stmt') this.nested((at) => this.stmt(src, n as Stmt, depth, at));
            else if (nt === 'Word') this.substitutions(src, n as Word, depth);
            return nt !== 'Stmt' && nt !== 'Word';
          }),
        );
        return either(moved ? dirs(from, UNKNOWN_DIR) : from);
      }
    }
  }

  /** A simple command, judged from each directory; a `cd` moves the shell when it succeeds, a function call runs its body. */
  private simple(src: string, st: Stmt, cmd: Command, depth: number, from: Dirs): Flow & { tag?: Judgment['tag'] } {
    const ok: (string | null)[] = [];
    const fail: (string | null)[] = [];
    let tag: Judgment['tag'];
    for (const d of from) {
      this.paths.restore(d);
      const redir = this.redirs(src, st, depth);
      // The command's own part goes before the parts of substitutions found in its words.
      const before = this.parts.length;
      const j = this.call(src, cmd, depth);
      const final = redir ? worse(j.j, redir) : j.j;
      this.push(j.argv, final, before);
      tag ??= final.tag;
      const after = this.paths.snapshot();
      const maybe = this.paths.takeMaybeDirs();
      this.paths.restore(d);
      const fn = this.calledFunction(src, cmd);
      if (fn) {
        const f = this.callFunction(fn, depth, new Set([after]));
        ok.push(...f.ok);
        fail.push(...f.fail);
      } else {
        ok.push(after, ...maybe.ok);
        fail.push(d, ...maybe.fail); // a cd that fails leaves the shell where it was
      }
    }
    return { ok: dirs(ok), fail: dirs(fail), tag };
  }

  /** The name of a shell function this command calls (bash looks functions up before builtins and programs). */
  private calledFunction(src: string, cmd: Command): string | undefined {
    const w = ((cmd.Args ?? []) as Word[])[0];
    const name = w ? evalWord(src, w) : undefined;
    return name?.static && this.bodies.has(name.text) ? name.text : undefined;
  }

  /** Runs a function's body from where it is called; a recursive call is walked once more from "not known". */
  private callFunction(name: string, depth: number, from: Dirs): Flow {
    const fn = this.bodies.get(name);
    if (!fn) return either(from);
    const key = this.calling.has(name) ? `${name}\0unknown` : name;
    if (this.calling.has(key)) return either(dirs(from, UNKNOWN_DIR));
    this.calling.add(key);
    try {
      const at = key === name ? from : UNKNOWN_DIR;
      const f = this.stmt(fn.src, fn.body, depth, at);
      return key === name ? f : either(dirs(from, anyExit(f)));
    } finally {
      this.calling.delete(key);
    }
  }

  private eachDir(from: Dirs, fn: () => void): void {
    for (const d of from) {
      this.paths.restore(d);
      fn();
    }
  }

  /** The command and process substitutions in the words of a node (loop words, case patterns, tests). */
  private words(src: string, node: unknown, depth: number): void {
    if (!node) return;
    walk(node, (n, nt) => {
      if (nt === 'Word') {
        this.substitutions(src, n as Word, depth);
        return false;
      }
      return true;
    });
  }

  /** The redirections of a statement, judged from the current directory. */
  private redirs(src: string, st: Stmt, depth: number): Judgment | undefined {
    let redir: Judgment | undefined;
    for (const r of st.Redirs ?? []) redir = worse(redir ?? allow('redirection'), this.redirect(src, r, depth));
    return redir;
  }

  /** A download piped into something that runs stdin as code (`curl … | sh`) is denied as a whole. */
  private pipeline(src: string, cmd: Command, depth: number, from: Dirs): Flow {
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
    let last: Flow = either(from);
    for (const s of stages) {
      // Every stage runs in a subshell: a cd there moves nothing after the pipeline…
      const f = this.stmt(src, s, depth, from);
      if (f.tag === 'stdin-code' && fetched) this.push([sourceOf(src, cmd)], deny('pipes downloaded content into an interpreter (curl … | sh)', true));
      if (f.tag === 'fetch') fetched = true;
      last = f;
    }
    // …except the last one under `shopt -s lastpipe`, which runs in the shell itself.
    return this.paths.lastpipe ? { ok: dirs(from, last.ok), fail: dirs(from, last.fail) } : either(from);
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
        this.nested((from) => this.list(src, (n as { Stmts?: Stmt[] }).Stmts ?? [], depth, from));
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
    const res = judgeCommand(this, args, depth);
    return { argv, j: j ? worse(res, j) : res };
  }
}

