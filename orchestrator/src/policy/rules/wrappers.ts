/**
 * Wrapper commands run another command (`timeout 5 npm test`, `env A=1 make`, `xargs rm`): the
 * wrapped command is found past the wrapper's own options (all known: program-options.ts; an
 * unknown one asks) and classified as if run directly.
 */
import { envAssignmentRisk } from '../command-sets';
import { compileSpec, scanArgs, valuesOf, type CompiledSpec, type ScannedArgs } from '../options';
import { WRAPPER_OPTIONS } from '../program-options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, deny, worse, worseOf, type Judgment } from '../verdicts';
import { dynamicArg, literalArg, type Arg } from '../words';
import { gitPathEnvRisk } from './git';

const specs = new Map<string, CompiledSpec>(Object.entries(WRAPPER_OPTIONS).map(([n, s]) => [n, compileSpec(s)]));

function wrapped(ctx: RuleContext, argv: Arg[], what: string, depth: number): Judgment {
  if (argv.length === 0) return allow(`${what} without a command`);
  return ctx.command(argv, depth);
}

/** The wrapper's options, or a judgment when one is unknown or not statically known. */
function wrapperOptions(name: string, rest: Arg[]): ScannedArgs | Judgment {
  const scan = scanArgs(rest, specs.get(name) as CompiledSpec);
  if (scan.unknown) return ask(`${name} ${scan.unknown.raw}: an option the policy does not know`);
  if (scan.dynamic && scan.dynamic !== scan.operands[0]) return ask(`${name} ${scan.dynamic.raw}: an option value that is not statically known`);
  return scan;
}

/** A wrapper whose options change nothing about what it runs; `operandsBefore` skips e.g. timeout's duration. */
const skipping =
  (operandsBefore = 0): Rule =>
  (ctx, name, rest, depth) => {
    const scan = wrapperOptions(name, rest);
    if (!('operands' in scan)) return scan;
    return wrapped(ctx, scan.operands.slice(operandsBefore), name, depth);
  };

function time(ctx: RuleContext, name: string, rest: Arg[], depth: number): Judgment {
  const scan = wrapperOptions(name, rest);
  if (!('operands' in scan)) return scan;
  let j = wrapped(ctx, scan.operands, name, depth);
  for (const o of valuesOf(scan, '-o', '--output')) j = worse(j, ctx.paths.writeTarget(o, `${name} -o`));
  return j;
}

function env(ctx: RuleContext, name: string, rest: Arg[], depth: number): Judgment {
  if (name === 'env') {
    const s = rest.find((a) => a.static && (/^-[a-zA-Z0-9]*[SC]/.test(a.text) || a.text.startsWith('--split-string') || a.text.startsWith('--chdir')));
    if (s) return ask(`${name} ${s.raw}: -S splits a string into a command and -C changes directory; not classified`);
  }
  const scan = name === 'env' ? wrapperOptions(name, rest) : scanArgs(rest, compileSpec({ posixOrder: true }));
  if (!('operands' in scan)) return scan;
  let i = 0;
  let j: Judgment | undefined;
  const ops = scan.operands;
  for (; i < ops.length; i++) {
    const a = ops[i] as Arg;
    if (!a.static) return deny(`${name} argument ${a.raw} is not statically known`, true);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a.text);
    if (!m) break;
    const varName = m[1] as string;
    j = worseOf(j, envAssignmentRisk(varName));
    j = worseOf(j, gitPathEnvRisk(ctx, varName, { ...a, text: m[2] as string }));
  }
  const r = wrapped(ctx, ops.slice(i), name, depth);
  return j ? worse(r, j) : r;
}

/** xargs appends (or substitutes) arguments read from stdin: those are unknown. */
function xargs(ctx: RuleContext, name: string, rest: Arg[], depth: number): Judgment {
  const scan = wrapperOptions(name, rest);
  if (!('operands' in scan)) return scan;
  let replace: string | undefined;
  for (const o of scan.options) {
    if (o.name === '-I') replace = o.value?.text;
    else if (o.name === '-i' || o.name === '--replace') replace = o.value?.text || '{}';
  }
  let cmd = scan.operands;
  if (cmd.length === 0) cmd = [literalArg('echo')];
  const marker = replace;
  cmd = marker ? cmd.map((a) => (a.text.includes(marker) ? dynamicArg(a.raw) : a)) : [...cmd, dynamicArg('<input from stdin>')];
  if (!cmd[0]?.static) return deny('xargs runs a command whose name comes from its input', true);
  return wrapped(ctx, cmd, 'xargs', depth);
}

/** jobs -x CMD runs CMD (with job specs replaced). */
function jobs(ctx: RuleContext, _name: string, args: Arg[], depth: number): Judgment {
  const x = args.findIndex((a) => a.text === '-x');
  return x >= 0 ? ctx.command(args.slice(x + 1), depth) : allow('jobs lists jobs');
}

export const WRAPPER_RULES: Record<string, Rule> = {
  jobs,
  command: (ctx, name, rest, depth) => (rest.some((a) => a.text === '-v' || a.text === '-V') ? allow('command -v looks a name up') : skipping()(ctx, name, rest, depth)),
  ...sameRule(['builtin', 'exec', 'nohup', 'setsid', 'nice', 'ionice', 'stdbuf'], skipping()),
  time,
  // The first operand is the duration.
  timeout: skipping(1),
  ...sameRule(['env', 'cross-env'], env),
  xargs,
};
