/**
 * git and the GitHub CLI. Reading and local writes are allowed (the working copy's .git is only
 * ever used inside a sandbox); commits ask unless auto-commit was granted; remotes need the
 * network; anything that makes git run another program (config keys, -c, --upload-pack) is denied.
 */
import { wordSet } from '../command-sets';
import { compileSpec, operands, optionValue, scanArgs, withText, type CompiledSpec, type OptionSpec } from '../options';
import { GIT_ANY_OPTION, GIT_SUBCOMMAND_OPTIONS } from './git-options';
import type { Rule, RuleContext } from '../rule-context';
import { allow, ask, askNet, commitClass, deny, worse, worseOf, type Judgment } from '../verdicts';
import type { Arg } from '../words';

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

const GIT_READ = wordSet(`
  status diff log show rev-parse rev-list ls-files ls-tree cat-file blame annotate shortlog describe grep whatchanged
  show-ref for-each-ref merge-base name-rev diff-tree diff-files diff-index count-objects var version help check-ignore
  check-attr check-ref-format cherry range-diff show-branch verify-commit verify-tag fsck get-tar-commit-id
  check-mailmap column interpret-trailers patch-id stripspace
`);
/** Local writes inside the working copy (its .git is agent-written and only ever used inside a sandbox). */
const GIT_LOCAL = wordSet(`
  add rm mv restore checkout switch reset stash clean apply init branch tag notes worktree update-index update-ref
  symbolic-ref reflog gc prune repack pack-refs sparse-checkout read-tree write-tree checkout-index hash-object mktree
  mktag rerere format-patch archive bundle mailinfo mailsplit unpack-objects pack-objects index-pack fast-import
  fast-export replace prune-packed multi-pack-index commit-graph
`);
/** Create commits: ask unless auto-commit was granted. */
const GIT_COMMIT = wordSet('commit merge cherry-pick revert rebase am commit-tree');
const GIT_NETWORK = wordSet('clone fetch pull ls-remote submodule request-pull send-email svn p4 cvsimport cvsexportcommit archimport quiltimport');
const GIT_NEVER = wordSet('credential credential-cache credential-store credential-cache--daemon daemon http-backend http-fetch http-push upload-pack receive-pack upload-archive remote-ext remote-fd shell instaweb');

/** Global options that change nothing about what git may do. */
const GIT_HARMLESS_GLOBAL = /^(-p|-P|--paginate|--no-pager|--bare|--no-replace-objects|--literal-pathspecs|--glob-pathspecs|--noglob-pathspecs|--icase-pathspecs|--no-optional-locks|--no-advice|--namespace=.*|--list-cmds=.*|--html-path|--man-path|--info-path|--exec-path|--version|--help|-h|-v)$/;
const GIT_BRANCH_LISTING = /^(-a|--all|-r|--remotes|-v|-vv|--verbose|-l|--list|--show-current|--contains|--no-contains|--merged|--no-merged|--sort=.*|--format=.*|--points-at|--column|--no-column|-n\d*|--color.*)$/;

function gitConfigKey(key: string, how: string): Judgment {
  if (GIT_DANGEROUS_KEY.some((re) => re.test(key))) return deny(`${how} sets ${key}, a git setting that runs programs or redirects config, hooks or remotes`);
  if (GIT_SAFE_KEY.test(key)) return allow(`${how} sets ${key}`);
  return ask(`${how} sets ${key}, which is not on the reviewed list of git settings`);
}

/**
 * Where git is pointed (-C, --git-dir, --work-tree, GIT_DIR=…): the workspace, or its own `.git` for
 * --git-dir. Anywhere else is a repository whose config the policy never saw: /tmp and outside are
 * denied, another directory inside the workspace (a repository the agent may have written) asks.
 */
function gitDirectory(ctx: RuleContext, p: Arg, what: string, gitDir: boolean): Judgment | undefined {
  const cls = ctx.paths.classify(p);
  if (cls === 'unknown') return ask(`${what} ${p.raw}: directory not statically known`);
  if (cls === 'inside' || cls === 'root') return gitDir ? ask(`${what} ${p.raw}: a git directory other than the working copy's .git (its config may run programs)`) : undefined;
  if (cls === 'gitdir') return gitDir && /(^|\/)\.git\/?$/.test(p.text) ? undefined : ask(`${what} ${p.raw}: inside a git directory`);
  return deny(`${what} ${p.raw}: operates on a repository outside the workspace (its config and hooks may run programs; git status even writes its index)`, true);
}

/** GIT_DIR=/tmp/r git status: the same check as --git-dir for the variables that point git elsewhere. */
export function gitPathEnvRisk(ctx: RuleContext, name: string, value: Arg | undefined): Judgment | undefined {
  if (!value || !/^GIT_(DIR|WORK_TREE|COMMON_DIR|OBJECT_DIRECTORY|INDEX_FILE|CONFIG|CONFIG_GLOBAL|CONFIG_SYSTEM|ALTERNATE_OBJECT_DIRECTORIES)$/.test(name)) return undefined;
  const j = gitDirectory(ctx, value, name, name !== 'GIT_WORK_TREE');
  return j?.verdict === 'deny' ? j : undefined;
}

/** Subcommands that do not operate on the current repository. */
const NO_REPOSITORY = new Set(['clone', 'init', 'version', 'help', 'ls-remote']);

function git(ctx: RuleContext, _name: string, rest: Arg[], depth: number): Judgment {
  let i = 0;
  let j: Judgment | undefined;
  let chdir = false;
  // Global options, before the subcommand.
  for (; i < rest.length; i++) {
    const a = rest[i] as Arg;
    if (!a.static) return deny(`git option ${a.raw} is not statically known`, true);
    const t = a.text;
    if (!t.startsWith('-')) break;
    if (t === '-C') {
      const p = rest[++i];
      if (!p) return deny('git -C without a path', true);
      chdir = true;
      j = worseOf(j, gitDirectory(ctx, p, 'git -C', false));
    } else if (t === '-c') {
      const kv = rest[++i];
      if (!kv || !kv.static) return deny('git -c with a setting that is not statically known', true);
      j = worseOf(j, gitConfigKey(kv.text.split('=')[0] ?? '', 'git -c'));
    } else if (t.startsWith('--config-env') || t.startsWith('--exec-path=')) {
      return deny(`git ${t}: can point git at other programs`, true);
    } else if (t === '--git-dir' || t.startsWith('--git-dir=') || t === '--work-tree' || t.startsWith('--work-tree=')) {
      const gitDir = t.startsWith('--git-dir');
      const opt = optionValue(rest, i, [], [gitDir ? '--git-dir' : '--work-tree']);
      if (opt?.takesNext) i++;
      const p = opt?.value;
      if (!p) return deny(`git ${t} without a path`, true);
      chdir = true;
      j = worseOf(j, gitDirectory(ctx, p, `git ${gitDir ? '--git-dir' : '--work-tree'}`, gitDir));
    } else if (t === '--namespace') i++;
    else if (!GIT_HARMLESS_GLOBAL.test(t)) {
      return ask(`git ${t}: unknown global option`);
    }
  }
  const subArg = rest[i];
  if (!subArg) return worse(allow('git without a subcommand prints help'), j);
  const sub = subArg.text;
  const args = rest.slice(i + 1);
  // Without -C, git works on the repository around the current directory (`cd /tmp/r && git status`).
  if (!chdir && !NO_REPOSITORY.has(sub)) {
    const here = ctx.paths.cwdClass();
    if (here !== 'inside' && here !== 'root') j = worseOf(j, here === 'unknown' || here === 'gitdir' ? ask(`git ${sub}: the current directory is not statically known to be in the workspace`) : deny(`git ${sub}: the current directory is outside the workspace`, true));
  }
  j = worseOf(j, gitOptions(sub, args));
  // Options that hand git a program to run, or a file to write, on any subcommand.
  for (const a of args) {
    if (/^(--upload-pack|--receive-pack|--exec|-u)(=|$)/.test(a.text) && ['clone', 'fetch', 'pull', 'push', 'ls-remote', 'archive'].includes(sub)) return deny(`git ${sub} ${a.text}: runs an arbitrary program`);
    if (/^(--output|-o)(=|$)/.test(a.text) || a.text.startsWith('--output-directory')) {
      const idx = args.indexOf(a);
      const target = a.text.includes('=') ? withText(a, a.text.slice(a.text.indexOf('=') + 1)) : args[idx + 1];
      if (target) j = worseOf(j, ctx.paths.writeTarget(target, `git ${sub} output`));
    }
  }
  return worse(gitSubcommand(ctx, sub, args, depth), j);
}

/** The subcommand's options must be known (git-options.ts); an argument that is not statically known may be any option. */
function gitOptions(sub: string, args: Arg[]): Judgment | undefined {
  if (GIT_ANY_OPTION.has(sub)) return undefined;
  const spec = GIT_SUBCOMMAND_OPTIONS[sub];
  if (!spec) {
    if (GIT_NETWORK.has(sub) || sub === 'config' || sub === 'remote' || sub === 'bisect' || sub === 'submodule') return undefined; // judged below
    const opt = args.find((a) => !a.static || (a.text.startsWith('-') && a.text !== '-' && a.text !== '--'));
    return opt ? ask(`git ${sub} ${opt.raw}: options of this subcommand are not modelled by the policy`) : undefined;
  }
  const scan = scanArgs(args, compiledGit(sub, spec));
  if (scan.unknown) return ask(`git ${sub} ${scan.unknown.raw}: an option the policy does not know (it may run a program or write a file)`);
  if (scan.dynamic) return ask(`git ${sub} ${scan.dynamic.raw}: not statically known, so it may be an option (put paths after --)`);
  return undefined;
}

const compiledSpecs = new Map<string, CompiledSpec>();
function compiledGit(sub: string, spec: OptionSpec): CompiledSpec {
  let c = compiledSpecs.get(sub);
  if (!c) compiledSpecs.set(sub, (c = compileSpec(spec)));
  return c;
}

function gitSubcommand(ctx: RuleContext, sub: string, args: Arg[], depth: number): Judgment {
  const net = (what: string): Judgment => askNet(`git ${sub}: ${what}`);
  const commit = (what: string, network = false): Judgment => commitClass(ctx.autoCommit, what, network);
  if (sub === 'push') {
    const force = args.some((a) => /^(-f|--force|--force-with-lease.*|--mirror|--delete|-d|--prune)$/.test(a.text) || a.text.startsWith('+') || a.text.startsWith(':'));
    return force ? { ...askNet('git push with force, delete, mirror or prune rewrites the remote: always needs approval'), risk: 'high' } : commit('git push publishes commits', true);
  }
  if (sub === 'commit' || sub === 'commit-tree') return commit(`git ${sub} creates a commit`);
  if (GIT_COMMIT.has(sub)) {
    const r = commit(`git ${sub} creates commits`);
    return sub === 'rebase' && args.some((a) => /^(-x|--exec)/.test(a.text)) ? worse(r, ask('git rebase --exec runs shell commands')) : r;
  }
  if (sub === 'pull') return worse(net('fetches from a remote'), commit('git pull merges commits'));
  if (sub === 'clone') {
    const dest = operands(args, ['-b', '--branch', '-o', '--origin', '--depth', '-j', '--jobs', '--reference', '--separate-git-dir', '--template', '-c', '--config', '--filter'])[1];
    let r = net('clones from a remote');
    if (dest) r = worse(r, ctx.paths.writeTarget(dest, 'git clone destination'));
    if (args.some((x) => x.text.startsWith('--template') || x.text === '-c' || x.text.startsWith('--config'))) r = worse(r, ask('git clone with a template or config: may install hooks or program settings'));
    return r;
  }
  if (GIT_NETWORK.has(sub)) return net('talks to a remote');
  if (GIT_NEVER.has(sub)) return deny(`git ${sub}: transport, daemon or credential plumbing is never allowed`);
  if (sub === 'remote') {
    const op = args.find((a) => !a.text.startsWith('-'));
    if (op && !op.static) return ask('git remote with a subcommand that is not statically known');
    // Same as `git config remote.*.url`: a later, approved push or fetch would go to another place.
    if (op && ['add', 'set-url'].includes(op.text)) return deny(`git remote ${op.text} changes where pushes and fetches go (like git config remote.*.url)`);
    if (op?.text === 'rename') return ask('git remote rename changes which remote later pushes use');
    if (!op || ['remove', 'rm', 'get-url', 'set-head', 'set-branches'].includes(op.text)) return allow('git remote: local configuration', 'medium');
    return net(`remote ${op.text} contacts the remote`);
  }
  if (sub === 'bundle' && args[0]?.text === 'create' && args[1]) return ctx.paths.writeTarget(args[1], 'git bundle create') ?? allow('git bundle create', 'medium');
  if (sub === 'config') return gitConfig(ctx, args);
  if (sub === 'bisect') return args[0]?.text === 'run' ? worse(allow('git bisect run'), ctx.command(args.slice(1), depth)) : allow('git bisect: moves HEAD inside the workspace', 'medium');
  if (sub === 'worktree') {
    const op = args[0]?.text;
    const dir = operands(args.slice(1), ['-b', '-B', '--reason'])[0];
    return op === 'add' && dir ? (ctx.paths.writeTarget(dir, 'git worktree path') ?? allow('git worktree add', 'medium')) : allow(`git worktree ${op ?? ''}`, 'medium');
  }
  if (sub === 'init') {
    const dir = operands(args, ['--template', '--separate-git-dir', '-b', '--initial-branch', '--object-format', '--shared'])[0];
    const r = (dir ? ctx.paths.writeTarget(dir, 'git init directory') : undefined) ?? allow('git init', 'medium');
    if (args.some((x) => x.text === '--bare')) return worse(r, ask('git init --bare creates a repository whose config sits in a plain directory (git would obey it there)'));
    return args.some((x) => x.text.startsWith('--template') || x.text.startsWith('--separate-git-dir')) ? worse(r, ask('git init with a template or separate git dir')) : r;
  }
  if (sub === 'branch' || sub === 'tag') {
    const listing = args.length === 0 || args.every((a) => GIT_BRANCH_LISTING.test(a.text) || !a.text.startsWith('-') && args.some((b) => b.text === '-l' || b.text === '--list'));
    return listing ? allow(`git ${sub} listing`) : allow(`git ${sub}: local refs inside the workspace`, 'medium');
  }
  if (GIT_READ.has(sub)) return allow(`git ${sub} is read-only`);
  if (GIT_LOCAL.has(sub)) return allow(`git ${sub}: local change inside the workspace`, 'medium');
  if (['filter-branch', 'filter-repo'].includes(sub)) return ask(`git ${sub} rewrites history and runs shell filters`, 'high');
  if (['difftool', 'mergetool', 'maintenance', 'bugreport', 'gui', 'citool', 'gitk'].includes(sub)) return ask(`git ${sub} runs external tools or schedules jobs`);
  return ask(`unknown git subcommand "${sub}" (it may be an alias that runs a shell command)`);
}

/** Reading config is fine; writing is judged by key (gitConfigKey); never --global/--system. */
function gitConfig(ctx: RuleContext, args: Arg[]): Judgment {
  const opts = args.filter((a) => a.text.startsWith('-'));
  if (opts.some((a) => ['--global', '--system'].includes(a.text))) return deny('git config --global/--system writes configuration outside the workspace');
  let j: Judgment | undefined;
  const fileIdx = args.findIndex((a) => a.text === '-f' || a.text === '--file' || a.text.startsWith('--file='));
  const file = fileIdx >= 0 ? optionValue(args, fileIdx, ['-f'], ['--file'])?.value : undefined;
  if (file) j = ctx.paths.writeTarget(file, 'git config --file');
  if (opts.some((a) => /^(--get|--get-all|--get-regexp|--get-urlmatch|--list|-l|--get-color|--get-colorbool)$/.test(a.text))) return worse(allow('git config (read)'), j);
  const ops = operands(args, ['-f', '--file', '--blob', '--type', '--default', '--comment']);
  if (ops[0] && ['get', 'list'].includes(ops[0].text)) return worse(allow('git config (read)'), j);
  let keyArg = ops[0];
  if (ops[0] && ['set', 'unset', 'rename-section', 'remove-section', 'edit'].includes(ops[0].text)) keyArg = ops[1];
  else if (ops.length <= 1 && !opts.some((a) => /^(--add|--unset|--unset-all|--replace-all|--rename-section|--remove-section|-e|--edit)$/.test(a.text))) return worse(allow('git config (read)'), j);
  if (!keyArg || !keyArg.static) return worse(ask('git config write with a key that is not statically known'), j);
  return worse(gitConfigKey(keyArg.text, 'git config'), j);
}

function gh(ctx: RuleContext, _name: string, rest: Arg[]): Judgment {
  const a = rest[0]?.text;
  const b = rest[1]?.text;
  if (a === 'pr' && b === 'create') return commitClass(ctx.autoCommit, 'gh pr create opens a pull request', true);
  if (a === 'pr' && b === 'merge') return { ...askNet('gh pr merge merges on the forge'), risk: 'high' };
  if (a === 'auth' || a === 'secret' || a === 'ssh-key' || a === 'gpg-key') return deny(`gh ${a}: credentials are never handled by agents`);
  return askNet(`gh ${a ?? ''} talks to the forge`);
}

export const GIT_RULES: Record<string, Rule> = { git, gh };
