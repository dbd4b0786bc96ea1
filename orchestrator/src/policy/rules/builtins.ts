/** Shell builtins with more to them than READ_ONLY: cd moves where relative paths point; trap and hash rebind code. */
import { operands } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, type Judgment } from '../verdicts';
import type { Arg } from '../words';

function cd(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const target = operands(args)[0];
  if (name === 'popd' || !target || !target.static || target.tilde || target.text === '-') {
    ctx.paths.chdir(null);
    return allow(`${name}: later relative paths are no longer known`);
  }
  ctx.paths.chdir(target.text);
  return allow(`${name} ${target.text}`);
}

export const BUILTIN_RULES: Record<string, Rule> = {
  ...sameRule(['cd', 'pushd', 'popd'], cd),
  trap: () => ask('trap registers a command string to run later; it is not classified'),
  hash: (_ctx, _name, args) => (args.some((a) => a.text.startsWith('-p')) ? ask('hash -p maps a command name to another program') : allow('hash')),
  exit: () => allow('exit'),
};
