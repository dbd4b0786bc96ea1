/**
 * PushPals' policy on OpenHands' tool calls, judged in the model's reply before the agent sees it:
 * `terminal` commands by the command classifier (the same verdicts as run_command) from every
 * directory the persistent shell may be in (shell-cwd.ts; the worst verdict wins), `file_editor`
 * writes by the classifier's path rules (inside the working copy, never its .git or a home dotfile),
 * `finish`/`think`/`task_tracker` allowed, anything else denied.
 */
import type { CommandClassifier } from '../../policy/classifier-pool';
import { WorkspacePaths } from '../../policy/paths';
import type { Policy, Verdict } from '../../policy/policy';
import type { Classification, Risk } from '../../policy/verdicts';
import { literalArg } from '../../policy/words';

/** Where the container mounts the working copy, and the agent server's HOME. */
export const OH_WORKSPACE = '/workspace';
export const OH_HOME = '/home/agent';

export interface ToolJudgment {
  verdict: Verdict;
  risk: Risk;
  reason: string;
  /** What a person is shown: the command line, or `file_editor create path`. */
  summary: string;
  /** Tool name in PushPals' events: run_command for the terminal, else the OpenHands tool's name. */
  tool: string;
}

const ALWAYS_ALLOWED = new Set(['finish', 'think', 'task_tracker']);
const FILE_WRITES = new Set(['create', 'str_replace', 'insert', 'undo_edit']);

const RANK: Record<Verdict, number> = { allow: 0, ask: 1, deny: 2 };

/**
 * The command judged from each directory the shell may be in (`dirs`, likely first; null: not
 * known, so relative paths are unknown): the worst verdict, saying where it comes from.
 */
async function classifyFrom(classifier: CommandClassifier, command: string, policy: Policy, autoCommit: boolean, dirs: readonly string[] | null, hostWorkspace: string | undefined): Promise<Classification> {
  const host = hostWorkspace ? { hostWorkspace } : {};
  let worst: Classification | undefined;
  let where: string | null = null;
  let needsNetwork = false;
  for (const cwd of dirs ?? [null]) {
    const c = await classifier.classify(command, policy, { workspace: OH_WORKSPACE, autoCommit, cwd, ...host });
    // Not judged (too long, out of time): judging it from another directory would not be either.
    if (c.unjudged) return c;
    needsNetwork ||= c.needsNetwork;
    if (!worst || RANK[c.verdict] > RANK[worst.verdict]) {
      worst = c;
      where = cwd;
    }
  }
  const c = worst as Classification;
  if (c.verdict === 'allow' || (dirs && where === dirs[0])) return { ...c, needsNetwork };
  // Say so when the directory made it worse than judging from where the shell most likely is.
  const likely = dirs?.[0] ?? OH_WORKSPACE;
  if (RANK[(await classifier.classify(command, policy, { workspace: OH_WORKSPACE, autoCommit, cwd: likely, ...host })).verdict] >= RANK[c.verdict]) return { ...c, needsNetwork };
  const note = where === null ? " (the terminal's current directory is not known after an earlier command: run `cd /workspace` alone first)" : ` (the terminal may still be in ${where}: an earlier cd may have failed)`;
  return { ...c, needsNetwork, reason: `${c.reason}${note}` };
}

/**
 * `classifier`: the workbench's worker pool (policy/classifier-pool.ts), which bounds each line's time.
 * `dirs`: where the terminal's shell may be (shell-cwd.ts); undefined: the workspace, as for run_command.
 * `hostWorkspace`: the working copy on this host, whose symlinks the policy follows (policy/host-links.ts).
 */
export async function judgeToolCall(
  classifier: CommandClassifier,
  name: string,
  args: Record<string, unknown>,
  policy: Policy,
  autoCommit: boolean,
  dirs: readonly string[] | null = [OH_WORKSPACE],
  hostWorkspace?: string,
): Promise<ToolJudgment> {
  if (ALWAYS_ALLOWED.has(name)) return { verdict: 'allow', risk: 'low', reason: `${name} changes nothing`, summary: name, tool: name };
  if (name === 'terminal') {
    const command = typeof args.command === 'string' ? args.command : '';
    if (!command.trim()) return { verdict: 'allow', risk: 'low', reason: 'an empty command only reads the terminal', summary: '(read terminal output)', tool: 'run_command' };
    const c = await classifyFrom(classifier, command, policy, autoCommit, dirs, hostWorkspace);
    if (c.needsNetwork && c.verdict !== 'deny') {
      return { verdict: 'deny', risk: c.risk, reason: `it needs network access (${c.reason}), and the OpenHands sandbox has none`, summary: command, tool: 'run_command' };
    }
    return { verdict: c.verdict, risk: c.risk, reason: c.reason, summary: command, tool: 'run_command' };
  }
  if (name === 'file_editor') {
    const cmd = typeof args.command === 'string' ? args.command : '';
    const path = typeof args.path === 'string' ? args.path : '';
    const summary = `file_editor ${cmd} ${path}`.trim();
    if (cmd === 'view') return { verdict: 'allow', risk: 'low', reason: 'viewing a file changes nothing', summary, tool: name };
    if (!FILE_WRITES.has(cmd)) return { verdict: 'deny', risk: 'medium', reason: `unknown file_editor command ${JSON.stringify(cmd).slice(0, 60)}`, summary, tool: name };
    if (!path.startsWith('/')) return { verdict: 'deny', risk: 'medium', reason: 'file_editor needs an absolute path', summary, tool: name };
    const j = new WorkspacePaths(OH_WORKSPACE, OH_HOME, hostWorkspace).writeTarget(literalArg(path), `file_editor ${cmd}`);
    if (!j) return { verdict: 'allow', risk: 'low', reason: 'writes a file inside the working copy', summary, tool: name };
    return { verdict: j.verdict, risk: j.risk, reason: j.reason, summary, tool: name };
  }
  return { verdict: 'deny', risk: 'medium', reason: `the tool ${JSON.stringify(name).slice(0, 80)} is not enabled for PushPals tasks (terminal, file_editor, think, finish)`, summary: name, tool: name.slice(0, 64) || 'unknown' };
}

/** What replaces a refused tool call: a `think` call whose text the model reads on its next turn. */
export function refusalThought(j: ToolJudgment, why: string): string {
  return `PushPals refused my action and did not run it: ${j.summary.slice(0, 2000)}\nReason: ${why}\nI must not retry it as is; I will find another way, or finish and explain what is blocked.`;
}
