/**
 * The command policy engine: parses a command line with a real bash parser (mvdan-sh) and
 * classifies every simple command in it — across pipes, lists, subshells, functions, command and
 * process substitutions, here-docs and wrapper commands (bash -c, env, xargs, timeout, …) — as
 * allow / ask / deny. The overall verdict is the most severe part.
 *
 * See README.md for the default table and the reasoning.
 */
import * as path from 'node:path';
import { EMPTY_POLICY, matchPolicy, type Policy, type Verdict } from './policy';
import { BinOp, nodeType, parseScript, RedirOp, ShellSyntaxError, sourceOf, walk, type Assign, type Command, type Redirect, type Stmt, type Word } from './shell';
import { dynamicArg, evalWord, literalArg, type Arg } from './words';

export type Risk = 'low' | 'medium' | 'high';

export interface PartClassification {
  argv: string[];
  verdict: Verdict;
  reason: string;
}

export interface Classification {
  verdict: Verdict;
  risk: Risk;
  reason: string;
  needsNetwork: boolean;
  parts: PartClassification[];
}

export interface ClassifyContext {
  /** The working copy's path inside the sandbox. Default '/workspace'. */
  workspace?: string;
  /** Commit, push and PR creation were granted for this repo/task. */
  autoCommit?: boolean;
}

/** The result of judging one simple command (or one redirection). */
interface Judgment {
  verdict: Verdict;
  risk: Risk;
  reason: string;
  needsNetwork?: boolean;
  /** Structural verdicts (non-static names, writes outside the workspace, …): a policy rule cannot relax them. */
  fixed?: boolean;
  /** Pipeline facts: this command downloads, or runs code read from stdin. */
  tag?: 'fetch' | 'stdin-code';
}

interface Part extends Judgment {
  argv: string[];
}

const VRANK: Record<Verdict, number> = { allow: 0, ask: 1, deny: 2 };
const RRANK: Record<Risk, number> = { low: 0, medium: 1, high: 2 };
const MAX_DEPTH = 6;
const MAX_INPUT = 64 * 1024;

const allow = (reason: string, risk: Risk = 'low'): Judgment => ({ verdict: 'allow', risk, reason });
const ask = (reason: string, risk: Risk = 'medium'): Judgment => ({ verdict: 'ask', risk, reason });
const deny = (reason: string, fixed = false): Judgment => ({ verdict: 'deny', risk: 'high', reason, fixed });
const askNet = (reason: string, risk: Risk = 'medium'): Judgment => ({ verdict: 'ask', risk, reason, needsNetwork: true });

/** The more severe of two judgments (the first wins ties); network needs and tags accumulate. */
function worse(a: Judgment, b: Judgment | undefined): Judgment {
  if (!b) return a;
  const w = VRANK[b.verdict] > VRANK[a.verdict] ? b : a;
  const out: Judgment = { ...w, risk: RRANK[b.risk] > RRANK[a.risk] ? b.risk : a.risk };
  if (a.needsNetwork || b.needsNetwork) out.needsNetwork = true;
  if (a.fixed || b.fixed) out.fixed = w.fixed ?? false;
  const tag = a.tag ?? b.tag;
  if (tag) out.tag = tag;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Default tables
// ---------------------------------------------------------------------------------------------

const set = (s: string): Set<string> => new Set(s.trim().split(/\s+/));

/** Read-only or harmless: allowed (their write options, if any, are checked separately). */
const READ_ONLY = set(`
  ls cat head tail grep egrep fgrep rg ag ack wc less more file stat du df tree realpath readlink basename dirname
  pwd echo printf true false test [ : date whoami id uname hostname which type printenv seq sleep cut tr paste join
  comm diff diff3 cmp jq yq xxd od hexdump strings md5sum sha1sum sha224sum sha256sum sha384sum sha512sum b2sum cksum
  base64 base32 column nl fold fmt rev tac expr nproc free uptime ps pgrep getconf locale tty stty clear tput
  set unset shift read wait exit return local declare typeset readonly export getopts let shopt umask ulimit times
  jobs fg bg disown unalias mapfile readarray compgen complete caller history dirs mktemp cd pushd popd kill
  npm-ls git-status lsof env-print cal factor numfmt iconv dos2unix-check
`);

/** Build, test and lint tools: they run the workspace's own code, inside the sandbox. */
const BUILD_TOOLS = set(`
  tsc eslint prettier jest mocha vitest ava nyc c8 tsx ts-node playwright cypress karma jasmine tap biome oxlint
  pytest py.test mypy ruff flake8 black pylint isort pyright bandit coverage
  gofmt golangci-lint staticcheck rustc rustfmt clippy-driver
  gcc g++ cc c++ clang clang++ ld ar ranlib nm objdump javac java kotlinc scalac ghc
  cmake ctest ninja meson autoreconf autoconf automake ./configure shellcheck hadolint actionlint yamllint markdownlint
  stylelint htmlhint tslint standard xo
`);

/** Network clients: always ask, and the command needs a network-enabled sandbox. */
const NETWORK = set(`
  curl wget nc ncat netcat socat ssh scp sftp ftp telnet ping ping6 dig nslookup host whois http https aria2c lynx w3m
  aws gcloud gsutil az kubectl helm terraform pulumi heroku fly flyctl vercel netlify doctl gem bundle composer
  apt apt-get aptitude yum dnf apk brew pacman zypper snap flatpak conda mamba pipx
`);

/** Privilege escalation and host administration: never. */
const PRIVILEGED = set(`
  sudo su doas pkexec runuser chroot nsenter unshare mount umount setcap capsh insmod rmmod modprobe
  iptables ip6tables nft sysctl systemctl service crontab at batch passwd useradd userdel usermod groupadd groupdel
  chpasswd visudo docker podman nerdctl ctr crictl mkfs fdisk sfdisk parted losetup shutdown reboot halt poweroff
  init telinit swapon swapoff chattr setfacl newgrp sg
`);

/** Builtins that run a string or a file as code: their content cannot be classified. */
const EVAL_LIKE = set('eval source . alias enable fc');

const SHELLS = set('sh bash dash zsh ksh ash mksh busybox');
const INTERPRETERS = set('python python2 python3 node nodejs deno ruby perl php lua Rscript');
const EDITORS = set('vi vim nvim nano emacs ed ex pico joe mcedit');

/** Environment variables that make a command load or run other programs. */
const DANGEROUS_ENV = /^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|ENV|PROMPT_COMMAND|PS4|SHELLOPTS|BASHOPTS|IFS|PATH|CDPATH|GIT_SSH|GIT_SSH_COMMAND|GIT_EXTERNAL_DIFF|GIT_PAGER|PAGER|MANPAGER|GIT_EDITOR|GIT_SEQUENCE_EDITOR|EDITOR|VISUAL|GIT_ASKPASS|SSH_ASKPASS|GIT_CONFIG.*|GIT_EXEC_PATH|GIT_DIR|GIT_WORK_TREE|GIT_TEMPLATE_DIR|GIT_PROXY_COMMAND|GIT_INDEX_FILE|NODE_OPTIONS|NODE_PATH|PYTHONSTARTUP|PYTHONPATH|PERL5OPT|PERL5LIB|RUBYOPT|BASH_FUNC_.*|LESSOPEN|LESSCLOSE|npm_config_.*|NPM_CONFIG_.*)$/;

/** git config keys whose value is a program to run, a place to read config/hooks from, or a remote. */
const GIT_DANGEROUS_KEY = [
  /^core\.(pager|editor|sshcommand|fsmonitor|hookspath|askpass|gitproxy|worktree|attributesfile|excludesfile)$/i,
  /^(filter|diff|merge)\..+\.(clean|smudge|process|textconv|command|driver|cachetextconv)$/i,
  /^diff\.(external|tool|guitool)$/i,
  /^(difftool|mergetool)\./i,
  /^pager\./i,
  /^alias\./i,
  /^credential(\.|$)/i,
  /^gpg(\..+)?\.program$/i,
  /^sequence\.editor$/i,
  /^uploadpack\.packobjectshook$/i,
  /^include(if)?\./i,
  /^(protocol|url|remote|http|https|submodule)\./i,
  /^(web|help|instaweb|sendemail|man)\./i,
  /^browser\./i,
  /^safe\.directory$/i,
  /^(receive|transfer|fetch)\.fsck/i,
];
const GIT_SAFE_KEY = /^(user\.(name|email)|color\..+|advice\..+|core\.(quotepath|autocrlf|safecrlf|abbrev|filemode|ignorecase|eol)|log\..+|status\..+|diff\.(noprefix|renames|algorithm|colormoved|context|indentheuristic|mnemonicprefix|relative|statgraphwidth|wserrorhighlight)|format\.pretty|init\.defaultbranch|commit\.(gpgsign|verbose|cleanup|status)|pull\.(rebase|ff)|merge\.(conflictstyle|ff|log|stat)|rebase\.(autosquash|autostash|stat)|push\.(default|autosetupremote)|i18n\..+|column\..+|grep\..+|blame\..+|branch\.sort|tag\.sort|versionsort\..+|rerere\.enabled|gc\.auto|maintenance\.auto|feature\..+)$/i;

const GIT_READ = set(`
  status diff log show rev-parse rev-list ls-files ls-tree cat-file blame annotate shortlog describe grep whatchanged
  show-ref for-each-ref merge-base name-rev diff-tree diff-files diff-index count-objects var version help check-ignore
  check-attr check-ref-format cherry range-diff show-branch verify-commit verify-tag fsck get-tar-commit-id
  check-mailmap column interpret-trailers patch-id stripspace
`);
/** Local writes inside the working copy (its .git is agent-written and only ever used inside a sandbox). */
const GIT_LOCAL = set(`
  add rm mv restore checkout switch reset stash clean apply init branch tag notes worktree update-index update-ref
  symbolic-ref reflog gc prune repack pack-refs sparse-checkout read-tree write-tree checkout-index hash-object mktree
  mktag rerere format-patch archive bundle mailinfo mailsplit unpack-objects pack-objects index-pack fast-import
  fast-export replace prune-packed multi-pack-index commit-graph
`);
/** Create commits: ask unless auto-commit was granted. */
const GIT_COMMIT = set('commit merge cherry-pick revert rebase am commit-tree');
const GIT_NETWORK = set('clone fetch pull ls-remote submodule request-pull send-email svn p4 cvsimport cvsexportcommit archimport quiltimport');
const GIT_NEVER = set('credential credential-cache credential-store credential-cache--daemon daemon http-backend http-fetch http-push upload-pack receive-pack upload-archive remote-ext remote-fd shell instaweb');

const SED_COMMANDS = /[pPdDnNgGhHxz=F{}]/;

// ---------------------------------------------------------------------------------------------
// The classifier
// ---------------------------------------------------------------------------------------------

type PathClass = 'inside' | 'root' | 'tmp' | 'dev' | 'outside' | 'unknown';

class Classifier {
  readonly parts: Part[] = [];
  private cwd: string | null;
  private readonly functions = new Set<string>();

  constructor(
    private readonly ws: string,
    private readonly autoCommit: boolean,
    private readonly policy: Policy,
  ) {
    this.cwd = ws;
  }

  // --- scripts and statements -------------------------------------------------------------

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

  private decl(src: string, cmd: Command, depth: number): void {
    const variant = cmd.Variant?.Value ?? 'declare';
    let j = allow(`${variant} (shell variables)`);
    for (const a of (cmd.Args ?? []) as Assign[]) {
      if (nodeType(a) !== 'Assign') continue;
      if (a.Value) this.substitutions(src, a.Value, depth);
      const name = a.Name?.Value;
      if (name && !a.Naked && DANGEROUS_ENV.test(name)) j = worse(j, ask(`sets ${name}, which changes which programs later commands run`));
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
    const writes = [RedirOp.out, RedirOp.append, RedirOp.clobber, RedirOp.inOut, RedirOp.all, RedirOp.appendAll];
    const dup = r.Op === RedirOp.dupOut || r.Op === RedirOp.dupIn;
    if (!r.Word || (!writes.includes(r.Op) && !dup)) return allow('input redirection');
    const target = evalWord(src, r.Word);
    if (dup) {
      if (target.static && /^(\d+-?|-)$/.test(target.text)) return allow('file descriptor duplication');
      if (r.Op === RedirOp.dupIn) return allow('input redirection');
    }
    return this.writeTarget(target, `redirection to ${target.raw}`) ?? allow('write inside the workspace', 'medium');
  }

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
      if (name && DANGEROUS_ENV.test(name)) j = worse(j ?? allow(''), ask(`sets ${name}, which changes which programs run`));
    }
    const argv = args.map((a) => (a.static ? a.text : a.raw));
    if (args.length === 0) return { argv: (cmd.Assigns ?? []).map((a) => sourceOf(src, a)), j: j ?? allow('variable assignment') };
    const res = this.argv(args, depth);
    return { argv, j: j ? worse(res, j) : res };
  }

  // --- simple commands ----------------------------------------------------------------------

  /** Classifies one command given its (statically evaluated) argv; applies the repo policy. */
  argv(args: Arg[], depth: number): Judgment {
    const name = args[0];
    if (!name) return allow('no command');
    if (!name.static) return deny(`the command name ${name.raw} is not statically known (expansion or substitution)`, true);
    if (name.glob) return deny(`the command name ${name.raw} contains a glob pattern`, true);
    if (name.text === '') return deny('empty command name', true);
    const text = args.map((a) => (a.static ? a.text : a.raw));
    const { j, wrapper } = this.dispatch(args, depth);
    const rule = matchPolicy(this.policy, text);
    if (!rule) return j;
    const byRule: Judgment = { verdict: rule.verdict, risk: rule.verdict === 'allow' ? j.risk : rule.verdict === 'deny' ? 'high' : 'medium', reason: `repo policy: ${rule.rule.reason ?? `${rule.verdict} ${rule.rule.command}${rule.rule.args ? ` ${rule.rule.args}` : ''}`}` };
    if (j.needsNetwork) byRule.needsNetwork = true;
    if (j.tag) byRule.tag = j.tag;
    // A policy may tighten anything. It may relax only command-level defaults, never structural
    // checks, and an allow rule on a wrapper (timeout, env, bash -c …) never allows what it wraps.
    if (VRANK[byRule.verdict] >= VRANK[j.verdict] || (!j.fixed && !wrapper)) return byRule;
    return j;
  }

  private dispatch(args: Arg[], depth: number): { j: Judgment; wrapper?: boolean } {
    const full = (args[0] as Arg).text;
    const rest = args.slice(1);
    let name = full;
    if (full.includes('/')) {
      const dir = path.posix.dirname(full);
      if (['/bin', '/usr/bin', '/usr/local/bin', '/sbin', '/usr/sbin', '/usr/local/sbin'].includes(dir)) name = path.posix.basename(full);
      else {
        const cls = this.pathClass(args[0] as Arg);
        if (cls === 'inside' || cls === 'root') {
          const base = path.posix.basename(full);
          if (BUILD_TOOLS.has(base) || base === 'gradlew' || base === 'mvnw') return { j: allow(`runs the workspace's ${base}`, 'medium') };
          return { j: allow('runs an executable from the workspace (sandboxed, same trust as npm test)', 'medium') };
        }
        return { j: ask(`runs ${full}, a program outside the workspace and the system directories`) };
      }
    }
    if (this.functions.has(name)) return { j: allow(`calls the shell function ${name} (its body is classified separately)`) };
    if (EVAL_LIKE.has(name)) return { j: deny(`${name} runs code that is not statically known`, true) };
    if (PRIVILEGED.has(name) || /^mkfs(\.|$)/.test(name)) return { j: deny(`${name}: privilege escalation or host administration is never allowed`) };
    const wrapped = this.wrapper(name, rest, depth);
    if (wrapped) return { j: wrapped, wrapper: true };
    if (SHELLS.has(name)) return { j: this.shell(name, rest, depth), wrapper: true };
    switch (name) {
      case 'git':
        return { j: this.git(rest, depth) };
      case 'gh':
        return { j: this.gh(rest) };
      case 'npm':
        return { j: this.npm(rest) };
      case 'npx':
        return { j: this.npx(rest, depth), wrapper: true };
      case 'yarn':
      case 'pnpm':
      case 'bun':
        return { j: this.jsPm(name, rest) };
      case 'bunx':
        return { j: askNet('bunx may download and run a package from the registry') };
      case 'pip':
      case 'pip3':
        return { j: this.pip(rest) };
      case 'uv':
      case 'poetry':
      case 'pipenv':
      case 'tox':
      case 'nox':
      case 'hatch':
      case 'pdm':
        return { j: askNet(`${name} creates environments and may install packages from the network`) };
      case 'cargo':
        return { j: this.sub(name, rest, set('test build check clippy fmt doc bench run tree metadata clean verify-project locate-project version help nextest'), set('fetch install add update publish search login logout yank owner generate-lockfile vendor remove uninstall init new')) };
      case 'go':
        return { j: this.sub(name, rest, set('test build vet fmt run list env version doc clean help fix'), set('get install mod work download')) };
      case 'dotnet':
        return { j: this.sub(name, rest, set('test build run format clean --info --version --list-sdks'), set('restore add new tool nuget publish workload pack')) };
      case 'mvn':
      case 'mvnw':
      case 'gradle':
      case 'gradlew':
        return { j: this.buildGoals(name, rest) };
      case 'make':
      case 'gmake':
        return { j: this.make(rest) };
      case 'rm':
      case 'unlink':
      case 'rmdir':
      case 'shred':
        return { j: this.rm(name, rest) };
      case 'mv':
      case 'ln':
      case 'touch':
      case 'mkdir':
      case 'truncate':
      case 'install':
      case 'tee':
        return { j: this.writeAll(name, rest) };
      case 'cp':
        return { j: this.cp(rest) };
      case 'chmod':
        return { j: this.chmod(rest) };
      case 'chown':
      case 'chgrp':
        return { j: this.chown(name, rest) };
      case 'dd':
        return { j: this.dd(rest) };
      case 'sed':
        return { j: this.sed(rest) };
      case 'awk':
      case 'gawk':
      case 'mawk':
      case 'nawk':
        return { j: this.awk(name, rest) };
      case 'find':
        return { j: this.find(rest, depth), wrapper: true };
      case 'sort':
        return { j: this.optionTarget(name, rest, ['-o'], ['--output']) ?? allow('sort') };
      case 'uniq':
        return { j: (this.operands(rest)[1] ? this.writeTarget(this.operands(rest)[1] as Arg, 'uniq output') : undefined) ?? allow('uniq') };
      case 'patch':
        return { j: this.optionTarget(name, rest, ['-o', '-d', '-r'], ['--output', '--directory', '--reject-file']) ?? allow('patch applies a diff inside the working directory', 'medium') };
      case 'tar':
        return { j: this.tar(rest) };
      case 'zip':
      case 'unzip':
      case 'gzip':
      case 'gunzip':
      case 'bzip2':
      case 'bunzip2':
      case 'xz':
      case 'unxz':
      case 'zstd':
      case 'unzstd':
        return { j: this.archive(name, rest) };
      case 'rsync':
        return { j: this.rsync(rest) };
      case 'curl':
      case 'wget':
        return { j: this.fetch(name, rest) };
      case 'trap':
        return { j: ask('trap registers a command string to run later; it is not classified') };
      case 'hash':
        return { j: rest.some((a) => a.text.startsWith('-p')) ? ask('hash -p maps a command name to another program') : allow('hash') };
      case 'cd':
      case 'pushd':
      case 'popd':
        return { j: this.cd(name, rest) };
      case 'exit':
        return { j: allow('exit') };
    }
    if (INTERPRETERS.has(name) || /^python3\.\d+$/.test(name)) return { j: this.interpreter(name, rest) };
    if (EDITORS.has(name)) return { j: ask(`${name} is an interactive editor (and can run commands)`) };
    if (NETWORK.has(name)) return { j: { ...askNet(`${name} uses the network`), tag: 'fetch' } };
    if (READ_ONLY.has(name)) return { j: allow(`${name} is read-only`) };
    if (BUILD_TOOLS.has(name)) {
      const out = this.optionTarget(name, rest, ['-o', '--outDir', '--outdir', '--out-dir', '--outFile'], ['--output', '--outDir', '--outdir', '--out-dir', '--outFile']);
      return { j: out ?? allow(`${name}: build/test/lint tool (runs the workspace's code inside the sandbox)`, 'medium') };
    }
    return { j: ask(`unknown command ${name}: not in the default allowlist`) };
  }

  // --- wrappers ------------------------------------------------------------------------------

  /** Wrapper commands run another command: classify that one. Undefined when `name` is not one. */
  private wrapper(name: string, rest: Arg[], depth: number): Judgment | undefined {
    const inner = (argv: Arg[], what: string): Judgment => {
      if (argv.length === 0) return allow(`${what} without a command`);
      const j = this.argv(argv, depth);
      return { ...j, reason: j.reason };
    };
    const skipOpts = (args: Arg[], withValue: string[]): Arg[] | null => {
      let i = 0;
      while (i < args.length) {
        const a = args[i] as Arg;
        if (!a.static) return null;
        if (a.text === '--') return args.slice(i + 1);
        if (!a.text.startsWith('-') || a.text === '-') break;
        if (withValue.includes(a.text)) i += 2;
        else i += 1;
      }
      return args.slice(i);
    };
    switch (name) {
      case 'command': {
        if (rest.some((a) => a.text === '-v' || a.text === '-V')) return allow('command -v looks a name up');
        const r = skipOpts(rest, []);
        return r ? inner(r, 'command') : ask('command with options that are not statically known');
      }
      case 'builtin':
      case 'exec':
      case 'nohup':
      case 'setsid':
      case 'time': {
        if (name === 'time' && rest.some((a) => a.text === '-o' || a.text.startsWith('--output'))) {
          const t = this.optionTarget(name, rest, ['-o'], ['--output']);
          if (t) return t;
        }
        const r = skipOpts(rest, ['-a', '-o', '-f', '--format', '--output']);
        return r ? inner(r, name) : ask(`${name} with options that are not statically known`);
      }
      case 'nice': {
        const r = skipOpts(rest, ['-n']);
        return r ? inner(r, name) : ask('nice with options that are not statically known');
      }
      case 'ionice': {
        const r = skipOpts(rest, ['-c', '-n', '-p', '-P', '-u']);
        return r ? inner(r, name) : ask('ionice with options that are not statically known');
      }
      case 'stdbuf': {
        const r = skipOpts(rest, ['-i', '-o', '-e']);
        return r ? inner(r, name) : ask('stdbuf with options that are not statically known');
      }
      case 'timeout': {
        const r = skipOpts(rest, ['-s', '-k', '--signal', '--kill-after']);
        if (!r) return ask('timeout with options that are not statically known');
        return inner(r.slice(1), 'timeout');
      }
      case 'env':
      case 'cross-env': {
        let i = 0;
        let j: Judgment | undefined;
        while (i < rest.length) {
          const a = rest[i] as Arg;
          if (!a.static) return deny(`${name} argument ${a.raw} is not statically known`, true);
          if (a.text === '--') {
            i++;
            break;
          }
          if (a.text === '-S' || a.text.startsWith('--split-string') || a.text.startsWith('-S')) return ask(`${name} -S splits a string into a command; not classified`);
          if (a.text === '-C' || a.text.startsWith('--chdir')) return ask(`${name} --chdir runs the command in another directory`);
          if (a.text === '-u' || a.text === '--unset') i += 2;
          else if (a.text.startsWith('-') && a.text !== '-') i++;
          else if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a.text)) {
            const v = a.text.slice(0, a.text.indexOf('='));
            if (DANGEROUS_ENV.test(v)) j = worse(j ?? allow(''), ask(`sets ${v}, which changes which programs run`));
            i++;
          } else break;
        }
        const r = inner(rest.slice(i), name);
        return j ? worse(r, j) : r;
      }
      case 'xargs': {
        const withValue = ['-I', '-L', '-l', '-n', '-P', '-d', '-E', '-e', '-s', '-a', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-lines', '--replace', '--eof', '--process-slot-var'];
        let i = 0;
        let replace: string | undefined;
        while (i < rest.length) {
          const a = rest[i] as Arg;
          if (!a.static) return deny(`xargs option ${a.raw} is not statically known`, true);
          if (a.text === '--') {
            i++;
            break;
          }
          if (!a.text.startsWith('-')) break;
          if (a.text === '-I') replace = rest[i + 1]?.text;
          else if (a.text.startsWith('-I')) replace = a.text.slice(2);
          else if (a.text === '-i' || a.text === '--replace') replace = '{}';
          else if (a.text.startsWith('-i')) replace = a.text.slice(2);
          else if (a.text.startsWith('--replace=')) replace = a.text.slice(10);
          i += withValue.includes(a.text) ? 2 : 1;
        }
        let cmd = rest.slice(i);
        if (cmd.length === 0) cmd = [literalArg('echo')];
        const input = dynamicArg('<input from stdin>');
        cmd = replace ? cmd.map((a) => (a.text.includes(replace) ? dynamicArg(a.raw) : a)) : [...cmd, input];
        if (!cmd[0]?.static) return deny('xargs runs a command whose name comes from its input', true);
        return inner(cmd, 'xargs');
      }
    }
    return undefined;
  }

  private shell(name: string, rest: Arg[], depth: number): Judgment {
    let cmode = false;
    let i = 0;
    let busybox = name === 'busybox';
    if (busybox) {
      const applet = rest[0];
      if (!applet || !applet.static) return ask('busybox without a statically known applet');
      if (!SHELLS.has(applet.text)) return this.argv(rest, depth);
      rest = rest.slice(1);
      busybox = false;
    }
    while (i < rest.length) {
      const a = rest[i] as Arg;
      if (!a.static) return deny(`${name} option ${a.raw} is not statically known`, true);
      if (a.text === '--' || a.text === '-') {
        i++;
        break;
      }
      if (a.text.startsWith('--')) {
        if (['--rcfile', '--init-file'].includes(a.text)) return ask(`${name} ${a.text} runs a startup file`);
        if (!['--norc', '--noprofile', '--posix', '--login', '--noediting', '--restricted', '--verbose', '--version', '--help'].includes(a.text)) return ask(`${name} ${a.text}: unknown shell option`);
        i++;
        continue;
      }
      if (/^[-+][A-Za-z]+$/.test(a.text)) {
        const flags = a.text.slice(1);
        if (flags.includes('c') && a.text.startsWith('-')) cmode = true;
        if (flags.includes('i')) return ask(`${name} -i starts an interactive shell`);
        i += flags.includes('o') || flags.includes('O') ? 2 : 1;
        continue;
      }
      break;
    }
    const operand = rest[i];
    if (cmode) {
      if (!operand) return deny(`${name} -c without a script`, true);
      if (!operand.static) return deny(`${name} -c runs a script that is not statically known: ${operand.raw}`, true);
      this.script(operand.text, depth + 1, [name, '-c', operand.text]);
      return allow(`${name} -c: the inline script is classified part by part`);
    }
    if (!operand) return { ...ask(`${name} reads commands from stdin, which cannot be checked`), tag: 'stdin-code' };
    const cls = this.pathClass(operand);
    if (cls === 'inside' || cls === 'root') return allow(`${name} runs a workspace script (sandboxed, same trust as npm test)`, 'medium');
    return ask(`${name} runs the script ${operand.raw}, outside the workspace or not statically known`);
  }

  private interpreter(name: string, rest: Arg[]): Judgment {
    const first = rest[0];
    if (!first) return { ...ask(`${name} reads a program from stdin, which cannot be checked`), tag: 'stdin-code' };
    if (!first.static) return ask(`${name} with an argument that is not statically known`);
    if (/^python/.test(name) && first.text === '-m') {
      const mod = rest[1]?.text ?? '';
      if (['pytest', 'unittest', 'mypy', 'black', 'ruff', 'flake8', 'pylint', 'isort', 'coverage', 'doctest', 'compileall', 'py_compile', 'venv', 'json.tool', 'pyright', 'tox'].includes(mod)) return mod === 'tox' ? askNet('tox may install packages') : allow(`${name} -m ${mod}: test/lint tool`, 'medium');
      if (mod === 'pip') return this.pip(rest.slice(2));
      if (mod === 'http.server' || mod === 'smtpd') return askNet(`${name} -m ${mod} opens a network server`);
      return ask(`${name} -m ${mod}: unknown module`);
    }
    if (name === 'deno') {
      const sub = first.text;
      if (['test', 'lint', 'fmt', 'check', 'doc', 'info', 'bench', 'task'].includes(sub)) return allow(`deno ${sub}`, 'medium');
      return askNet(`deno ${sub} may fetch remote modules`);
    }
    if (['-c', '-e', '-E', '--eval', '-p', '--print', '-r', '-x'].includes(first.text) || /^-[a-zA-Z]*[ce]$/.test(first.text)) return ask(`${name} ${first.text} runs inline code that is not analysed`);
    if (first.text === '-') return { ...ask(`${name} reads a program from stdin`), tag: 'stdin-code' };
    if (first.text.startsWith('-')) return ask(`${name} ${first.text}: unknown interpreter option`);
    const cls = this.pathClass(first);
    if (cls === 'inside' || cls === 'root') return allow(`${name} runs a workspace script (sandboxed, same trust as npm test)`, 'medium');
    return ask(`${name} runs ${first.raw}, outside the workspace`);
  }

  // --- git and forges ------------------------------------------------------------------------

  private commitClass(what: string, network: boolean): Judgment {
    const j = this.autoCommit ? allow(`${what} (auto-commit granted)`, 'medium') : ask(`${what}: needs approval unless auto-commit is granted`, 'high');
    if (network) j.needsNetwork = true;
    return j;
  }

  private gitConfigKey(key: string, how: string): Judgment {
    if (GIT_DANGEROUS_KEY.some((re) => re.test(key))) return deny(`${how} sets ${key}, a git setting that runs programs or redirects config, hooks or remotes`);
    if (GIT_SAFE_KEY.test(key)) return allow(`${how} sets ${key}`);
    return ask(`${how} sets ${key}, which is not on the reviewed list of git settings`);
  }

  private git(rest: Arg[], depth: number): Judgment {
    let i = 0;
    let j: Judgment | undefined;
    const add = (x: Judgment | undefined): void => {
      if (x) j = j ? worse(j, x) : x;
    };
    for (; i < rest.length; i++) {
      const a = rest[i] as Arg;
      if (!a.static) return deny(`git option ${a.raw} is not statically known`, true);
      const t = a.text;
      if (!t.startsWith('-')) break;
      const value = (flag: string): Arg | undefined => (t === flag ? rest[++i] : t.startsWith(`${flag}=`) ? { ...a, text: t.slice(flag.length + 1) } : undefined);
      if (t === '-C') {
        const p = rest[++i];
        if (!p) return deny('git -C without a path', true);
        const cls = this.pathClass(p);
        if (cls === 'outside') return deny(`git -C ${p.raw}: operates on a repository outside the workspace (and git status refreshes its index: a write)`, true);
        if (cls === 'unknown') add(ask(`git -C ${p.raw}: directory not statically known`));
      } else if (t === '-c') {
        const kv = rest[++i];
        if (!kv || !kv.static) return deny('git -c with a setting that is not statically known', true);
        add(this.gitConfigKey(kv.text.split('=')[0] ?? '', 'git -c'));
      } else if (t.startsWith('--config-env') || t.startsWith('--exec-path=')) {
        return deny(`git ${t}: can point git at other programs`, true);
      } else if (t === '--git-dir' || t.startsWith('--git-dir=') || t === '--work-tree' || t.startsWith('--work-tree=')) {
        const p = value(t.startsWith('--git-dir') ? '--git-dir' : '--work-tree');
        if (!p) return deny(`git ${t} without a path`, true);
        const cls = this.pathClass(p);
        if (cls === 'outside') return deny(`git ${t}: repository outside the workspace`, true);
        if (cls === 'unknown') add(ask(`git ${t}: path not statically known`));
      } else if (t === '--namespace') i++;
      else if (!/^(-p|-P|--paginate|--no-pager|--bare|--no-replace-objects|--literal-pathspecs|--glob-pathspecs|--noglob-pathspecs|--icase-pathspecs|--no-optional-locks|--no-advice|--namespace=.*|--list-cmds=.*|--html-path|--man-path|--info-path|--exec-path|--version|--help|-h|-v)$/.test(t)) {
        return ask(`git ${t}: unknown global option`);
      }
    }
    const subArg = rest[i];
    if (!subArg) return worse(allow('git without a subcommand prints help'), j);
    const sub = subArg.text;
    const args = rest.slice(i + 1);
    // Options that hand git a program to run, on any subcommand.
    for (const a of args) {
      if (/^(--upload-pack|--receive-pack|--exec|-u)(=|$)/.test(a.text) && ['clone', 'fetch', 'pull', 'push', 'ls-remote', 'archive'].includes(sub)) return deny(`git ${sub} ${a.text}: runs an arbitrary program`);
      if (/^(--output|-o)(=|$)/.test(a.text) || a.text.startsWith('--output-directory')) {
        const idx = args.indexOf(a);
        const target = a.text.includes('=') ? { ...a, text: a.text.slice(a.text.indexOf('=') + 1) } : args[idx + 1];
        if (target) add(this.writeTarget(target, `git ${sub} output`));
      }
    }
    const net = (what: string): Judgment => askNet(`git ${sub}: ${what}`);
    let r: Judgment;
    if (sub === 'push') {
      const force = args.some((a) => /^(-f|--force|--force-with-lease.*|--mirror|--delete|-d|--prune)$/.test(a.text) || a.text.startsWith('+') || a.text.startsWith(':'));
      r = force ? { ...askNet('git push with force, delete, mirror or prune rewrites the remote: always needs approval'), risk: 'high' } : this.commitClass('git push publishes commits', true);
    } else if (sub === 'commit' || sub === 'commit-tree') r = this.commitClass(`git ${sub} creates a commit`, false);
    else if (GIT_COMMIT.has(sub)) {
      r = this.commitClass(`git ${sub} creates commits`, false);
      if (sub === 'rebase' && args.some((a) => /^(-x|--exec)/.test(a.text))) r = worse(r, ask('git rebase --exec runs shell commands'));
    } else if (sub === 'pull') r = worse(net('fetches from a remote'), this.commitClass('git pull merges commits', false));
    else if (sub === 'clone') {
      const ops = this.operands(args, ['-b', '--branch', '-o', '--origin', '--depth', '-j', '--jobs', '--reference', '--separate-git-dir', '--template', '-c', '--config', '--filter']);
      const dest = ops[1];
      r = net('clones from a remote');
      if (dest) r = worse(r, this.writeTarget(dest, 'git clone destination'));
      if (args.some((x) => x.text.startsWith('--template') || x.text === '-c' || x.text.startsWith('--config'))) r = worse(r, ask('git clone with a template or config: may install hooks or program settings'));
    } else if (GIT_NETWORK.has(sub)) r = net('talks to a remote');
    else if (GIT_NEVER.has(sub)) r = deny(`git ${sub}: transport, daemon or credential plumbing is never allowed`);
    else if (sub === 'remote') {
      const op = args.find((a) => !a.text.startsWith('-'))?.text;
      r = !op || ['add', 'remove', 'rm', 'rename', 'set-url', 'get-url', 'set-head', 'set-branches'].includes(op) ? allow('git remote: local configuration', 'medium') : net(`remote ${op} contacts the remote`);
    } else if (sub === 'config') r = this.gitConfig(args);
    else if (sub === 'bisect') {
      if (args[0]?.text === 'run') r = worse(allow('git bisect run'), this.argv(args.slice(1), depth));
      else r = allow('git bisect: moves HEAD inside the workspace', 'medium');
    } else if (sub === 'worktree') {
      const op = args[0]?.text;
      const ops = this.operands(args.slice(1), ['-b', '-B', '--reason']);
      r = op === 'add' && ops[0] ? (this.writeTarget(ops[0], 'git worktree path') ?? allow('git worktree add', 'medium')) : allow(`git worktree ${op ?? ''}`, 'medium');
    } else if (sub === 'init') {
      const ops = this.operands(args, ['--template', '--separate-git-dir', '-b', '--initial-branch', '--object-format', '--shared']);
      r = (ops[0] ? this.writeTarget(ops[0], 'git init directory') : undefined) ?? allow('git init', 'medium');
      if (args.some((x) => x.text.startsWith('--template') || x.text.startsWith('--separate-git-dir'))) r = worse(r, ask('git init with a template or separate git dir'));
    } else if (sub === 'branch' || sub === 'tag') {
      const listing = args.length === 0 || args.every((a) => /^(-a|--all|-r|--remotes|-v|-vv|--verbose|-l|--list|--show-current|--contains|--no-contains|--merged|--no-merged|--sort=.*|--format=.*|--points-at|--column|--no-column|-n\d*|--color.*)$/.test(a.text) || !a.text.startsWith('-') && args.some((b) => b.text === '-l' || b.text === '--list'));
      r = listing ? allow(`git ${sub} listing`) : allow(`git ${sub}: local refs inside the workspace`, 'medium');
    } else if (GIT_READ.has(sub)) r = allow(`git ${sub} is read-only`);
    else if (GIT_LOCAL.has(sub)) r = allow(`git ${sub}: local change inside the workspace`, 'medium');
    else if (['filter-branch', 'filter-repo'].includes(sub)) r = ask(`git ${sub} rewrites history and runs shell filters`, 'high');
    else if (['difftool', 'mergetool', 'maintenance', 'bugreport', 'gui', 'citool', 'gitk'].includes(sub)) r = ask(`git ${sub} runs external tools or schedules jobs`);
    else r = ask(`unknown git subcommand "${sub}" (it may be an alias that runs a shell command)`);
    return worse(r, j);
  }

  private gitConfig(args: Arg[]): Judgment {
    const opts = args.filter((a) => a.text.startsWith('-'));
    if (opts.some((a) => ['--global', '--system'].includes(a.text))) return deny('git config --global/--system writes configuration outside the workspace');
    let j: Judgment | undefined;
    const fileIdx = args.findIndex((a) => a.text === '-f' || a.text === '--file' || a.text.startsWith('--file='));
    if (fileIdx >= 0) {
      const f = args[fileIdx] as Arg;
      const target = f.text.startsWith('--file=') ? { ...f, text: f.text.slice(7) } : args[fileIdx + 1];
      if (target) j = this.writeTarget(target, 'git config --file');
    }
    if (opts.some((a) => /^(--get|--get-all|--get-regexp|--get-urlmatch|--list|-l|--get-color|--get-colorbool)$/.test(a.text))) return worse(allow('git config (read)'), j);
    const ops = this.operands(args, ['-f', '--file', '--blob', '--type', '--default', '--comment']);
    if (ops[0] && ['get', 'list'].includes(ops[0].text)) return worse(allow('git config (read)'), j);
    let keyArg = ops[0];
    if (ops[0] && ['set', 'unset', 'rename-section', 'remove-section', 'edit'].includes(ops[0].text)) keyArg = ops[1];
    else if (ops.length <= 1 && !opts.some((a) => /^(--add|--unset|--unset-all|--replace-all|--rename-section|--remove-section|-e|--edit)$/.test(a.text))) return worse(allow('git config (read)'), j);
    if (!keyArg || !keyArg.static) return worse(ask('git config write with a key that is not statically known'), j);
    return worse(this.gitConfigKey(keyArg.text, 'git config'), j);
  }

  private gh(rest: Arg[]): Judgment {
    const a = rest[0]?.text;
    const b = rest[1]?.text;
    if (a === 'pr' && b === 'create') return this.commitClass('gh pr create opens a pull request', true);
    if (a === 'pr' && b === 'merge') return { ...askNet('gh pr merge merges on the forge'), risk: 'high' };
    if (a === 'auth' || a === 'secret' || a === 'ssh-key' || a === 'gpg-key') return deny(`gh ${a}: credentials are never handled by agents`);
    return askNet(`gh ${a ?? ''} talks to the forge`);
  }

  // --- package managers and build tools --------------------------------------------------------

  private npm(rest: Arg[]): Judgment {
    const ops = this.operands(rest, ['-w', '--workspace', '--prefix', '-C']);
    const sub = ops[0]?.text;
    if (!sub) return allow('npm without a command prints help');
    if (['test', 't', 'tst', 'run', 'run-script', 'rum', 'urn', 'start', 'stop', 'restart', 'ls', 'list', 'll', 'la', 'explain', 'why', 'help', 'prefix', 'root', 'bin', 'pack', 'help-search', 'query', 'rebuild', 'rb'].includes(sub)) return allow(`npm ${sub}`, sub === 'ls' || sub === 'list' || sub === 'help' ? 'low' : 'medium');
    if (sub === 'version' && ops.length === 1) return allow('npm version (prints versions)');
    if (sub === 'version') return this.commitClass('npm version creates a commit and a tag', false);
    if (sub === 'config' || sub === 'c') {
      const op = ops[1]?.text;
      return op === 'get' || op === 'list' || op === 'ls' ? allow('npm config (read)') : ask('npm config write changes npm settings');
    }
    if (['publish', 'unpublish', 'deprecate', 'dist-tag', 'owner', 'access', 'token', 'adduser', 'login', 'logout', 'team', 'org', 'hook', 'profile', 'star', 'unstar'].includes(sub)) return { ...askNet(`npm ${sub} changes the registry or credentials`), risk: 'high' };
    if (['install', 'i', 'in', 'ins', 'inst', 'insta', 'instal', 'isnt', 'isnta', 'isntal', 'isntall', 'add', 'ci', 'clean-install', 'ic', 'install-clean', 'install-test', 'it', 'install-ci-test', 'cit', 'update', 'up', 'upgrade', 'udpate', 'uninstall', 'remove', 'rm', 'r', 'un', 'unlink', 'dedupe', 'ddp', 'prune', 'audit', 'outdated', 'view', 'v', 'info', 'show', 'search', 's', 'se', 'find', 'fund', 'exec', 'x', 'init', 'create', 'innit', 'doctor', 'ping', 'whoami', 'link', 'ln', 'sbom', 'repo', 'docs', 'home', 'bugs', 'cache', 'diff'].includes(sub)) return askNet(`npm ${sub} uses the registry (network)`);
    return ask(`npm ${sub}: unknown npm command`);
  }

  private npx(rest: Arg[], depth: number): Judgment {
    let i = 0;
    let downloads = false;
    while (i < rest.length) {
      const a = rest[i] as Arg;
      if (!a.static) return deny(`npx option ${a.raw} is not statically known`, true);
      if (a.text === '--') {
        i++;
        break;
      }
      if (!a.text.startsWith('-')) break;
      if (a.text === '-c' || a.text.startsWith('--call')) return ask('npx -c runs a command string');
      if (['-p', '--package'].includes(a.text) || a.text.startsWith('--package=') || a.text === '--yes' || a.text === '-y') downloads = true;
      i += ['-p', '--package', '-w', '--workspace'].includes(a.text) ? 2 : 1;
    }
    const tool = rest[i];
    if (!tool) return ask('npx without a command');
    if (downloads) return askNet('npx --package/--yes may download and run a package from the registry');
    const base = tool.text.replace(/@[^/@]*$/, '');
    if (BUILD_TOOLS.has(base) || ['cross-env', 'rimraf', 'concurrently', 'npm-run-all', 'run-s', 'run-p', 'ts-node', 'tsx', 'eslint', 'tsc', 'mocha', 'jest'].includes(base)) {
      if (base === 'rimraf') return this.rm('rm', [literalArg('-r'), ...rest.slice(i + 1)]);
      if (base === 'concurrently' || base.startsWith('npm-run-all') || base.startsWith('run-')) return ask(`npx ${base} runs command strings`);
      return this.argv([{ ...tool, text: base }, ...rest.slice(i + 1)], depth);
    }
    return askNet(`npx ${tool.raw}: not a known local tool; npx may download it from the registry`);
  }

  private jsPm(name: string, rest: Arg[]): Judgment {
    const ops = this.operands(rest, ['--cwd', '-C', '--dir', '--filter', '-F', '-w', '--workspace']);
    const sub = ops[0]?.text;
    if (!sub) return name === 'bun' ? allow('bun prints help') : askNet(`${name} without a command installs dependencies`);
    if (['install', 'i', 'add', 'a', 'update', 'up', 'upgrade', 'remove', 'rm', 'uninstall', 'un', 'dlx', 'x', 'create', 'init', 'publish', 'pm', 'fetch', 'import', 'link', 'unlink', 'outdated', 'audit', 'info', 'view', 'npm', 'global', 'self-update', 'set', 'plugin', 'patch', 'patch-commit', 'dedupe', 'exec'].includes(sub)) return askNet(`${name} ${sub} may use the registry (network)`);
    if (sub === 'config') return ask(`${name} config changes package-manager settings`);
    if (sub === 'version') return this.commitClass(`${name} version may create a commit and a tag`, false);
    if (['test', 't', 'run', 'run-script', 'build', 'lint', 'start', 'list', 'ls', 'why', 'check', 'typecheck', 'format', 'workspaces', 'workspace', 'recursive', '-r'].includes(sub)) return allow(`${name} ${sub}`, 'medium');
    const script = ops[0] as Arg;
    if (name === 'bun') {
      const cls = this.pathClass(script);
      if (cls === 'inside' || cls === 'root') return allow('bun runs a workspace script', 'medium');
    }
    return allow(`${name} ${sub}: runs a package.json script`, 'medium');
  }

  private pip(rest: Arg[]): Judgment {
    const sub = this.operands(rest)[0]?.text;
    if (!sub || ['list', 'show', 'freeze', 'check', 'help', 'debug', 'inspect', '--version', 'hash'].includes(sub)) return allow(`pip ${sub ?? ''} (read-only)`);
    if (['install', 'download', 'wheel', 'uninstall', 'index', 'search'].includes(sub)) return askNet(`pip ${sub} uses the package index (network)`);
    if (sub === 'config' || sub === 'cache') return ask(`pip ${sub} changes pip settings or caches`);
    return ask(`pip ${sub}: unknown pip command`);
  }

  private sub(name: string, rest: Arg[], allowed: Set<string>, network: Set<string>): Judgment {
    const sub = rest.find((a) => !a.text.startsWith('-') || allowed.has(a.text))?.text ?? '';
    if (sub.startsWith('+')) return this.sub(name, rest.filter((a) => a.text !== sub), allowed, network); // cargo +toolchain
    if (!sub) return allow(`${name} without a subcommand`);
    if (allowed.has(sub)) return allow(`${name} ${sub}: build/test tool (runs the workspace's code inside the sandbox)`, 'medium');
    if (network.has(sub)) return askNet(`${name} ${sub} downloads or publishes (network)`);
    if (name === 'go' && sub === 'generate') return ask('go generate runs commands named in source comments');
    return ask(`${name} ${sub}: unknown subcommand`);
  }

  private buildGoals(name: string, rest: Arg[]): Judgment {
    const goals = this.operands(rest, ['-f', '-s', '-gs', '-pl', '-P', '-D', '-b', '-c', '-I', '-p', '--project-dir', '--init-script', '--settings-file']);
    const safe = /^(test|build|compile|test-compile|verify|package|check|clean|validate|assemble|lint|jar|classes|testClasses|javadoc|dependencies|tasks|help|projects|properties|surefire:test|spotless:check|spotlessCheck|checkstyleMain)$/;
    const bad = goals.find((g) => !safe.test(g.text.replace(/^:.*:/, '')));
    if (bad) return ask(`${name} ${bad.raw}: not a known build/test goal`);
    if (rest.some((a) => ['-I', '--init-script', '-s', '-gs', '--settings-file'].includes(a.text))) return ask(`${name} with an init script or settings file`);
    return allow(`${name} ${goals.map((g) => g.text).join(' ')}: build/test (dependencies must already be available offline)`, 'medium');
  }

  private make(rest: Arg[]): Judgment {
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i] as Arg;
      const dir = a.text === '-C' || a.text === '--directory' ? rest[i + 1] : a.text.startsWith('--directory=') ? { ...a, text: a.text.slice(12) } : a.text.startsWith('-C') && a.text.length > 2 ? { ...a, text: a.text.slice(2) } : undefined;
      if (dir) {
        const cls = this.pathClass(dir);
        if (cls === 'outside') return deny(`make -C ${dir.raw}: builds outside the workspace`, true);
        if (cls === 'unknown') return ask(`make -C ${dir.raw}: directory not statically known`);
      }
      if (a.text.startsWith('SHELL=') || a.text.startsWith('MAKESHELL=') || a.text.startsWith('.SHELLFLAGS=')) return ask(`make ${a.text}: overrides the shell`);
    }
    return allow('make: runs the workspace Makefile (inside the sandbox)', 'medium');
  }

  // --- file tools -----------------------------------------------------------------------------

  /** Non-option operands (after `--`, everything). `withValue` options consume the next argument. */
  private operands(args: Arg[], withValue: string[] = []): Arg[] {
    const out: Arg[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Arg;
      if (a.static && a.text === '--') return out.concat(args.slice(i + 1));
      if (a.static && a.text.startsWith('-') && a.text !== '-') {
        if (withValue.includes(a.text)) i++;
        continue;
      }
      out.push(a);
    }
    return out;
  }

  private optionTarget(name: string, args: Arg[], short: string[], long: string[]): Judgment | undefined {
    let j: Judgment | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Arg;
      let target: Arg | undefined;
      if (short.includes(a.text) || long.includes(a.text)) target = args[++i];
      else {
        const l = long.find((o) => a.text.startsWith(`${o}=`));
        if (l) target = { ...a, text: a.text.slice(l.length + 1) };
        else {
          const s = short.find((o) => o.length === 2 && a.text.startsWith(o) && a.text.length > 2 && !a.text.startsWith('--'));
          if (s) target = { ...a, text: a.text.slice(2) };
        }
      }
      if (target) {
        const w = this.writeTarget(target, `${name} ${a.text.split('=')[0]}`);
        if (w) j = j ? worse(j, w) : w;
      }
    }
    return j;
  }

  private writeAll(name: string, args: Arg[]): Judgment {
    const withValue: Record<string, string[]> = { install: ['-m', '-o', '-g', '-S', '-t', '--mode', '--owner', '--group', '--suffix', '--target-directory'], truncate: ['-s', '-r', '--size', '--reference'], mv: ['-t', '-S', '--suffix', '--target-directory'], ln: ['-t', '-S', '--suffix', '--target-directory'], touch: ['-d', '-r', '-t', '--date', '--reference'], mkdir: ['-m', '--mode'] };
    let j: Judgment = allow(`${name} inside the workspace`, 'medium');
    for (const op of this.operands(args, withValue[name] ?? [])) j = worse(j, this.writeTarget(op, `${name} ${op.raw}`));
    const t = this.optionTarget(name, args, ['-t'], ['--target-directory']);
    return worse(j, t);
  }

  private cp(args: Arg[]): Judgment {
    const t = this.optionTarget('cp', args, ['-t'], ['--target-directory']);
    if (t || args.some((a) => a.text === '-t' || a.text.startsWith('--target-directory'))) return t ?? allow('cp into the workspace', 'medium');
    const ops = this.operands(args, ['-S', '--suffix']);
    const dest = ops[ops.length - 1];
    return (dest ? this.writeTarget(dest, `cp destination ${dest.raw}`) : undefined) ?? allow('cp into the workspace', 'medium');
  }

  private rm(name: string, args: Arg[]): Judgment {
    if (args.some((a) => a.text === '--no-preserve-root')) return deny(`${name} --no-preserve-root`);
    const recursive = args.some((a) => /^-[a-zA-Z]*[rR]/.test(a.text) || a.text === '--recursive');
    let j: Judgment = allow(`${name} inside the workspace`, 'medium');
    for (const op of this.operands(args)) {
      const w = this.writeTarget(op, `${name} ${op.raw}`);
      if (w) j = worse(j, w);
      else if (recursive && (this.pathClass(op) === 'root' || (op.glob && path.posix.dirname(this.resolve(op.text) ?? '/') === this.ws))) j = worse(j, ask(`${name} -r ${op.raw} deletes the whole workspace`, 'high'));
    }
    return j;
  }

  private chmod(args: Arg[]): Judgment {
    const ops = this.operands(args.filter((a) => !/^-[rwxXstugo]+$/.test(a.text) || /^-[R]/.test(a.text)), ['--reference']);
    const mode = args.find((a) => /^[-+=]?[ugoa]*[-+=][rwxXstugo]+/.test(a.text) || /^[0-7]{3,4}$/.test(a.text));
    if (mode && (/[-+=]?[ugoa]*[+=][rwxXtugo]*s/.test(mode.text) || /^[2-7][0-7]{3}$/.test(mode.text) && /^[2467]/.test(mode.text))) return deny(`chmod ${mode.text} sets setuid/setgid bits`);
    let j: Judgment = allow('chmod inside the workspace', 'medium');
    for (const op of ops) if (op !== mode) j = worse(j, this.writeTarget(op, `chmod ${op.raw}`));
    return j;
  }

  private chown(name: string, args: Arg[]): Judgment {
    const ops = this.operands(args, ['--reference', '--from']);
    const owner = ops[0];
    if (owner && (/^(root|0)?(:(root|0)?)?$/.test(owner.text) && /(root|0)/.test(owner.text))) return deny(`${name} to root`);
    let j: Judgment = allow(`${name} inside the workspace`, 'medium');
    for (const op of ops.slice(1)) j = worse(j, this.writeTarget(op, `${name} ${op.raw}`));
    return j;
  }

  private dd(args: Arg[]): Judgment {
    let j: Judgment = allow('dd', 'medium');
    for (const a of args) if (a.text.startsWith('of=')) j = worse(j, this.writeTarget({ ...a, text: a.text.slice(3) }, `dd ${a.text}`));
    return j;
  }

  private sed(args: Arg[]): Judgment {
    let inPlace = false;
    let sandbox = false;
    const scripts: Arg[] = [];
    const files: Arg[] = [];
    let haveScript = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i] as Arg;
      const t = a.text;
      if (t === '--') {
        files.push(...args.slice(i + 1));
        break;
      }
      if (t === '-e' || t === '--expression') {
        const s = args[++i];
        if (s) scripts.push(s);
        haveScript = true;
      } else if (t.startsWith('--expression=')) {
        scripts.push({ ...a, text: t.slice(13) });
        haveScript = true;
      } else if (t === '-f' || t === '--file' || t.startsWith('--file=')) return ask('sed -f reads its script from a file, which cannot be checked');
      else if (t === '-i' || t.startsWith('--in-place') || /^-[nErsuz]*i/.test(t)) inPlace = true;
      else if (t === '--sandbox') sandbox = true;
      else if (t === '-l' || t === '--line-length') i++;
      else if (t.startsWith('-') && t !== '-') continue;
      else if (!haveScript) {
        scripts.push(a);
        haveScript = true;
      } else files.push(a);
    }
    let j: Judgment = inPlace ? allow('sed -i edits files inside the workspace', 'medium') : allow('sed prints (read-only)');
    for (const s of scripts) {
      if (!s.static) j = worse(j, ask('sed script is not statically known'));
      else if (!sandbox && sedScriptRisky(s.text)) j = worse(j, ask('the sed script may run commands or write files (e, w, r commands or s///e, s///w)'));
    }
    if (inPlace) for (const f of files) j = worse(j, this.writeTarget(f, `sed -i ${f.raw}`));
    return j;
  }

  private awk(name: string, args: Arg[]): Judgment {
    const ops = this.operands(args, ['-F', '-v', '-f', '--field-separator', '--assign', '--file']);
    if (args.some((a) => a.text === '-f' || a.text.startsWith('--file'))) return ask(`${name} -f reads its program from a file, which cannot be checked`);
    const prog = ops[0];
    if (!prog) return ask(`${name} without a program`);
    if (!prog.static) return ask(`${name} program is not statically known`);
    if (/\bsystem\s*\(|\||\bprintf?\b[^;}]*>/.test(prog.text)) return ask(`the ${name} program may run commands or write files (system, |, print >)`);
    return allow(`${name} (read-only program)`);
  }

  private find(args: Arg[], depth: number): Judgment {
    const roots: Arg[] = [];
    let i = 0;
    while (i < args.length && !/^[-(!]/.test((args[i] as Arg).text)) roots.push(args[i++] as Arg);
    if (roots.length === 0) roots.push(literalArg('.'));
    let j: Judgment = allow('find is read-only');
    for (; i < args.length; i++) {
      const t = (args[i] as Arg).text;
      if (['-exec', '-execdir', '-ok', '-okdir'].includes(t)) {
        const cmd: Arg[] = [];
        for (i++; i < args.length && !(args[i]?.text === ';' || args[i]?.text === '+'); i++) cmd.push(args[i] as Arg);
        // `{}` is a path found under the roots: inside the workspace when every root is.
        const rootsInside = roots.every((r) => ['inside', 'root'].includes(this.pathClass(r)));
        const found = (a: Arg): Arg => (rootsInside ? literalArg(a.text.split('{}').join(`${this.ws}/found`)) : dynamicArg(a.raw));
        j = worse(j, cmd.length ? this.argv(cmd.map((a) => (a.text.includes('{}') ? found(a) : a)), depth) : deny('find -exec without a command', true));
      } else if (t === '-delete') {
        for (const r of roots) j = worse(j, this.writeTarget(r, `find ${r.raw} -delete`) ?? allow('find -delete inside the workspace', 'medium'));
      } else if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(t)) {
        const target = args[++i];
        if (target) j = worse(j, this.writeTarget(target, `find ${t}`));
      }
    }
    return j;
  }

  private tar(args: Arg[]): Judgment {
    if (args.some((a) => /^(--to-command|--checkpoint-action|--use-compress-program|--rsh-command|--info-script|--new-volume-script|-I|-F)/.test(a.text))) return ask('tar with an option that runs a program');
    let j: Judgment = allow('tar inside the workspace', 'medium');
    const t = this.optionTarget('tar', args, ['-C', '-f'], ['--directory', '--file']);
    j = worse(j, t);
    for (const op of this.operands(args, ['-C', '-f', '--directory', '--file', '-T', '-X', '--exclude', '--transform'])) if (op.text.includes('/')) j = worse(j, this.writeTarget(op, `tar ${op.raw}`));
    return j;
  }

  private archive(name: string, args: Arg[]): Judgment {
    if (args.some((a) => /^-[a-zA-Z]*c/.test(a.text) && name !== 'zip') || args.some((a) => a.text === '--stdout' || a.text === '-l' || a.text === '-t')) return allow(`${name} to stdout`);
    let j: Judgment = allow(`${name} inside the workspace`, 'medium');
    if (name === 'unzip') return worse(j, this.optionTarget(name, args, ['-d'], []));
    const ops = this.operands(args, ['-x', '-i', '-d', '-o', '-b', '-n']);
    for (const op of name === 'zip' ? ops.slice(0, 1) : ops) j = worse(j, this.writeTarget(op, `${name} ${op.raw}`));
    return j;
  }

  private rsync(args: Arg[]): Judgment {
    if (args.some((a) => /^(-e|--rsh|--rsync-path)/.test(a.text))) return ask('rsync with a remote shell or rsync path runs a program');
    const ops = this.operands(args, ['--exclude', '--include', '--filter', '-f', '--exclude-from', '--include-from', '--files-from', '--log-file', '--partial-dir', '--temp-dir', '-T', '--backup-dir', '--chmod', '--chown']);
    if (ops.some((o) => /^[^/]*::|^rsync:\/\/|^[^/:]+:/.test(o.text))) return { ...askNet('rsync to or from a remote host'), tag: 'fetch' };
    const dest = ops[ops.length - 1];
    return (dest ? this.writeTarget(dest, `rsync destination ${dest.raw}`) : undefined) ?? allow('rsync inside the workspace', 'medium');
  }

  private fetch(name: string, args: Arg[]): Judgment {
    let j: Judgment = { ...askNet(`${name} uses the network`), tag: 'fetch' };
    if (args.some((a) => a.text === '-K' || a.text.startsWith('--config'))) j = worse(j, ask(`${name} reads options from a config file`));
    const short = name === 'curl' ? ['-o', '-D', '-c', '--trace', '--trace-ascii', '--libcurl', '--stderr', '--output-dir'] : ['-O', '-o', '-a', '-P'];
    const long = name === 'curl' ? ['--output', '--dump-header', '--cookie-jar', '--trace', '--trace-ascii', '--libcurl', '--stderr', '--output-dir'] : ['--output-document', '--output-file', '--append-output', '--directory-prefix'];
    return worse(j, this.optionTarget(name, args, short, long));
  }

  private cd(name: string, args: Arg[]): Judgment {
    const ops = this.operands(args);
    const target = ops[0];
    if (name === 'popd' || !target || !target.static || target.tilde || target.text === '-') {
      this.cwd = null;
      return allow(`${name}: later relative paths are no longer known`);
    }
    this.cwd = this.resolve(target.text);
    return allow(`${name} ${target.text}`);
  }

  // --- paths ------------------------------------------------------------------------------------

  private resolve(p: string): string | null {
    if (p.startsWith('/')) return path.posix.normalize(p);
    if (this.cwd === null) return null;
    return path.posix.resolve(this.cwd, p);
  }

  private pathClass(a: Arg): PathClass {
    if (!a.static) return 'unknown';
    if (a.tilde) return 'outside';
    if (a.text === '') return 'unknown';
    // A glob segment such as `.*` may match `..` on shells without globskipdots.
    if (a.glob && a.text.split('/').some((seg) => /^\.[*?[]/.test(seg))) return 'unknown';
    const abs = this.resolve(a.text);
    if (abs === null) return 'unknown';
    if (abs === this.ws) return 'root';
    if (abs.startsWith(`${this.ws}/`)) return 'inside';
    if (abs === '/tmp' || abs.startsWith('/tmp/')) return 'tmp';
    if (/^\/dev\/(null|stdout|stderr|tty|fd\/\d+)$/.test(abs)) return 'dev';
    return 'outside';
  }

  /** Undefined when writing `a` is fine; otherwise a deny (outside) or ask (unknown). */
  private writeTarget(a: Arg, what: string): Judgment | undefined {
    const cls = this.pathClass(a);
    if (cls === 'outside') return deny(`${what}: writes outside the workspace (${this.resolve(a.text) ?? a.text})`, true);
    if (cls === 'unknown') return ask(`${what}: the target path is not statically known, so it may be outside the workspace`);
    return undefined;
  }
}

/** A conservative reader for sed scripts: true when a command may execute or write files. */
export function sedScriptRisky(s: string): boolean {
  let i = 0;
  const n = s.length;
  const regex = (d: string): boolean => {
    while (i < n && s[i] !== d) {
      if (s[i] === '\\') i++;
      else if (s[i] === '\n') return false;
      i++;
    }
    if (i >= n) return false;
    i++;
    return true;
  };
  const address = (): boolean => {
    const c = s[i] ?? '';
    if (/[0-9$]/.test(c)) {
      while (i < n && /[0-9$~+]/.test(s[i] ?? '')) i++;
      return true;
    }
    if (c === '/' || c === '\\') {
      const d = c === '/' ? '/' : (s[i + 1] ?? '');
      i += c === '/' ? 1 : 2;
      if (!d || !regex(d)) throw new Error('bad address');
      while (s[i] === 'I' || s[i] === 'M') i++;
      return true;
    }
    return false;
  };
  try {
    for (;;) {
      while (i < n && /[\s;]/.test(s[i] ?? '')) i++;
      if (i >= n) return false;
      if (address()) {
        while (s[i] === ' ') i++;
        if (s[i] === ',') {
          i++;
          while (s[i] === ' ') i++;
          if (!address()) throw new Error('bad range');
        }
      }
      while (s[i] === ' ' || s[i] === '!') i++;
      const c = s[i++] ?? '';
      if (c === 's' || c === 'y') {
        const d = s[i++] ?? '';
        if (!d || d === '\n' || d === '\\') return true;
        if (!regex(d) || !regex(d)) return true;
        if (c === 's') {
          while (i < n && /[gpiImMew0-9]/.test(s[i] ?? '')) {
            if (s[i] === 'e' || s[i] === 'w') return true;
            i++;
          }
        }
      } else if ('ewWrR'.includes(c)) return true;
      else if ('aic'.includes(c)) {
        while (i < n && s[i] !== '\n') i += s[i] === '\\' ? 2 : 1;
      } else if ('btT:#'.includes(c)) {
        while (i < n && s[i] !== '\n' && (c === '#' || s[i] !== ';')) i++;
      } else if ('qQlL'.includes(c)) {
        while (i < n && /[0-9 ]/.test(s[i] ?? '')) i++;
      } else if (!SED_COMMANDS.test(c)) return true;
    }
  } catch {
    return true;
  }
}

/**
 * Classifies a shell command line. Never throws: a parse error is a `deny` with the reason.
 *
 * @param command the command line as the agent wants to run it (bash syntax)
 * @param policy  the repo's policy (loadPolicy); rules override the defaults except structural checks
 * @param ctx     workspace path inside the sandbox (default /workspace) and the auto-commit grant
 */
export function classifyCommand(command: string, policy: Policy = EMPTY_POLICY, ctx: ClassifyContext = {}): Classification {
  const ws = path.posix.normalize(ctx.workspace ?? '/workspace').replace(/\/+$/, '') || '/';
  const c = new Classifier(ws, ctx.autoCommit === true || policy.autoCommit === true, policy);
  c.script(command, 0, [command]);
  const parts = c.parts;
  let top: Part | undefined;
  let risk: Risk = 'low';
  let needsNetwork = false;
  for (const p of parts) {
    if (!top || VRANK[p.verdict] > VRANK[top.verdict]) top = p;
    if (RRANK[p.risk] > RRANK[risk]) risk = p.risk;
    if (p.needsNetwork) needsNetwork = true;
  }
  const verdict = top?.verdict ?? 'deny';
  if (verdict === 'deny') risk = 'high';
  const reason = top ? (parts.length > 1 ? `${top.argv.join(' ')}: ${top.reason}` : top.reason) : 'nothing to run';
  return { verdict, risk, reason, needsNetwork, parts: parts.map((p) => ({ argv: p.argv, verdict: p.verdict, reason: p.reason })) };
}
