/**
 * Reading a command's options the way getopt-style tools do, without knowing each tool fully:
 * enough to find operands, option values and the command a wrapper runs.
 */
import { deny, type Judgment } from './verdicts';
import type { Arg } from './words';

/** The same argument with another (statically derived) value, e.g. the part after `--out=`. */
export const withText = (a: Arg, text: string): Arg => ({ ...a, text });

/** Non-option operands (after `--`, everything). `withValue` options consume the next argument. */
export function operands(args: Arg[], withValue: string[] = []): Arg[] {
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

/**
 * The value of the option at `args[i]` when it is one of `short` (`-o v`, `-ov`) or `long`
 * (`--out v`, `--out=v`); `takesNext` says the value is the next argument (which may be missing).
 */
export function optionValue(args: Arg[], i: number, short: string[], long: string[]): { value: Arg | undefined; takesNext: boolean } | undefined {
  const a = args[i] as Arg;
  if (short.includes(a.text) || long.includes(a.text)) return { value: args[i + 1], takesNext: true };
  const l = long.find((o) => a.text.startsWith(`${o}=`));
  if (l) return { value: withText(a, a.text.slice(l.length + 1)), takesNext: false };
  const s = short.find((o) => o.length === 2 && a.text.startsWith(o) && a.text.length > 2 && !a.text.startsWith('--'));
  if (s) return { value: withText(a, a.text.slice(2)), takesNext: false };
  return undefined;
}

/**
 * The arguments after a wrapper's own options (`nice -n 5 make` → `make`); `withValue` options
 * consume the next argument. Null when an option is not statically known: the command is unknown.
 */
export function skipOptions(args: Arg[], withValue: string[]): Arg[] | null {
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
}

/**
 * Index of the first operand after getopt-style leading options (`--` ends them). `step` handles
 * one option and returns how many arguments it used, or a verdict that ends the scan. An option
 * that is not statically known is a deny: what the command then runs cannot be known.
 */
export function leadingOptions(args: Arg[], what: string, step: (a: Arg, i: number) => number | Judgment): number | Judgment {
  let i = 0;
  while (i < args.length) {
    const a = args[i] as Arg;
    if (!a.static) return deny(`${what} option ${a.raw} is not statically known`, true);
    if (a.text === '--') return i + 1;
    if (!a.text.startsWith('-')) break;
    const used = step(a, i);
    if (typeof used !== 'number') return used;
    i += used;
  }
  return i;
}
