/**
 * Wrapper commands run another command (`timeout 5 npm test`, `env A=1 make`, `xargs rm`): the
 * wrapped command is found past the wrapper's own options and classified as if run directly.
 */
import { envAssignmentRisk } from '../command-sets';
import { leadingOptions, skipOptions } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, deny, worse, worseOf, type Judgment } from '../verdicts';
import { dynamicArg, literalArg, type Arg } from '../words';

function wrapped(ctx: RuleContext, argv: Arg[], what: string, depth: number): Judgment {
  if (argv.length === 0) return allow(`${what} without a command`);
  return ctx.command(argv, depth);
}

/** A wrapper whose options are all skippable; `withValue` options take the next argument. */
const skipping =
  (withValue: string[], operandsBefore = 0): Rule =>
  (ctx, name, rest, depth) => {
    const r = skipOptions(rest, withValue);
    if (!r) return ask(`${name} with options that are not statically known`);
    return wrapped(ctx, r.slice(operandsBefore), name, depth);
  };

const EXEC_LIKE_OPTIONS = ['-a', '-o', '-f', '--format', '--output'];

function time(ctx: RuleContext, name: string, rest: Arg[], depth: number): Judgment {
  if (rest.some((a) => a.text === '-o' || a.text.startsWith('--output'))) {
    const t = ctx.paths.optionTargets(name, rest, ['-o'], ['--output']);
    if (t) return t;
  }
  return skipping(EXEC_LIKE_OPTIONS)(ctx, name, rest, depth);
}

function env(ctx: RuleContext, name: string, rest: Arg[], depth: number): Judgment {
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
      j = worseOf(j, envAssignmentRisk(a.text.slice(0, a.text.indexOf('='))));
      i++;
    } else break;
  }
  const r = wrapped(ctx, rest.slice(i), name, depth);
  return j ? worse(r, j) : r;
}

const XARGS_VALUE_OPTIONS = ['-I', '-L', '-l', '-n', '-P', '-d', '-E', '-e', '-s', '-a', '--arg-file', '--delimiter', '--max-args', '--max-procs', '--max-lines', '--replace', '--eof', '--process-slot-var'];

/** xargs appends (or substitutes) arguments read from stdin: those are unknown. */
function xargs(ctx: RuleContext, _name: string, rest: Arg[], depth: number): Judgment {
  let replace: string | undefined;
  const start = leadingOptions(rest, 'xargs', (a, i) => {
    if (a.text === '-I') replace = rest[i + 1]?.text;
    else if (a.text.startsWith('-I')) replace = a.text.slice(2);
    else if (a.text === '-i' || a.text === '--replace') replace = '{}';
    else if (a.text.startsWith('-i')) replace = a.text.slice(2);
    else if (a.text.startsWith('--replace=')) replace = a.text.slice(10);
    return XARGS_VALUE_OPTIONS.includes(a.text) ? 2 : 1;
  });
  if (typeof start !== 'number') return start;
  let cmd = rest.slice(start);
  if (cmd.length === 0) cmd = [literalArg('echo')];
  const input = dynamicArg('<input from stdin>');
  const marker = replace; // (a const: the callbacks above assigned it)
  cmd = marker ? cmd.map((a) => (a.text.includes(marker) ? dynamicArg(a.raw) : a)) : [...cmd, input];
  if (!cmd[0]?.static) return deny('xargs runs a command whose name comes from its input', true);
  return wrapped(ctx, cmd, 'xargs', depth);
}

export const WRAPPER_RULES: Record<string, Rule> = {
  command: (ctx, name, rest, depth) => (rest.some((a) => a.text === '-v' || a.text === '-V') ? allow('command -v looks a name up') : skipping([])(ctx, name, rest, depth)),
  ...sameRule(['builtin', 'exec', 'nohup', 'setsid'], skipping(EXEC_LIKE_OPTIONS)),
  time,
  nice: skipping(['-n']),
  ionice: skipping(['-c', '-n', '-p', '-P', '-u']),
  stdbuf: skipping(['-i', '-o', '-e']),
  // The first operand is the duration.
  timeout: skipping(['-s', '-k', '--signal', '--kill-after'], 1),
  ...sameRule(['env', 'cross-env'], env),
  xargs,
};
