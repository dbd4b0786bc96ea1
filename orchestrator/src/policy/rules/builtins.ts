/** Shell builtins with more to them than READ_ONLY: cd moves where relative paths point; trap and hash rebind code; break/continue/return/exit. */
import { operands } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, type Judgment } from '../verdicts';
import type { Arg } from '../words';

/**
 * cd/pushd move where relative paths point. Not statically known, so later relative paths are not
 * either: `cd` alone and `cd ~` ($HOME may be anything the line set), `cd -` ($OLDPWD), `popd` and
 * `pushd` without a directory or with `+N`/`-N` (the directory stack), a target that is not static,
 * and a relative name bash may look up in CDPATH or as a variable (`shopt -s cdable_vars`).
 */
function cd(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const target = operands(args)[0];
  const stack = name !== 'cd' && target?.static === true && /^[-+]\d+$/.test(target.text);
  if (name === 'popd' || !target || !target.static || target.tilde || target.text === '-' || stack) {
    ctx.paths.chdir(null);
    return allow(`${name}: later relative paths are no longer known`);
  }
  // `cd -P a/..` resolves the link before `..`; plain cd (-L) drops `a/..` first, as bash does.
  const opts = args.filter((a) => a.static && /^-[LPe@]+$/.test(a.text)).map((a) => a.text).join('');
  ctx.paths.chdir(target.text, opts.includes('P'));
  // `cd -Pe dir` reports failure when it moved but cannot name the new directory.
  if (opts.includes('e')) ctx.paths.chdirMaybe(ctx.paths.snapshot(), true);
  // With CDPATH or cdable_vars, `cd name` (not `./name`) may also go to a directory found elsewhere.
  if (ctx.paths.cdSearch && !/^(\/|\.\.?(\/|$))/.test(target.text)) ctx.paths.chdirMaybe(null);
  return allow(`${name} ${target.text}`);
}

/**
 * break, continue, return, exit: they only end a loop, a function or the shell, with a status. Their
 * argument is read as a plain number (never evaluated as arithmetic): `exit $?` is as harmless as
 * `exit 3`, and a word that is not a number only makes bash report an error.
 */
function control(_ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const n = args[0];
  const what = { exit: 'ends the shell', return: 'ends a function or sourced script', break: 'ends a loop', continue: 'starts a loop\'s next round' }[name] ?? 'ends a loop';
  return allow(`${name}${n ? ` ${n.static ? n.text : n.raw}` : ''} only ${what}`);
}

export const BUILTIN_RULES: Record<string, Rule> = {
  ...sameRule(['cd', 'pushd', 'popd'], cd),
  trap: () => ask('trap registers a command string to run later; it is not classified'),
  hash: (_ctx, _name, args) => (args.some((a) => a.text.startsWith('-p')) ? ask('hash -p maps a command name to another program') : allow('hash')),
  ...sameRule(['break', 'continue', 'return', 'exit'], control),
};
