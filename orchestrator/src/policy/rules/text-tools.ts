/**
 * sed and awk: read-only unless their program writes files or runs commands, which a small
 * conservative reader of the program text detects (anything it cannot read counts as risky).
 */
import { operands, withText } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, worse, type Judgment } from '../verdicts';
import type { Arg } from '../words';

/** sed commands that neither write nor execute. */
const SED_COMMANDS = /[pPdDnNgGhHxz=F{}]/;

function sed(ctx: RuleContext, _name: string, args: Arg[]): Judgment {
  let inPlace = false;
  let sandbox = false;
  const scripts: Arg[] = [];
  const files: Arg[] = [];
  let haveScript = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as Arg;
    const t = a.text;
    if (t === '--') {
      files.push(...args.slice(i + 1));
      break;
    }
    if (t === '-e' || t === '--expression') {
      const s = args[++i];
      if (s) scripts.push(s);
      haveScript = true;
    } else if (t.startsWith('--expression=')) {
      scripts.push(withText(a, t.slice(13)));
      haveScript = true;
    } else if (t === '-f' || t === '--file' || t.startsWith('--file=')) return ask('sed -f reads its script from a file, which cannot be checked');
    else if (t === '-i' || t.startsWith('--in-place') || /^-[nErsuz]*i/.test(t)) inPlace = true;
    else if (t === '--sandbox') sandbox = true;
    else if (t === '-l' || t === '--line-length') i++;
    else if (t.startsWith('-') && t !== '-') continue;
    else if (!haveScript) {
      scripts.push(a);
      haveScript = true;
    } else files.push(a);
  }
  let j: Judgment = inPlace ? allow('sed -i edits files inside the workspace', 'medium') : allow('sed prints (read-only)');
  for (const s of scripts) {
    if (!s.static) j = worse(j, ask('sed script is not statically known'));
    else if (!sandbox && sedScriptRisky(s.text)) j = worse(j, ask('the sed script may run commands or write files (e, w, r commands or s///e, s///w)'));
  }
  if (inPlace) for (const f of files) j = worse(j, ctx.paths.writeTarget(f, `sed -i ${f.raw}`));
  return j;
}

function awk(_ctx: RuleContext, name: string, args: Arg[]): Judgment {
  const ops = operands(args, ['-F', '-v', '-f', '--field-separator', '--assign', '--file']);
  if (args.some((a) => a.text === '-f' || a.text.startsWith('--file'))) return ask(`${name} -f reads its program from a file, which cannot be checked`);
  const prog = ops[0];
  if (!prog) return ask(`${name} without a program`);
  if (!prog.static) return ask(`${name} program is not statically known`);
  if (/\bsystem\s*\(|\||\bprintf?\b[^;}]*>/.test(prog.text)) return ask(`the ${name} program may run commands or write files (system, |, print >)`);
  return allow(`${name} (read-only program)`);
}

/** A conservative reader for sed scripts: true when a command may execute or write files. */
export function sedScriptRisky(s: string): boolean {
  let i = 0;
  const n = s.length;
  const regex = (d: string): boolean => {
    while (i < n && s[i] !== d) {
      if (s[i] === '\\') i++;
      else if (s[i] === '\n') return false;
      i++;
    }
    if (i >= n) return false;
    i++;
    return true;
  };
  const address = (): boolean => {
    const c = s[i] ?? '';
    if (/[0-9$]/.test(c)) {
      while (i < n && /[0-9$~+]/.test(s[i] ?? '')) i++;
      return true;
    }
    if (c === '/' || c === '\\') {
      const d = c === '/' ? '/' : (s[i + 1] ?? '');
      i += c === '/' ? 1 : 2;
      if (!d || !regex(d)) throw new Error('bad address');
      while (s[i] === 'I' || s[i] === 'M') i++;
      return true;
    }
    return false;
  };
  try {
    for (;;) {
      while (i < n && /[\s;]/.test(s[i] ?? '')) i++;
      if (i >= n) return false;
      if (address()) {
        while (s[i] === ' ') i++;
        if (s[i] === ',') {
          i++;
          while (s[i] === ' ') i++;
          if (!address()) throw new Error('bad range');
        }
      }
      while (s[i] === ' ' || s[i] === '!') i++;
      const c = s[i++] ?? '';
      if (c === 's' || c === 'y') {
        const d = s[i++] ?? '';
        if (!d || d === '\n' || d === '\\') return true;
        if (!regex(d) || !regex(d)) return true;
        if (c === 's') {
          while (i < n && /[gpiImMew0-9]/.test(s[i] ?? '')) {
            if (s[i] === 'e' || s[i] === 'w') return true;
            i++;
          }
        }
      } else if ('ewWrR'.includes(c)) return true;
      else if ('aic'.includes(c)) {
        while (i < n && s[i] !== '\n') i += s[i] === '\\' ? 2 : 1;
      } else if ('btT:#'.includes(c)) {
        while (i < n && s[i] !== '\n' && (c === '#' || s[i] !== ';')) i++;
      } else if ('qQlL'.includes(c)) {
        while (i < n && /[0-9 ]/.test(s[i] ?? '')) i++;
      } else if (!SED_COMMANDS.test(c)) return true;
    }
  } catch {
    return true;
  }
}

export const TEXT_RULES: Record<string, Rule> = { sed, ...sameRule(['awk', 'gawk', 'mawk', 'nawk'], awk) };
