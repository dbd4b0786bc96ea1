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

/**
 * A program's options, fully listed: anything not listed is unknown, and an unknown option of an
 * allowed program makes the verdict `ask` (it may run a program, write a file or use the network).
 * Long options must be written in full: GNU and git accept unambiguous abbreviations
 * (`--compress-prog`), which are treated as unknown rather than guessed.
 */
export interface OptionSpec {
  /** Short options without a value, one character each ('abc'). */
  flags?: string;
  /** Short options that take a value: the rest of the cluster or the next argument. */
  valued?: string;
  /** Short options whose value is optional and only ever attached (`date -Iseconds`, `xargs -i{}`). */
  optional?: string;
  /** Long options without a value (space-separated, no dashes). */
  long?: string;
  /** Long options with a required value: `--x=v` or `--x v`. */
  longValued?: string;
  /** Long options with an optional value: only `--x=v`. */
  longOptional?: string;
  /** `-NUM` is an option (head -5). */
  numeric?: boolean;
  /** Options stop at the first operand (POSIX order) instead of GNU permutation. */
  posixOrder?: boolean;
  /** `--no-X` is accepted for every long option X (git). */
  negatable?: boolean;
}

/** A spec with its word lists split once. */
export interface CompiledSpec {
  flags: Set<string>;
  valued: Set<string>;
  optional: Set<string>;
  long: Set<string>;
  longValued: Set<string>;
  longOptional: Set<string>;
  numeric: boolean;
  posixOrder: boolean;
  negatable: boolean;
}

const words = (s: string | undefined): Set<string> => new Set((s ?? '').split(/\s+/).filter(Boolean));

export function compileSpec(s: OptionSpec): CompiledSpec {
  return {
    flags: new Set(s.flags ?? ''),
    valued: new Set(s.valued ?? ''),
    optional: new Set(s.optional ?? ''),
    long: words(s.long),
    longValued: words(s.longValued),
    longOptional: words(s.longOptional),
    numeric: s.numeric === true,
    posixOrder: s.posixOrder === true,
    negatable: s.negatable === true,
  };
}

/** One option as read: its canonical name (`-o`, `--output`) and its value, if it has one. */
export interface ReadOption {
  name: string;
  value?: Arg;
  arg: Arg;
}

export interface ScannedArgs {
  options: ReadOption[];
  operands: Arg[];
  /** The first option the spec does not list (or a malformed one). */
  unknown?: Arg;
  /** An argument in option position whose value is not statically known (it may be an option); option values do not count. */
  dynamic?: Arg;
}

/** Reads `args` getopt_long-style against a spec. Never throws. */
export function scanArgs(args: Arg[], spec: CompiledSpec): ScannedArgs {
  const out: ScannedArgs = { options: [], operands: [] };
  const flagUnknown = (a: Arg): void => {
    out.unknown ??= a;
  };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as Arg;
    if (!a.static) {
      out.dynamic ??= a;
      out.operands.push(a);
      if (spec.posixOrder) {
        i++;
        break;
      }
      continue;
    }
    const t = a.text;
    if (t === '--') {
      i++;
      break;
    }
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      const name = eq < 0 ? t.slice(2) : t.slice(2, eq);
      const base = spec.negatable && name.startsWith('no-') && !spec.long.has(name) && !spec.longValued.has(name) ? name.slice(3) : name;
      if (spec.longValued.has(base)) {
        if (eq >= 0) out.options.push({ name: `--${base}`, value: withText(a, t.slice(eq + 1)), arg: a });
        else {
          const v = args[i + 1];
          if (!v) flagUnknown(a);
          out.options.push({ name: `--${base}`, value: v, arg: a });
          i++;
        }
      } else if (spec.longOptional.has(base)) out.options.push({ name: `--${base}`, value: eq >= 0 ? withText(a, t.slice(eq + 1)) : undefined, arg: a });
      else if (spec.long.has(base) && eq < 0) out.options.push({ name: `--${base}`, arg: a });
      else flagUnknown(a);
      continue;
    }
    if (t.startsWith('-') && t !== '-') {
      if (spec.numeric && /^-\d+[a-zA-Z]?$/.test(t)) {
        out.options.push({ name: '-NUM', value: withText(a, t.slice(1)), arg: a });
        continue;
      }
      for (let k = 1; k < t.length; k++) {
        const c = t[k] as string;
        if (spec.flags.has(c)) out.options.push({ name: `-${c}`, arg: a });
        else if (spec.optional.has(c)) {
          out.options.push({ name: `-${c}`, value: k + 1 < t.length ? withText(a, t.slice(k + 1)) : undefined, arg: a });
          break;
        } else if (spec.valued.has(c)) {
          if (k + 1 < t.length) out.options.push({ name: `-${c}`, value: withText(a, t.slice(k + 1)), arg: a });
          else {
            const v = args[i + 1];
            if (!v) flagUnknown(a);
            out.options.push({ name: `-${c}`, value: v, arg: a });
            i++;
          }
          break;
        } else {
          flagUnknown(a);
          break;
        }
      }
      continue;
    }
    out.operands.push(a);
    if (spec.posixOrder) {
      i++;
      break;
    }
  }
  out.operands.push(...args.slice(i));
  return out;
}

/** The values given to the options `names` (e.g. ['-o', '--output']). */
export const valuesOf = (s: ScannedArgs, ...names: string[]): Arg[] => s.options.filter((o) => names.includes(o.name) && o.value).map((o) => o.value as Arg);
export const hasOption = (s: ScannedArgs, ...names: string[]): boolean => s.options.some((o) => names.includes(o.name));
