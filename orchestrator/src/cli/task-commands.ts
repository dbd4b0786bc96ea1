/**
 * `pushpals task new|list|watch|pause|resume|cancel`, `pushpals approve|deny`: the whole loop of a task
 * from a terminal — start it, follow it (commands with their output), decide its approvals, pause,
 * resume or cancel it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MAX_PR_TITLE_LENGTH, pullRequestTextProblem, type TaskSummary } from '@pushpals/protocol';
import { PushPalsError } from '../errors';
import { resolveTarget, sendCommand, type Target } from './client';
import { COMMON_USAGE, UsageError, common, configFrom, type Io, type Sub } from './shared';
import { watchTask } from './watch';

/** `main @ 0123456789ab + 2 uncommitted`: what a task started from, in a few characters. */
export function baseText(t: TaskSummary): string {
  if (!t.base) return '-';
  const b = t.base;
  return `${b.branch ?? 'detached'} @ ${b.commit.slice(0, 12)}${b.uncommitted ? ` + ${b.files ?? 0} uncommitted` : ''}`;
}

/** One task per line: id, state, approvals pending, base, title (status and task list). */
export function taskLine(x: TaskSummary, repoNames: Map<string, string>): string {
  const repo = x.repoId ? (repoNames.get(x.repoId) ?? x.repoId) : '-';
  const pending = x.pendingApprovals ? ` (${x.pendingApprovals} approval(s) pending)` : '';
  const state = x.paused ? `${x.state} (paused)` : x.state;
  return `${x.taskId}  ${state.padEnd(17)} ${repo.padEnd(16)} ${baseText(x).padEnd(34)} ${x.title}${pending}`;
}

/** Repository names by id, for readable task lines (empty when the orchestrator has no workbench). */
export async function repoNames(t: Target): Promise<Map<string, string>> {
  const r = await sendCommand(t, 'repo_list', {}).catch(() => ({ repos: [] }));
  return new Map(r.repos.map((x) => [x.repoId, x.name]));
}

const TASK_USAGE = `usage: pushpals task new "<request>" [--repo R] [--uncommitted] [--watch]
       pushpals task list
       pushpals task watch <task-id>
       pushpals task pause <task-id>
       pushpals task resume <task-id>
       pushpals task cancel <task-id> [--reason TEXT]
       pushpals task push <task-id> [--remote NAME]
       pushpals task pr <task-id> [--title T] [--body TEXT] [--base BRANCH]
       (each also takes [--data-dir D] [--url U] [--json])

  new            create a task on the running orchestrator. It starts from the repository as you have
                 it then: your current branch's head (a URL: fetched again).
  --repo R       the repository, by name or id (see pushpals repo list); needed when several are
                 registered — an unknown or ambiguous one is refused, listing the choices
  --uncommitted  also take your uncommitted changes (modified and untracked files git does not
                 ignore) into the task's working copy (VS Code does by default)
  --watch        follow the task after creating it (as task watch)
  --agent A      the coding worker: worker:builtin or openhands (default: the repo's in config
                 agents.repos, else agents.default)
  list           every task: id, state, repository, base (branch @ commit + uncommitted), title
  watch <id>     follow a task live until it ends — commands with their output, approvals with the
                 commands that decide them; exit 0 if it completed, 1 if it failed or was cancelled
  pause <id>     pause a task: no new model call or command starts until it is resumed (a running
                 command finishes); it keeps its working copy, survives a restart, can be cancelled
  resume <id>    resume a paused task where it stopped
  cancel <id>    cancel a task (its running command is stopped)
  push <id>      push the task's committed branch pushpals/<id> to the repository's remote (default
                 origin; --remote NAME another) under the same name, after a push approval; never to
                 another branch, never forced. Follow it with task watch; decide with pushpals approve
  pr <id>        open a pull request of pushpals/<id> (GitHub, GitHub Enterprise) after a pr approval,
                 pushing first (its own push approval) when it is not pushed; --base defaults to the
                 repository's default branch, --title to the commit's first line. Without a forge
                 token (pushpals forge token set --repo NAME) only the push happens, and says so
${COMMON_USAGE}`;

export const TASK_COMMAND: Sub = {
  summary: 'task new|list|watch|pause|resume|cancel|push|pr: create, list, follow, pause, cancel, push and open PRs of tasks',
  usage: TASK_USAGE,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...common, repo: { type: 'string' }, uncommitted: { type: 'boolean' }, watch: { type: 'boolean' }, reason: { type: 'string' }, agent: { type: 'string' }, remote: { type: 'string' }, title: { type: 'string' }, body: { type: 'string' }, base: { type: 'string' } },
      allowPositionals: true,
    });
    const [verb, ...rest] = positionals;
    if (!verb) throw new UsageError('missing the task command (new, list, watch, pause, resume, cancel, push, pr)');
    if (!['new', 'list', 'watch', 'pause', 'resume', 'cancel', 'push', 'pr'].includes(verb)) throw new UsageError(`unknown task command "${verb}"`);
    const only = (flags: Array<keyof typeof values>, verbName: string) => {
      for (const f of ['repo', 'uncommitted', 'watch', 'reason', 'agent', 'remote', 'title', 'body', 'base'] as const) if (values[f] !== undefined && !flags.includes(f)) throw new UsageError(`--${f} does not go with task ${verbName}`);
    };
    const config = configFrom(values, io.env);
    const target = (): Target => resolveTarget(config.dataDir, io.env, values.url);
    switch (verb) {
      case 'new': {
        only(['repo', 'uncommitted', 'watch', 'agent'], 'new');
        if (rest.length === 0) throw new UsageError('missing the request text');
        const agent = values.agent;
        if (agent !== undefined && agent !== 'worker:builtin' && agent !== 'openhands') throw new UsageError('--agent must be worker:builtin or openhands');
        const t = target();
        const r = await sendCommand(t, 'task_new', { request: rest.join(' '), ...(values.repo ? { repo: values.repo } : {}), ...(agent ? { agent } : {}), includeUncommitted: values.uncommitted === true });
        io.out(values.json ? JSON.stringify(r) : `created task ${r.taskId} (${r.state})`);
        return values.watch ? watchTask(t, r.taskId, io.out, values.json) : 0;
      }
      case 'list': {
        only([], 'list');
        if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
        const t = target();
        const { tasks } = await sendCommand(t, 'status_get', {});
        if (values.json) return void io.out(JSON.stringify(tasks, null, 2));
        if (tasks.length === 0) return void io.out('no tasks');
        const names = await repoNames(t);
        for (const x of tasks) io.out(taskLine(x, names));
        return 0;
      }
      case 'watch': {
        only([], 'watch');
        const id = oneId(rest, 'task id');
        const t = target();
        const known = await sendCommand(t, 'status_get', { taskId: id });
        if (known.tasks.length === 0) throw new PushPalsError('not_found', `no task ${id}: "pushpals task list" shows the tasks`);
        return watchTask(t, id, io.out, values.json);
      }
      case 'pause':
      case 'resume': {
        only([], verb);
        const taskId = oneId(rest, 'task id');
        const r = await sendCommand(target(), verb === 'pause' ? 'task_pause' : 'task_resume', { taskId });
        io.out(values.json ? JSON.stringify(r) : `task ${r.taskId}: ${r.state}${r.paused ? ' (paused)' : ''}`);
        return 0;
      }
      case 'cancel': {
        only(['reason'], 'cancel');
        const taskId = oneId(rest, 'task id');
        const r = await sendCommand(target(), 'task_cancel', { taskId, ...(values.reason ? { reason: values.reason } : {}) });
        io.out(values.json ? JSON.stringify(r) : `task ${r.taskId}: ${r.state}`);
        return 0;
      }
      case 'push': {
        only(['remote'], 'push');
        const taskId = oneId(rest, 'task id');
        const r = await sendCommand(target(), 'push_request', { taskId, ...(values.remote ? { remote: values.remote } : {}) });
        io.out(values.json ? JSON.stringify(r) : `push of pushpals/${taskId} asked for (job ${r.jobId}): it waits for a push approval — "pushpals task watch ${taskId}" shows it and its id for "pushpals approve"`);
        return 0;
      }
      case 'pr': {
        only(['title', 'body', 'base'], 'pr');
        const taskId = oneId(rest, 'task id');
        const r = await sendCommand(target(), 'pr_request', { taskId, ...(values.title ? { title: values.title } : {}), ...(values.body ? { body: values.body } : {}), ...(values.base ? { base: values.base } : {}) });
        io.out(values.json ? JSON.stringify(r) : `pull request of pushpals/${taskId} asked for (job ${r.jobId}): it waits for its approvals (a push first when the branch is not pushed) — "pushpals task watch ${taskId}" shows them`);
        return 0;
      }
    }
    return 0;
  },
};

function oneId(rest: string[], what: string): string {
  if (rest.length === 0) throw new UsageError(`missing the ${what}`);
  if (rest.length > 1) throw new UsageError(`unexpected argument "${rest[1]}"`);
  return rest[0] as string;
}

const APPROVE_OPTIONS = {
  message: { type: 'string' },
  title: { type: 'string' },
  body: { type: 'string' },
  'body-file': { type: 'string' },
} as const;

/** What `approve` sends along: an edited commit message, or an edited pull request title and body. */
function approveEdits(values: { message?: string | undefined; title?: string | undefined; body?: string | undefined; 'body-file'?: string | undefined }): { message?: string; title?: string; body?: string } {
  if (values.body !== undefined && values['body-file'] !== undefined) throw new UsageError('--body and --body-file: give one of them');
  if (values.message !== undefined && (values.title !== undefined || values.body !== undefined || values['body-file'] !== undefined)) throw new UsageError('--message is for a commit approval, --title/--body for a pull request one: not both');
  const body = values['body-file'] !== undefined ? readFileSync(values['body-file'] === '-' ? 0 : values['body-file'], 'utf8') : values.body;
  const problem = pullRequestTextProblem({ title: values.title, body });
  if (problem) throw new UsageError(problem);
  if (values.message !== undefined && !values.message.trim()) throw new UsageError('--message: a commit needs a message');
  return { ...(values.message !== undefined ? { message: values.message } : {}), ...(values.title !== undefined ? { title: values.title } : {}), ...(body !== undefined ? { body } : {}) };
}

function decisionCommand(decision: 'approve' | 'deny'): Sub {
  return {
    summary: `${decision} <approval-id>: ${decision} a pending approval (task watch prints the ids)`,
    usage: `usage: pushpals ${decision} <approval-id>${decision === 'deny' ? ' [--reason TEXT]' : ' [--message TEXT | --title TEXT --body TEXT | --body-file FILE]'} [--data-dir D] [--url U] [--json]

${decision === 'approve' ? 'Approves' : 'Denies'} a pending approval; "pushpals task watch <task-id>" prints the id of each one it
shows. The first decision wins: deciding again the same way changes nothing, the other way is refused.
${decision === 'deny' ? '  --reason TEXT  why (shown to the task)\n' : `  --message TEXT    a commit approval: the commit message instead of the proposed one
  --title TEXT      a pull request (pr) approval: its title instead of the proposed one (at most ${MAX_PR_TITLE_LENGTH} characters)
  --body TEXT       a pr approval: its body instead of the proposed one ("" for none)
  --body-file FILE  the same, read from FILE ("-": stdin)
`}${COMMON_USAGE}`,
    async run(args: string[], io: Io) {
      const { values, positionals } = parseArgs({ args, options: { ...common, ...(decision === 'deny' ? { reason: { type: 'string' } } : APPROVE_OPTIONS) }, allowPositionals: true });
      const approvalId = oneId(positionals, 'approval id');
      const config = configFrom(values, io.env);
      const reason = (values as { reason?: string }).reason;
      const edits = decision === 'approve' ? approveEdits(values as Parameters<typeof approveEdits>[0]) : {};
      const r = await sendCommand(resolveTarget(config.dataDir, io.env, values.url), 'approval_decide', { approvalId, decision, ...(reason ? { reason } : {}), ...edits });
      io.out(values.json ? JSON.stringify(r) : `${r.approvalId}: ${r.state}`);
      return r.state === (decision === 'approve' ? 'approved' : 'denied') ? 0 : 1;
    },
  };
}

export const APPROVE_COMMAND = decisionCommand('approve');
export const DENY_COMMAND = decisionCommand('deny');
