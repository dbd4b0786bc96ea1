/**
 * Shells and language interpreters. `bash -c '…'` is parsed and classified part by part; a script
 * file runs only from the workspace (same trust as `npm test`); inline code (`python -c`,
 * `node -e`) cannot be analysed, and a program read from stdin marks the pipeline (`curl … | sh`).
 */
import { wordSet } from '../command-sets';
import { sameRule, type Rule, type RuleContext } from '../rule-context';
import { allow, ask, askNet, deny, type Judgment } from '../verdicts';
import type { Arg } from '../words';
import { pip } from './packages';

const SHELLS = wordSet('sh bash dash zsh ksh ash mksh busybox');
const INTERPRETERS = wordSet('python python2 python3 node nodejs deno ruby perl php lua Rscript');

export const isInterpreter = (name: string): boolean => INTERPRETERS.has(name) || /^python3\.\d+$/.test(name);

const SHELL_LONG_OPTIONS = ['--norc', '--noprofile', '--posix', '--login', '--noediting', '--restricted', '--verbose', '--version', '--help'];
const PYTHON_TOOL_MODULES = ['pytest', 'unittest', 'mypy', 'black', 'ruff', 'flake8', 'pylint', 'isort', 'coverage', 'doctest', 'compileall', 'py_compile', 'venv', 'json.tool', 'pyright', 'tox'];
const DENO_LOCAL = ['test', 'lint', 'fmt', 'check', 'doc', 'info', 'bench', 'task'];

/** A script file given to a shell or interpreter: allowed from the workspace only. */
function scriptFile(ctx: RuleContext, name: string, file: Arg, outside: string): Judgment {
  if (ctx.paths.inWorkspace(file)) return allow(`${name} runs a workspace script (sandboxed, same trust as npm test)`, 'medium');
  return ask(outside);
}

function shell(ctx: RuleContext, name: string, rest: Arg[], depth: number): Judgment {
  let cmode = false;
  let i = 0;
  if (name === 'busybox') {
    const applet = rest[0];
    if (!applet || !applet.static) return ask('busybox without a statically known applet');
    if (!SHELLS.has(applet.text)) return ctx.command(rest, depth);
    rest = rest.slice(1);
  }
  while (i < rest.length) {
    const a = rest[i] as Arg;
    if (!a.static) return deny(`${name} option ${a.raw} is not statically known`, true);
    if (a.text === '--' || a.text === '-') {
      i++;
      break;
    }
    if (a.text.startsWith('--')) {
      if (['--rcfile', '--init-file'].includes(a.text)) return ask(`${name} ${a.text} runs a startup file`);
      if (!SHELL_LONG_OPTIONS.includes(a.text)) return ask(`${name} ${a.text}: unknown shell option`);
      i++;
      continue;
    }
    if (/^[-+][A-Za-z]+$/.test(a.text)) {
      const flags = a.text.slice(1);
      if (flags.includes('c') && a.text.startsWith('-')) cmode = true;
      if (flags.includes('i')) return ask(`${name} -i starts an interactive shell`);
      i += flags.includes('o') || flags.includes('O') ? 2 : 1;
      continue;
    }
    break;
  }
  const operand = rest[i];
  if (cmode) {
    if (!operand) return deny(`${name} -c without a script`, true);
    if (!operand.static) return deny(`${name} -c runs a script that is not statically known: ${operand.raw}`, true);
    ctx.script(operand.text, depth + 1, [name, '-c', operand.text]);
    return allow(`${name} -c: the inline script is classified part by part`);
  }
  if (!operand) return { ...ask(`${name} reads commands from stdin, which cannot be checked`), tag: 'stdin-code' };
  return scriptFile(ctx, name, operand, `${name} runs the script ${operand.raw}, outside the workspace or not statically known`);
}

/** `node --version`, `python3 -V`: print and exit, nothing is run. */
const VERSION_FLAGS = new Set(['--version', '-V', '-VV', '--help', '-h', '-v']);
/** -v means "version" only for these (python -v is verbose mode and then runs stdin). */
const DASH_V_IS_VERSION = /^(node|nodejs|perl|php|lua|deno)$/;

export function interpreter(ctx: RuleContext, name: string, rest: Arg[]): Judgment {
  const first = rest[0];
  if (rest.length === 1 && first?.static && VERSION_FLAGS.has(first.text) && (first.text !== '-v' || DASH_V_IS_VERSION.test(name))) return allow(`${name} ${first.text} prints version or usage information`);
  if (!first) return { ...ask(`${name} reads a program from stdin, which cannot be checked`), tag: 'stdin-code' };
  if (!first.static) return ask(`${name} with an argument that is not statically known`);
  if (/^python/.test(name) && first.text === '-m') {
    const mod = rest[1]?.text ?? '';
    if (PYTHON_TOOL_MODULES.includes(mod)) return mod === 'tox' ? askNet('tox may install packages') : allow(`${name} -m ${mod}: test/lint tool`, 'medium');
    if (mod === 'pip') return pip(rest.slice(2));
    if (mod === 'http.server' || mod === 'smtpd') return askNet(`${name} -m ${mod} opens a network server`);
    return ask(`${name} -m ${mod}: unknown module`);
  }
  if (name === 'deno') {
    const sub = first.text;
    if (DENO_LOCAL.includes(sub)) return allow(`deno ${sub}`, 'medium');
    return askNet(`deno ${sub} may fetch remote modules`);
  }
  if (['-c', '-e', '-E', '--eval', '-p', '--print', '-r', '-x'].includes(first.text) || /^-[a-zA-Z]*[ce]$/.test(first.text)) return ask(`${name} ${first.text} runs inline code that is not analysed`);
  if (first.text === '-') return { ...ask(`${name} reads a program from stdin`), tag: 'stdin-code' };
  if (first.text.startsWith('-')) return ask(`${name} ${first.text}: unknown interpreter option`);
  return scriptFile(ctx, name, first, `${name} runs ${first.raw}, outside the workspace`);
}

/** Shells run other commands: listed with the wrappers (a policy allow on bash never allows its script). */
export const SHELL_RULES: Record<string, Rule> = sameRule(SHELLS, shell);
