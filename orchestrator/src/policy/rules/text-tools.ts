/**
 * sed and awk: read-only unless their program writes files or runs commands, which a small
 * conservative reader of the program text detects (anything it cannot read counts as risky).
 */
import { withText } from '../options';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, worse, type Judgment } from '../verdicts';
import type { Arg } from '../words';

/** sed's options (GNU sed 4.9) other than -e/-f/-i/-l, handled above. */
const SED_OPTION = /^(-[nErsuz]+|-l\d+|--(debug|follow-symlinks|help|null-data|posix|quiet|regexp-extended|sandbox|separate|silent|unbuffered|version|zero-terminated|line-length=\d+))$/;

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
    else if (!a.static && !haveScript) return ask(`sed ${a.raw}: not statically known (it may be an option or the script)`);
    else if (t.startsWith('-') && t !== '-') {
      if (!SED_OPTION.test(t)) return ask(`sed ${a.raw}: an option the policy does not know`);
      continue;
    }
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

/** awk's options: -F, -v and -f only (gawk's -l/-i/-E/-o/-p/-d load code or write files; mawk's -W varies). */
function awk(_ctx: RuleContext, name: string, args: Arg[]): Judgment {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] as Arg;
    if (!a.static) return ask(`${name} ${a.raw}: not statically known (it may be an option or the program)`);
    const t = a.text;
    if (t === '--') {
      i++;
      break;
    }
    if (!t.startsWith('-') || t === '-') break;
    if (t === '-f' || t.startsWith('--file') || /^-f./.test(t)) return ask(`${name} -f reads its program from a file, which cannot be checked`);
    if (t === '-F' || t === '-v') i++;
    else if (!/^-[Fv]./.test(t) && t !== '--version' && !(t === '-W' && args[i + 1]?.text === 'version')) return ask(`${name} ${a.raw}: an option the policy does not know (gawk's -l, -i, -E, -o, -p load code or write files)`);
  }
  const prog = args[i];
  if (!prog) return args.some((a) => a.text === '--version' || a.text === '-W') ? allow(`${name} prints its version`) : ask(`${name} without a program`);
  if (!prog.static) return ask(`${name} program is not statically known`);
  if (/\bsystem\s*\(|\||\bprintf?\b[^;}]*>|\/inet|@load|@include|\bENVIRON\b.*=/.test(prog.text)) return ask(`the ${name} program may run commands, write files or use the network (system, |, print >, /inet, @load)`);
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
