/**
 * File writers: every path they write (operands, `-o`/`-t` style options) must be inside the
 * workspace, /tmp or /dev/null & co. Reading is harmless and left to command-sets' READ_ONLY.
 */
import * as path from 'node:path';
import { operands, withText } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, deny, worse, type Judgment } from '../verdicts';
import { dynamicArg, literalArg, type Arg } from '../words';

export function rm(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  if (args.some((a) => a.text === '--no-preserve-root')) return deny(`${name} --no-preserve-root`);
  const recursive = args.some((a) => /^-[a-zA-Z]*[rR]/.test(a.text) || a.text === '--recursive');
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  for (const op of operands(args)) {
    const w = ctx.paths.writeTarget(op, `${name} ${op.raw}`);
    if (w) j = worse(j, w);
    else if (recursive && (ctx.paths.classify(op) === 'root' || (op.glob && path.posix.dirname(ctx.paths.resolve(op.text) ?? '/') === ctx.paths.ws))) j = worse(j, ask(`${name} -r ${op.raw} deletes the whole workspace`, 'high'));
  }
  return j;
}

/** Options that take a value (so the value is not mistaken for a path operand). */
const WRITER_VALUE_OPTIONS: Record<string, string[]> = { install: ['-m', '-o', '-g', '-S', '-t', '--mode', '--owner', '--group', '--suffix', '--target-directory'], truncate: ['-s', '-r', '--size', '--reference'], mv: ['-t', '-S', '--suffix', '--target-directory'], ln: ['-t', '-S', '--suffix', '--target-directory'], touch: ['-d', '-r', '-t', '--date', '--reference'], mkdir: ['-m', '--mode'] };

/** Tools whose every operand may be written (mv, ln, touch, mkdir, truncate, install, tee). */
function writeAll(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  for (const op of operands(args, WRITER_VALUE_OPTIONS[name] ?? [])) j = worse(j, ctx.paths.writeTarget(op, `${name} ${op.raw}`));
  const t = ctx.paths.optionTargets(name, args, ['-t'], ['--target-directory']);
  return worse(j, t);
}

/** cp writes only its destination: the last operand, or the -t directory. */
function cp(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  const t = ctx.paths.optionTargets('cp', args, ['-t'], ['--target-directory']);
  if (t || args.some((a) => a.text === '-t' || a.text.startsWith('--target-directory'))) return t ?? allow('cp into the workspace', 'medium');
  const ops = operands(args, ['-S', '--suffix']);
  const dest = ops[ops.length - 1];
  return (dest ? ctx.paths.writeTarget(dest, `cp destination ${dest.raw}`) : undefined) ?? allow('cp into the workspace', 'medium');
}

function dd(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  let j: Judgment = allow('dd', 'medium');
  for (const a of args) if (a.text.startsWith('of=')) j = worse(j, ctx.paths.writeTarget(withText(a, a.text.slice(3)), `dd ${a.text}`));
  return j;
}

/** find reads, but -delete and -fprint write, and -exec runs a command (classified as such). */
function find(ctx: RuleContext, _name: string, args: Arg[], depth: number): Judgment {
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
      const rootsInside = roots.every((r) => ctx.paths.inWorkspace(r));
      const found = (a: Arg): Arg => (rootsInside ? literalArg(a.text.split('{}').join(`${ctx.paths.ws}/found`)) : dynamicArg(a.raw));
      j = worse(j, cmd.length ? ctx.command(cmd.map((a) => (a.text.includes('{}') ? found(a) : a)), depth) : deny('find -exec without a command', true));
    } else if (t === '-delete') {
      for (const r of roots) j = worse(j, ctx.paths.writeTarget(r, `find ${r.raw} -delete`) ?? allow('find -delete inside the workspace', 'medium'));
    } else if (['-fprint', '-fprint0', '-fprintf', '-fls'].includes(t)) {
      const target = args[++i];
      if (target) j = worse(j, ctx.paths.writeTarget(target, `find ${t}`));
    }
  }
  return j;
}

function tar(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  if (args.some((a) => /^(--to-command|--checkpoint-action|--use-compress-program|--rsh-command|--info-script|--new-volume-script|-I|-F)/.test(a.text))) return ask('tar with an option that runs a program');
  let j: Judgment = allow('tar inside the workspace', 'medium');
  const t = ctx.paths.optionTargets('tar', args, ['-C', '-f'], ['--directory', '--file']);
  j = worse(j, t);
  for (const op of operands(args, ['-C', '-f', '--directory', '--file', '-T', '-X', '--exclude', '--transform'])) if (op.text.includes('/')) j = worse(j, ctx.paths.writeTarget(op, `tar ${op.raw}`));
  return j;
}

/** Compressors write next to their operands (zip: its first operand, the archive); unzip into -d. */
function archive(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  if (args.some((a) => /^-[a-zA-Z]*c/.test(a.text) && name !== 'zip') || args.some((a) => a.text === '--stdout' || a.text === '-l' || a.text === '-t')) return allow(`${name} to stdout`);
  let j: Judgment = allow(`${name} inside the workspace`, 'medium');
  if (name === 'unzip') return worse(j, ctx.paths.optionTargets(name, args, ['-d'], []));
  const ops = operands(args, ['-x', '-i', '-d', '-o', '-b', '-n']);
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
  sort: (ctx, name, args) => ctx.paths.optionTargets(name, args, ['-o'], ['--output']) ?? allow('sort'),
  uniq: (ctx, _name, args) => {
    const output = operands(args)[1];
    return (output ? ctx.paths.writeTarget(output, 'uniq output') : undefined) ?? allow('uniq');
  },
  patch: (ctx, name, args) => ctx.paths.optionTargets(name, args, ['-o', '-d', '-r'], ['--output', '--directory', '--reject-file']) ?? allow('patch applies a diff inside the working directory', 'medium'),
};

/** find -exec runs a command: listed with the wrappers so an allow rule on find never allows it. */
export const FIND_RULES: Record<string, Rule> = { find };
