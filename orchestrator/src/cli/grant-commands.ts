/**
 * `pushpals grant add|list|revoke`: auto-commit grants on a running orchestrator. While a grant is
 * active, the commit of a reviewed task (and, when granted, its push or pull request) goes ahead
 * without asking — approved by `grant:<id>`, audited, only ever on the task branch.
 */
import { parseArgs } from 'node:util';
import type { CommandResult, GrantAction } from '@pushpals/protocol';
import { resolveTarget, sendCommand } from './client';
import { COMMON_USAGE, UsageError, common, configFrom, type Sub } from './shared';

type GrantInfo = CommandResult<'grant_list'>['grants'][number];

const ACTIONS: readonly GrantAction[] = ['commit', 'push', 'pr'];
const UNIT_MINUTES: Record<string, number> = { m: 1, min: 1, h: 60, d: 1440 };
const MAX_MINUTES = 30 * 1440;

/** "8h", "90m", "2d", "1h30m" → minutes; a clear usage error otherwise (at most 30 days). */
export function parseDuration(text: string): number {
  const parts = [...text.trim().toLowerCase().matchAll(/(\d+)\s*(min|m|h|d)/g)];
  const rest = text.trim().toLowerCase().replace(/(\d+)\s*(min|m|h|d)/g, '').trim();
  if (!parts.length || rest !== '') throw new UsageError(`--for "${text}" is not a duration: use e.g. 30m, 8h, 2d or 1h30m`);
  const minutes = parts.reduce((n, m) => n + Number(m[1]) * (UNIT_MINUTES[m[2] as string] ?? 0), 0);
  if (minutes < 1 || minutes > MAX_MINUTES) throw new UsageError(`--for ${text}: a grant lasts from 1 minute to 30 days`);
  return minutes;
}

/** "commit,push" → the actions; every one must be commit, push or pr. */
export function parseActions(text: string): GrantAction[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((a) => !(ACTIONS as readonly string[]).includes(a));
  if (bad !== undefined || !list.length) throw new UsageError(`--actions: ${bad !== undefined ? `"${bad}" is not` : 'give at least one of'} commit, push, pr (comma-separated)`);
  return [...new Set(list)] as GrantAction[];
}

function until(iso: string, now: number): string {
  const min = Math.max(0, Math.round((Date.parse(iso) - now) / 60000));
  const left = min < 120 ? `${min} min` : min < 2880 ? `${Math.round(min / 60)} h` : `${Math.round(min / 1440)} days`;
  return `${iso} (${left} left)`;
}

export function grantLine(g: GrantInfo, now = Date.now()): string {
  const whose = g.scope === 'repo' ? `repo ${g.repoName ?? g.repoId ?? '?'}` : `task ${g.taskId ?? '?'}`;
  const state = g.revokedAt ? `revoked ${g.revokedAt}` : Date.parse(g.expiresAt) <= now ? `expired ${g.expiresAt}` : `until ${until(g.expiresAt, now)}`;
  return `${g.grantId}  ${g.actions.join(',').padEnd(15)} ${whose.padEnd(30)} ${state}  by ${g.createdBy}`;
}

export const GRANT_COMMAND: Sub = {
  summary: 'grant add|list|revoke: auto-commit grants (commit/push/PR without asking, for a while)',
  usage: `usage: pushpals grant add (--repo NAME-OR-ID | --task ID) [--actions commit,push,pr] [--for 8h]
       pushpals grant list [--all]
       pushpals grant revoke <grant-id>
       (each also takes [--data-dir D] [--url U] [--json])

While a grant is active, the approvals it covers go ahead without asking: the commit of a reviewed
task's accepted hunks (and a push of its task branch or a pull request, if granted). They are still
recorded — approved by grant:<id>, in the audit trail — and still only ever touch the task branch.
  add            --repo: every task of that repository; --task: that task (a plan's task: its tickets too)
  --actions A    comma-separated, of commit, push, pr (default: commit)
  --for D        how long: 30m, 8h, 2d, 1h30m (default 8h, at most 30d)
  list           the active grants (--all: revoked and expired ones too)
  revoke <id>    ends a grant now: the next commit asks again
The policy file's "autoCommit": true is different: it lets agents run commit-like commands (git commit
in their sandbox) without asking, for good; grants are about the orchestrator's own commit, push and PR.
${COMMON_USAGE}`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { ...common, repo: { type: 'string' }, task: { type: 'string' }, actions: { type: 'string' }, for: { type: 'string' }, all: { type: 'boolean' } },
      allowPositionals: true,
    });
    const [verb, arg, extra] = positionals;
    if (!verb) throw new UsageError('missing the grant command (add, list, revoke)');
    if (!['add', 'list', 'revoke'].includes(verb)) throw new UsageError(`unknown grant command "${verb}"`);
    if (verb === 'revoke' ? extra !== undefined : arg !== undefined) throw new UsageError(`unexpected argument "${verb === 'revoke' ? extra : arg}"`);
    if (verb !== 'add' && (values.repo !== undefined || values.task !== undefined || values.actions !== undefined || values.for !== undefined)) throw new UsageError('--repo, --task, --actions and --for go with grant add');
    if (verb !== 'list' && values.all) throw new UsageError('--all goes with grant list');
    let payload: { repo?: string; taskId?: string; actions: GrantAction[]; ttlMinutes: number } | undefined;
    if (verb === 'add') {
      if ((values.repo === undefined) === (values.task === undefined)) throw new UsageError('grant add needs exactly one of --repo NAME-OR-ID or --task ID');
      payload = { ...(values.repo !== undefined ? { repo: values.repo } : { taskId: values.task as string }), actions: parseActions(values.actions ?? 'commit'), ttlMinutes: parseDuration(values.for ?? '8h') };
    }
    if (verb === 'revoke' && !arg) throw new UsageError('missing the grant id to revoke (pushpals grant list shows them)');
    const config = configFrom(values, io.env);
    const target = resolveTarget(config.dataDir, io.env, values.url);
    if (payload) {
      const { grant } = await sendCommand(target, 'grant_add', payload);
      return io.out(values.json ? JSON.stringify(grant) : `granted ${grantLine(grant)}`);
    }
    if (verb === 'list') {
      const { grants } = await sendCommand(target, 'grant_list', values.all ? { includeInactive: true } : {});
      if (values.json) return io.out(JSON.stringify(grants, null, 2));
      if (!grants.length) return io.out(values.all ? 'no grants' : 'no active grants: every commit, push and PR asks (pushpals grant add --help)');
      for (const g of grants) io.out(grantLine(g));
      return;
    }
    const r = await sendCommand(target, 'grant_revoke', { grantId: arg as string });
    return io.out(values.json ? JSON.stringify(r) : r.changed ? `revoked ${r.grant.grantId}: the next commit${r.grant.actions.length > 1 ? ', push or PR' : ''} it covered asks again` : `${r.grant.grantId} was revoked already (${r.grant.revokedAt ?? ''})`);
  },
};
