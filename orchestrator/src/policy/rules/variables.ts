/**
 * Builtins that take variable names or expressions (`read NAME`, `printf -v NAME`, `test -v NAME`,
 * `unset`, `wait -p`, `getopts`, `mapfile`, `let`, `declare` written as a plain command …). Bash
 * evaluates a subscript in such a name — `read 'a[$(cmd)]'` runs cmd — so names must be plain
 * (variable-flow.ts); and a few of them run code outright (`mapfile -C`, `compgen -C/-F/-W`).
 */
import { compileSpec, scanArgs, valuesOf, type OptionSpec } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { DECLARE_LIKE } from '../variable-flow';
import { allow, ask, worse, worseOf, type Judgment } from '../verdicts';
import type { Arg } from '../words';

const names = (ctx: RuleContext, what: string, list: Arg[]): Judgment | undefined => list.reduce<Judgment | undefined>((j, a) => worseOf(j, ctx.flow.nameRisk(a, what)), undefined);

/** A builtin with getopts-style options; `nameOptions` take a variable name, `nameOperands` says which operands are names. */
function namedBuiltin(spec: OptionSpec, nameOptions: string[], nameOperands: (ops: Arg[]) => Arg[], extra?: (ctx: RuleContext, name: string, args: Arg[]) => Judgment | undefined): Rule {
  const c = compileSpec({ ...spec, posixOrder: true });
  return (ctx, name, args) => {
    const scan = scanArgs(args, c);
    if (scan.unknown) return ask(`${name} ${scan.unknown.raw}: an option the policy does not know`);
    if (scan.dynamic && scan.dynamic === args[0]) return ask(`${name} ${scan.dynamic.raw}: not statically known (it may be an option)`);
    const j = worseOf(names(ctx, name, [...valuesOf(scan, ...nameOptions), ...nameOperands(scan.operands)]), extra?.(ctx, name, args));
    return j ?? allow(`${name} (shell variables)`);
  };
}

/** test / [: `-v NAME` and `-R NAME` take a variable name. */
function test(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  let j: Judgment = allow(`${name} is read-only`);
  args.forEach((a, i) => {
    const next = args[i + 1];
    if (a.static && (a.text === '-v' || a.text === '-R') && next && next.text !== ']') j = worse(j, ctx.flow.nameRisk(next, `${name} ${a.text}`));
  });
  return j;
}

/** let EXPR…: each argument is an arithmetic expression. */
function letBuiltin(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  let j: Judgment = allow(`${name} (arithmetic)`);
  for (const a of args) {
    if (!a.static) j = worse(j, ask(`${name} ${a.raw}: an expression that is not statically known is evaluated (a subscript in it runs commands)`, 'high'));
    else if (/[$`'"\\]/.test(a.text)) j = worse(j, ask(`${name} ${a.raw}: substitutions in the expression are evaluated`, 'high'));
    else for (const sub of a.text.match(/\[[^\]]*\]/g) ?? []) j = worse(j, ctx.flow.nameRisk({ ...a, text: `x${sub}` }, name));
    const bad = (a.text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).find((v) => ctx.flow.isTainted(v));
    if (bad) j = worse(j, ask(`${name} ${a.raw}: the value of ${bad} is evaluated as arithmetic and may hold text that is not plain`, 'high'));
  }
  return j;
}

/** declare/local/export/… written as a plain command (`"declare" x`, `command declare x`). */
function declareLike(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  let j: Judgment = allow(`${name} (shell variables)`);
  for (const a of args) {
    if (a.static && /^[-+][a-zA-Z]+$/.test(a.text)) continue;
    const eq = a.static ? a.text.indexOf('=') : -1;
    j = worse(j, ctx.flow.nameRisk(eq < 0 ? a : { ...a, text: a.text.slice(0, eq) }, name));
  }
  return j;
}

/** compgen expands a word list and can run a command or a function to generate completions. */
function compgen(_ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const scan = scanArgs(args, compileSpec({ flags: 'abcdefgjksuvV', valued: 'AGWXoPSCF' }));
  if (scan.unknown || scan.dynamic) return ask(`${name}: options the policy does not know`);
  if (valuesOf(scan, '-C', '-F').length) return ask(`${name} -C/-F runs a command or function to generate completions`);
  const words = valuesOf(scan, '-W')[0];
  if (words && (!words.static || /[$`]/.test(words.text))) return ask(`${name} -W expands its word list, substitutions included`);
  return allow(`${name} lists completions`);
}

/** shopt -s dotglob makes `*` match `.git`, cdable_vars makes `cd name` a variable's directory; other options are harmless. */
function shopt(ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const dyn = args.find((a) => !a.static);
  if (dyn) return ask(`${name} ${dyn.raw}: option not statically known`);
  if (args.some((a) => a.text === 'dotglob' || a.text === 'nocaseglob')) ctx.paths.dotglob = true;
  // `cd name` may then go to the directory a variable of that name holds.
  if (args.some((a) => a.text === 'cdable_vars')) ctx.paths.cdSearch = true;
  if (args.some((a) => a.text === 'lastpipe')) ctx.paths.lastpipe = true;
  return allow(`${name} sets shell options`);
}

const NAME = /^[A-Za-z_]/;

export const VARIABLE_RULES: Record<string, Rule> = {
  ...sameRule(['test', '['], test),
  read: namedBuiltin({ flags: 'ers', valued: 'adinNptu' }, ['-a'], (ops) => ops),
  printf: namedBuiltin({ valued: 'v' }, ['-v'], () => []),
  unset: (ctx, name, args) => (args.some((a) => a.text === '-f') ? allow(`${name} -f removes functions`) : namedBuiltin({ flags: 'fnv' }, [], (ops) => ops)(ctx, name, args, 0)),
  wait: namedBuiltin({ flags: 'fn', valued: 'p' }, ['-p'], () => []),
  getopts: namedBuiltin({}, [], (ops) => ops.slice(1, 2)),
  ...sameRule(['mapfile', 'readarray'], namedBuiltin({ flags: 't', valued: 'dnOsuCc' }, [], (ops) => ops.slice(0, 1), (_ctx, name, args) => {
    if (args.some((a) => /^-[a-zA-Z]*C/.test(a.text))) return ask(`${name} -C runs a callback command string`, 'high');
    const num = args.find((a, i) => /^-[nOsuc]$/.test(args[i - 1]?.text ?? '') && !(a.static && /^\d+$/.test(a.text)));
    return num ? ask(`${name}: a count or origin that is not a plain number is evaluated`) : undefined;
  })),
  let: letBuiltin,
  ...sameRule(DECLARE_LIKE, declareLike),
  compgen,
  complete: () => ask('complete registers commands or functions that generate completions'),
  history: (_ctx, name, args) => (args.every((a) => a.static && (a.text === '-c' || /^\d+$/.test(a.text))) ? allow(`${name} lists the history`) : ask(`${name} with options can read or write history files`)),
  shopt,
  help: (_ctx, name, args) => (args.every((a) => a.static && (NAME.test(a.text) || /^-[dms]$/.test(a.text))) ? allow(`${name} prints builtin help`) : ask(`${name}: arguments not statically known`)),
};
