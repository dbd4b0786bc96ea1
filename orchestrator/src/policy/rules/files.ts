/**
 * File writers: every path they write (operands, `-o`/`-t` style options) must be inside the
 * workspace, /tmp or /dev/null & co., and not configuration that later commands obey (paths.ts).
 * Their options must be known (program-options.ts); modes may not set setuid/setgid bits.
 */
import * as path from 'node:path';
import { operands, optionValue, valuesOf, withText } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, deny, worse, worseOf, type Judgment } from '../verdicts';
import type { Arg } from '../words';
import { modeRisk } from './privilege';
import { knownOptions, specOf } from './readers';

export function rm(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const { scan, problem } = knownOptions(name, args, specOf(name === 'rimraf' ? 'rm' : name));
  if (scan.options.some((o) => o.name === '--no-preserve-root')) return deny(`${name} --no-preserve-root`);
  const recursive = scan.options.some((o) => ['-r', '-R', '--recursive'].includes(o.name));
  let j: Judgment = problem ?? allow(`${name} inside the workspace`, 'medium');
  for (const op of scan.operands) {
    // Deleting is harmless for configuration files (`rm .git/index.lock`): only where it points matters.
    const w = ctx.paths.writeTarget(op, `${name} ${op.raw}`, true);
    if (w) j = worse(j, w);
    else if (recursive && (ctx.paths.classify(op) === 'root' || (op.glob && path.posix.dirname(ctx.paths.resolve(op.text) ?? '/') === ctx.paths.ws))) j = worse(j, ask(`${name} -r ${op.raw} deletes the whole workspace`, 'high'));
  }
  return j;
}

/** Tools whose every operand may be written (mv, ln, touch, mkdir, truncate, install, tee, chmod …). */
function writeAll(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const { scan, problem } = knownOptions(name, args, specOf(name));
  let j: Judgment = problem ?? allow(`${name} inside the workspace`, 'medium');
  const dirs = valuesOf(scan, '-t', '--target-directory');
  if (name === 'ln') return worse(j, link(ctx, scan.operands, dirs));
  for (const op of scan.operands) j = worse(j, ctx.paths.writeTarget(op, `${name} ${op.raw}`));
  for (const t of dirs) j = worse(j, ctx.paths.writeTarget(t, `${name} -t`));
  // install -m 4755 / mkdir -m 2775: the same setuid/setgid check as chmod.
  for (const m of valuesOf(scan, '-m', '--mode')) j = worse(j, modeRisk(name, m));
  if (name === 'install') for (const o of valuesOf(scan, '-o', '--owner', '-g', '--group')) if (/^(root|0)$/.test(o.text)) j = worse(j, deny(`${name} -o/-g ${o.text}: gives files to root`));
  return j;
}

/**
 * ln TARGET… LINK: only the link is written; a target is where later writes through the link land,
 * so it may not be the git directory or (an ancestor of) the home directory with its dotfiles.
 */
function link(ctx: RuleContext, ops: Arg[], dirs: Arg[]): Judgment | undefined {
  let j: Judgment | undefined;
  const linkArgs = dirs.length ? dirs : ops.length > 1 ? ops.slice(-1) : [];
  const targets = dirs.length || ops.length <= 1 ? ops : ops.slice(0, -1);
  for (const l of linkArgs) j = worseOf(j, ctx.paths.writeTarget(l, `ln ${l.raw}`));
  // A relative target is relative to the link's directory.
  const base = linkArgs[0]?.static && !dirs.length ? path.posix.dirname(linkArgs[0].text) : (dirs[0]?.text ?? '.');
  for (const t of targets) j = worseOf(j, linkTarget(ctx, t.static && !t.text.startsWith('/') ? { ...t, text: path.posix.join(base, t.text) } : t));
  return j;
}

/** `ln -s /tmp h` would let a later `h/.gitconfig` reach the home directory's configuration. */
function linkTarget(ctx: RuleContext, target: Arg): Judgment | undefined {
  const cls = ctx.paths.classify(target);
  if (cls === 'gitdir' || cls === 'homeconfig') return deny(`ln to ${target.raw}: later writes through the link would reach configuration that makes git or other tools run programs`, true);
  if (cls === 'unknown') return ask(`ln to ${target.raw}: the link target is not statically known`);
  const abs = ctx.paths.resolve(target.text);
  if (abs !== null && (ctx.paths.home === abs || ctx.paths.home.startsWith(`${abs === '/' ? '' : abs}/`))) return deny(`ln to ${target.raw}: a link to the home directory lets later writes reach its configuration files`, true);
  return undefined;
}

/** cp writes only its destination: the last operand, or the -t directory. A source .git is config. */
function cp(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const { scan, problem } = knownOptions(name, args, specOf('cp'));
  let j: Judgment = problem ?? allow(`${name} into the workspace`, 'medium');
  const t = valuesOf(scan, '-t', '--target-directory');
  const dests = t.length ? t : scan.operands.slice(-1);
  for (const d of dests) j = worse(j, ctx.paths.writeTarget(d, `${name} destination ${d.raw}`));
  const sources = t.length ? scan.operands : scan.operands.slice(0, -1);
  for (const src of sources) if (ctx.paths.classify(src) === 'gitdir' || (src.static && /(^|\/)\.git\/?$/i.test(src.text))) j = worse(j, ask(`${name} ${src.raw}: copies a git directory, whose config and hooks make git run programs`));
  if (scan.options.some((o) => o.name === '-s' || o.name === '--symbolic-link') && sources[0]) j = worse(j, linkTarget(ctx, sources[0]));
  return j;
}

function dd(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  let j: Judgment = allow('dd', 'medium');
  for (const a of args) if (a.text.startsWith('of=')) j = worse(j, ctx.paths.writeTarget(withText(a, a.text.slice(3)), `dd ${a.text}`));
  return j;
}

/** `tar xzf a.tgz`: old-style bundled letters, whose values follow in order. */
function tarOldStyle(args: Arg[]): Arg[] {
  const first = args[0];
  if (!first || !first.static || first.text.startsWith('-') || !/^[A-Za-z]+$/.test(first.text)) return args;
  const valued = new Set('CHKLNTVXbfgIF');
  const out: Arg[] = [];
  let next = 1;
  for (const c of first.text) {
    out.push(withText(first, `-${c}`));
    if (valued.has(c) && args[next]) out.push(args[next++] as Arg);
  }
  return out.concat(args.slice(next));
}

/** tar: the archive (-f), the directory (-C) and operands are checked; programs and setuid bits ask. */
function tar(ctx: RuleContext, name: string, raw: Arg[]): Judgment {
  const args = tarOldStyle(raw);
  const { scan, problem } = knownOptions(name, args, specOf('tar'));
  if (problem) return { ...problem, reason: `${problem.reason} (tar has options that run programs: --to-command, -I, --checkpoint-action …)` };
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  for (const f of valuesOf(scan, '-f', '--file')) {
    // host:file is a remote archive, reached through rsh/ssh.
    if (f.static && /^[^/]*:/.test(f.text) && !scan.options.some((o) => o.name === '--force-local')) j = worse(j, ask(`${name} -f ${f.raw}: a remote archive (runs rsh/ssh)`));
    else j = worse(j, ctx.paths.writeTarget(f, `${name} -f`));
  }
  const dirs = valuesOf(scan, '-C', '--directory');
  for (const d of dirs) j = worse(j, ctx.paths.writeTarget(d, `${name} -C`));
  // The members of an archive are not known: extracted into the workspace, one may be .git/hooks/….
  const extract = scan.options.some((o) => ['-x', '--extract', '--get'].includes(o.name)) && !scan.options.some((o) => ['-O', '--to-stdout', '-t', '--list'].includes(o.name));
  if (extract && !dirs.some((d) => ctx.paths.classify(d) === 'tmp')) j = worse(j, ask(`${name} -x: the archive's members are not known and may include .git/config or .git/hooks (extract into /tmp, or list it first)`));
  if (scan.options.some((o) => ['-p', '--preserve-permissions', '--same-permissions'].includes(o.name))) j = worse(j, ask(`${name} -p keeps the archive's permission bits, setuid included`));
  for (const op of scan.operands) if (op.text.includes('/')) j = worse(j, ctx.paths.writeTarget(op, `${name} ${op.raw}`));
  return j;
}

/** Compressors write next to their operands (zip: its first operand, the archive); unzip into -d. */
function archive(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  if (name === 'zip' && args.some((a) => /^-(T|TT.*)$/.test(a.text) || a.text.startsWith('--'))) return ask(`${name} ${args.find((a) => /^-(T|TT)|^--/.test(a.text))?.raw ?? ''}: zip -T/-TT runs a test command; long options are not modelled`);
  if (name === 'unzip' && args.some((a) => /^-[a-zA-Z]*K/.test(a.text))) return ask('unzip -K keeps setuid/setgid bits');
  if (name === 'gzip' || name === 'gunzip') {
    const problem = knownOptions(name, args, specOf('gzip')).problem;
    if (problem) return problem;
  }
  if (args.some((a) => /^-[a-zA-Z]*c/.test(a.text) && name !== 'zip') || args.some((a) => a.text === '--stdout' || a.text === '-l' || a.text === '-t')) return allow(`${name} to stdout`);
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  if (name === 'unzip') {
    const dest = args.map((_a, k) => optionValue(args, k, ['-d'], [])?.value).find((v) => v !== undefined);
    j = worse(j, ctx.paths.optionTargets(name, args, ['-d'], []));
    // The members of an archive are not known: extracted into the workspace, one may be .git/hooks/….
    return dest && ctx.paths.classify(dest) === 'tmp' ? j : worse(j, ask(`${name}: the archive's members are not known and may include .git/config or .git/hooks (extract into /tmp with -d, or list it first)`));
  }
  if (name === 'zstd' || name === 'unzstd') j = worse(j, ctx.paths.optionTargets(name, args, ['-o'], ['--output-dir-flat', '--output-dir-mirror']));
  const ops = operands(args, ['-x', '-i', '-d', '-o', '-b', '-n', '-S', '--suffix']);
  for (const op of name === 'zip' ? ops.slice(0, 1) : ops) j = worse(j, ctx.paths.writeTarget(op, `${name} ${op.raw}`));
  return j;
}

export const FILE_RULES: Record<string, Rule> = {
  ...sameRule(['rm', 'unlink', 'rmdir', 'shred'], rm),
  ...sameRule(['mv', 'ln', 'touch', 'mkdir', 'truncate', 'install', 'tee'], writeAll),
  cp,
  dd,
  tar,
  ...sameRule(['zip', 'unzip', 'gzip', 'gunzip', 'bzip2', 'bunzip2', 'xz', 'unxz', 'zstd', 'unzstd'], archive),
  sort: (ctx, name, args) => {
    const { scan, problem } = knownOptions(name, args, specOf('sort'));
    let j: Judgment = problem ?? allow(`${name} is read-only`);
    for (const o of valuesOf(scan, '-o', '--output', '-T', '--temporary-directory')) j = worse(j, ctx.paths.writeTarget(o, `${name} output or temporary directory`));
    return j;
  },
  uniq: (ctx, name, args) => {
    const { scan, problem } = knownOptions(name, args, specOf('uniq'));
    const output = scan.operands[1];
    return problem ?? (output ? ctx.paths.writeTarget(output, 'uniq output') : undefined) ?? allow('uniq');
  },
  // The diff names the files it writes (git-style diffs even set modes): .git/hooks included. git apply refuses those.
  patch: (ctx, name, args) => ctx.paths.optionTargets(name, args, ['-o', '-d', '-r'], ['--output', '--directory', '--reject-file']) ?? ask(`${name}: the diff may write any file of the workspace, its .git hooks included (git apply refuses those)`),
};

