/**
 * From a statically evaluated argv to a judgment: the command name picks a rule (rules/*), falling
 * back to the broad default lists; then the repo policy may tighten it — or relax it, but only for
 * plain commands, never for structural checks or for whatever a wrapper runs.
 */
import * as path from 'node:path';
import { BUILD_TOOLS, EDITORS, EVAL_LIKE, READ_ONLY } from './command-sets';
import { matchPolicy } from './policy';
import { ruleTable, type RuleContext } from './rule-context';
import { BUILTIN_RULES } from './rules/builtins';
import { FILE_RULES } from './rules/files';
import { FIND_RULES } from './rules/find';
import { GIT_RULES } from './rules/git';
import { NETWORK, NETWORK_RULES } from './rules/network';
import { NPX_RULES, PACKAGE_RULES } from './rules/packages';
import { isPrivileged, PRIVILEGE_RULES } from './rules/privilege';
import { READER_RULES } from './rules/readers';
import { interpreter, isInterpreter, SHELL_RULES } from './rules/shells';
import { TEXT_RULES } from './rules/text-tools';
import { VARIABLE_RULES } from './rules/variables';
import { WRAPPER_RULES } from './rules/wrappers';
import { allow, ask, askNet, deny, VRANK, type Judgment } from './verdicts';
import type { Arg } from './words';

/** Commands that run another command: an allow rule on them never allows what they run. */
const WRAPPING = ruleTable(WRAPPER_RULES, SHELL_RULES, NPX_RULES, FIND_RULES);
const COMMANDS = ruleTable(GIT_RULES, PACKAGE_RULES, FILE_RULES, PRIVILEGE_RULES, TEXT_RULES, NETWORK_RULES, BUILTIN_RULES, READER_RULES, VARIABLE_RULES);

/** `/usr/bin/git` is git; any other path is a program of its own. */
const SYSTEM_DIRS = ['/bin', '/usr/bin', '/usr/local/bin', '/sbin', '/usr/sbin', '/usr/local/sbin'];

/**
 * Classifies one command given its (statically evaluated) argv; applies the repo policy.
 * `functions: false` for what a wrapper runs: `builtin cd`, `command x`, `timeout 5 x` never run a shell function.
 */
export function judgeCommand(ctx: RuleContext, args: Arg[], depth: number, functions = true): Judgment {
  const name = args[0];
  if (!name) return allow('no command');
  if (!name.static) return deny(`the command name ${name.raw} is not statically known (expansion or substitution)`, true);
  if (name.glob && name.text !== '[') return deny(`the command name ${name.raw} contains a glob pattern`, true);
  if (name.text === '') return deny('empty command name', true);
  const text = args.map((a) => (a.static ? a.text : a.raw));
  const { j, wrapper } = defaultJudgment(ctx, args, depth, functions);
  const rule = matchPolicy(ctx.policy, text);
  if (!rule) return j;
  const byRule: Judgment = { verdict: rule.verdict, risk: rule.verdict === 'allow' ? j.risk : rule.verdict === 'deny' ? 'high' : 'medium', reason: `repo policy: ${rule.rule.reason ?? `${rule.verdict} ${rule.rule.command}${rule.rule.args ? ` ${rule.rule.args}` : ''}`}` };
  if (j.needsNetwork) byRule.needsNetwork = true;
  if (j.tag) byRule.tag = j.tag;
  // A policy may tighten anything. It may relax only command-level defaults, never structural
  // checks, and an allow rule on a wrapper (timeout, env, bash -c …) never allows what it wraps.
  if (VRANK[byRule.verdict] >= VRANK[j.verdict] || (!j.fixed && !wrapper)) return byRule;
  return j;
}

/** The built-in judgment, before the repo policy. */
function defaultJudgment(ctx: RuleContext, args: Arg[], depth: number, functions: boolean): { j: Judgment; wrapper?: boolean } {
  const full = (args[0] as Arg).text;
  const rest = args.slice(1);
  let name = full;
  if (full.includes('/')) {
    if (!SYSTEM_DIRS.includes(path.posix.dirname(full))) return { j: pathProgram(ctx, args[0] as Arg) };
    name = path.posix.basename(full);
  }
  // Order matters: functions shadow everything, and code-running or privileged names are never relaxed by a table.
  if (functions && ctx.functions.has(name)) return { j: allow(`calls the shell function ${name} (its body is classified separately)`) };
  if (EVAL_LIKE.has(name)) return { j: deny(`${name} runs code that is not statically known`, true) };
  if (isPrivileged(name)) return { j: deny(`${name}: privilege escalation or host administration is never allowed`) };
  const wrapping = WRAPPING.get(name);
  if (wrapping) return { j: wrapping(ctx, name, rest, depth), wrapper: true };
  const rule = COMMANDS.get(name);
  if (rule) return { j: rule(ctx, name, rest, depth) };
  if (isInterpreter(name)) return { j: interpreter(ctx, name, rest) };
  if (EDITORS.has(name)) return { j: ask(`${name} is an interactive editor (and can run commands)`) };
  if (NETWORK.has(name)) return { j: { ...askNet(`${name} uses the network`), tag: 'fetch' } };
  if (READ_ONLY.has(name)) return { j: allow(`${name} is read-only`) };
  if (BUILD_TOOLS.has(name)) {
    const out = ctx.paths.optionTargets(name, rest, ['-o', '--outDir', '--outdir', '--out-dir', '--outFile'], ['--output', '--outDir', '--outdir', '--out-dir', '--outFile']);
    return { j: out ?? allow(`${name}: build/test/lint tool (runs the workspace's code inside the sandbox)`, 'medium') };
  }
  return { j: ask(`unknown command ${name}: not in the default allowlist`) };
}

/** `./x.sh`, `node_modules/.bin/tsc`, `/opt/bin/tool`: runnable from the workspace only. */
function pathProgram(ctx: RuleContext, program: Arg): Judgment {
  const full = program.text;
  if (!ctx.paths.inWorkspace(program, false)) return ask(`runs ${full}, a program outside the workspace and the system directories`);
  const base = path.posix.basename(full);
  if (BUILD_TOOLS.has(base) || base === 'gradlew' || base === 'mvnw') return allow(`runs the workspace's ${base}`, 'medium');
  return allow('runs an executable from the workspace (sandboxed, same trust as npm test)', 'medium');
}
