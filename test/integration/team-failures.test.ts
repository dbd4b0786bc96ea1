/**
 * The agent team when things go wrong (real orchestrator, Docker, git, SQLite; scripted model):
 * cancelling one ticket mid-command (its container goes at once, the ticket after it is cancelled,
 * the others finish), cancelling a whole task (every ticket and container stops), a model that
 * answers 500s and then malformed plans and tool calls (retried, sent back with the error), a ticket
 * that exceeds its step limit, and a task whose tickets together exceed its token budget.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { App } from '@pushpals/orchestrator';
import { type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import type { EventMessage } from '@pushpals/protocol';
import { instanceIdFor, makeFixtureRepo, ModelSuiteSession, untilValue } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { fileOnBranch, planFor, ticket, ticketConv, waitTickets } from '../helpers/team-flow';

const run = promisify(execFile);
const MAX_STEPS = 5;
const BUDGET = 30_000;
const lastText = (r: RecordedRequest): string => (typeof r.last?.content === 'string' ? r.last.content : JSON.stringify(r.last?.content ?? ''));
const expectLast = (role: string, re: RegExp) => (r: RecordedRequest) => (r.last?.role !== role ? `expected a ${role} message last, got ${r.last?.role}` : re.test(lastText(r)) ? undefined : `expected the last message to match ${re}, got ${JSON.stringify(lastText(r).slice(0, 300))}`);
const errorOf = (e: EventMessage) => (e.payload as { error: { code: string; message: string } }).error;

/** Containers seen per task: a container taken from the warm pool keeps the label pushpals.sandbox=pool. */
const seen = new Map<string, Set<string>>();

/**
 * The task's containers that exist: labelled with its id, or handed to it by the sandbox manager (a
 * pool slot: Docker cannot relabel it), including ones seen before that the manager let go of.
 */
async function containersOfTask(app: App | undefined, dataDir: string, taskId: string): Promise<string[]> {
  const ids = seen.get(taskId) ?? new Set<string>();
  seen.set(taskId, ids);
  for (const sb of app?.workbench?.sandboxes.list() ?? []) if (sb.taskId === taskId) ids.add(sb.id);
  const { stdout } = await run('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=pushpals.instance=${instanceIdFor(dataDir)}`, '--format', '{{.ID}} {{.Label "pushpals.sandbox"}}']);
  const found: string[] = [];
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [id = '', label] = line.split(' ');
    if (label === taskId) ids.add(id);
    if (ids.has(id)) found.push(id);
  }
  return found;
}


describe('the agent team when things go wrong (real Docker, git, SQLite; scripted model)', function () {
  this.timeout(240_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';
  let mirror = '';

  const traces = (...ids: string[]) => ids.map((id) => trace(c(), id)).join('\n');
  const plan = (request: string, tickets: ReturnType<typeof ticket>[], usage?: { prompt_tokens: number; completion_tokens: number }) =>
    m().script(planFor(request), [{ ...(usage ? { usage } : {}), toolCalls: [{ name: 'submit_plan', arguments: { summary: request, tickets } }] }]);

  before(async function () {
    await s.open('pushpals-e2e-team-fail-', { models: ['scripted-team'], overrides: { models: { maxRetries: 3 }, agent: { maxSteps: MAX_STEPS, tokenBudget: BUDGET }, queue: { concurrency: 4 }, planner: { enabled: true } }, sessionId: 'team-fail-session' });
    repoId = (await c().send('repo_add', { source: makeFixtureRepo() })).repoId;
    mirror = s.app().workbench?.repos.get(repoId)?.mirrorPath ?? assert.fail('no mirror');
  });

  after(() => s.close());

  it('task_cancel with a ticket id mid-command: that ticket and its container stop at once, the ticket after it is cancelled, the other completes', async function () {
    const request = 'Slow and quick work';
    plan(request, [ticket('S1', 'Slow work', ['slow.txt']), ticket('Q1', 'Quick work', ['quick.txt']), ticket('S2', 'After the slow work', ['after.txt'], { dependsOn: ['S1'] })]);
    m().script(ticketConv('S1', 'Slow work'), [{ toolCalls: [{ name: 'run_command', arguments: { command: 'sleep 60 && echo slow > slow.txt' } }] }]);
    m().script(ticketConv('Q1', 'Quick work'), [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'quick.txt', content: 'quick\n' } }] },
      { delayMs: 1500, toolCalls: [{ name: 'finish', arguments: { summary: 'quick done' } }] },
    ]);
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const tickets = await waitTickets(c(), planId, 3);
    const [s1, q1, s2] = ['S1', 'Q1', 'S2'].map((k) => tickets.get(k)?.taskId ?? '');
    assert.ok(s1 && q1 && s2);
    await c().waitFor('tool_call', (p) => p.taskId === s1 && p.tool === 'run_command', 60_000);
    await untilValue('the slow ticket\'s container', 60_000, async () => ((await containersOfTask(s.app(), s.dataDir(), s1)).length === 1 ? true : undefined));

    const sent = Date.now();
    const ack = await c().send('task_cancel', { taskId: s1, reason: 'not needed' });
    assert.equal(ack.state, 'cancelled');
    await c().waitFor('task_cancelled', (p) => p.taskId === s1, 5000);
    const waitedFrom = Date.now();
    await untilValue('the cancelled ticket\'s container to be removed', 15_000, async () => ((await containersOfTask(s.app(), s.dataDir(), s1)).length === 0 ? true : undefined));
    const gone = Date.now() - waitedFrom;
    assert.ok(Date.now() - sent < 15_000, `the container took ${gone} ms to go`);

    const end = await waitTerminal(c(), planId, 120_000);
    await waitIdle(c(), planId);
    const t = traces(planId, s1, q1, s2);
    assert.equal(end.type, 'task_failed', t);
    assert.equal(errorOf(end).code, 'cancelled', t);
    assert.match(errorOf(end).message, /1 of 3 ticket\(s\) completed[\s\S]*- S1 \[cancelled\][\s\S]*- Q1 \[completed\][\s\S]*- S2 \[cancelled\]/, t);
    const s2Cancelled = ofType(c().forTask(s2), 'task_cancelled')[0];
    assert.match(s2Cancelled?.payload.reason ?? '', /ticket S1 it depends on was cancelled/, t);
    assert.equal(ofType(c().forTask(s2), 'task_started').length, 0, 'S2 started although S1 was cancelled');
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'quick.txt'), 'quick\n', 'the completed ticket is on the plan\'s branch');
    assert.equal(m().chatRequests(String(ticketConv('S1', 'Slow work'))).length, 1);
  });

  it('cancelling the task stops all its running tickets and their containers at once', async function () {
    const request = 'Two slow tickets';
    plan(request, [ticket('A', 'Slow A', ['a.txt']), ticket('B', 'Slow B', ['b.txt'])]);
    for (const k of ['A', 'B']) m().script(ticketConv(k, `Slow ${k}`), [{ toolCalls: [{ name: 'run_command', arguments: { command: 'sleep 60' } }] }]);
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const tickets = await waitTickets(c(), planId, 2);
    const ids = ['A', 'B'].map((k) => tickets.get(k)?.taskId ?? '');
    await untilValue('both containers', 60_000, async () => ((await Promise.all(ids.map((id) => containersOfTask(s.app(), s.dataDir(), id)))).every((x) => x.length === 1) ? true : undefined));
    await c().send('task_cancel', { taskId: planId });
    for (const id of [planId, ...ids]) await c().waitFor('task_cancelled', (p) => p.taskId === id, 5000);
    await untilValue('both containers to be removed', 15_000, async () => ((await Promise.all(ids.map((id) => containersOfTask(s.app(), s.dataDir(), id)))).every((x) => x.length === 0) ? true : undefined)).catch((e: unknown) =>
      assert.fail(`${String(e)}\n${traces(planId, ...ids)}`),
    );
    const status = await c().send('status_get', {});
    for (const id of [planId, ...ids]) assert.equal(status.tasks.find((x) => x.taskId === id)?.state, 'cancelled');
  });

  it('500s, then a malformed plan and a malformed tool call: retried, sent back with the problem, corrected; the task completes', async function () {
    const request = 'Flaky planner and coder';
    m().script(planFor(request), [
      { status: 500, retryAfterMs: 20 },
      { toolCalls: [{ name: 'submit_plan', arguments: { summary: 'x', tickets: [ticket('T1', 'Loop', ['a'], { dependsOn: ['T2'] }), ticket('T2', 'Back', ['b'], { dependsOn: ['T1'] })] } }] },
      { expect: expectLast('tool', /The plan was not accepted:[\s\S]*cycle between T1, T2/), toolCalls: [{ name: 'submit_plan', arguments: '{"summary": "one ticket", "tickets": [' }] },
      { expect: expectLast('tool', /not valid/), toolCalls: [{ name: 'submit_plan', arguments: { summary: 'One ticket.', tickets: [ticket('T1', 'Write notes', ['notes.md'])] } }] },
    ]);
    m().script(ticketConv('T1', 'Write notes'), [
      { status: 500, retryAfterMs: 20 },
      { status: 500, retryAfterMs: 20 },
      { toolCalls: [{ name: 'write_file', arguments: '{"path": "notes.md", "content": ' }] },
      { expect: expectLast('tool', /not valid JSON/), toolCalls: [{ name: 'write_file', arguments: { path: 'notes.md', content: '# Notes\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'notes written' } }] },
    ]);
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), planId, 120_000);
    await waitIdle(c(), planId);
    const [t1] = [...(await waitTickets(c(), planId, 1)).values()].map((x) => x.taskId);
    const t = traces(planId, t1 ?? '');
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);
    // The planner made 3 calls (the first took 2 attempts); the coder 3 (the first took 3 attempts).
    assert.equal(m().chatRequests(String(planFor(request))).length, 4);
    assert.equal(m().chatRequests(String(ticketConv('T1', 'Write notes'))).length, 5);
    assert.ok(ofType(c().forTask(planId), 'task_progress').some((e) => /The plan was malformed \(attempt 1\): \/tickets: the dependencies form a cycle/.test(e.payload.message)), t);
    assert.deepEqual(ofType(c().forTask(t1 ?? ''), 'tool_result').map((e) => e.payload.ok), [false, true, true], t);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'notes.md'), '# Notes\n');
  });

  it(`a ticket that never finishes stops at agent.maxSteps (${MAX_STEPS}): step_limit_exceeded, and so does its task`, async function () {
    const request = 'Endless ticket';
    plan(request, [ticket('E1', 'List forever', ['src/'])]);
    m().script(ticketConv('E1', 'List forever'), Array.from({ length: MAX_STEPS + 2 }, () => ({ toolCalls: [{ name: 'list_files', arguments: {} }] })));
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), planId, 120_000);
    const [e1] = [...(await waitTickets(c(), planId, 1)).values()].map((x) => x.taskId);
    const ticketEnd = ofType(c().forTask(e1 ?? ''), 'task_failed')[0];
    const t = traces(planId, e1 ?? '');
    assert.equal(ticketEnd && errorOf(ticketEnd).code, 'step_limit_exceeded', t);
    assert.equal(end.type, 'task_failed', t);
    assert.equal(errorOf(end).code, 'step_limit_exceeded', t);
    assert.equal(m().chatRequests(String(ticketConv('E1', 'List forever'))).length, MAX_STEPS);
  });

  it(`a task's tickets share its token budget (agent.tokenBudget = ${BUDGET}): the second ticket stops when the task's total is spent`, async function () {
    const request = 'Expensive plan';
    const big = { prompt_tokens: 10_000, completion_tokens: 100 };
    plan(request, [ticket('X1', 'First expensive', ['x1.md']), ticket('X2', 'Second expensive', ['x2.md'], { dependsOn: ['X1'] })], { prompt_tokens: 5_000, completion_tokens: 100 });
    m().script(ticketConv('X1', 'First expensive'), [
      { usage: big, toolCalls: [{ name: 'write_file', arguments: { path: 'x1.md', content: 'one\n' } }] },
      { usage: big, toolCalls: [{ name: 'finish', arguments: { summary: 'x1 done' } }] },
    ]);
    m().script(ticketConv('X2', 'Second expensive'), [
      { usage: big, toolCalls: [{ name: 'write_file', arguments: { path: 'x2.md', content: 'two\n' } }] },
      { usage: big, toolCalls: [{ name: 'finish', arguments: { summary: 'never reached' } }] },
    ]);
    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const end = await waitTerminal(c(), planId, 120_000);
    const tickets = await waitTickets(c(), planId, 2);
    const x2 = tickets.get('X2')?.taskId ?? '';
    const t = traces(planId, x2);
    assert.equal(end.type, 'task_failed', t);
    assert.equal(errorOf(end).code, 'budget_exceeded', t);
    const x2End = ofType(c().forTask(x2), 'task_failed')[0];
    // X2 alone spent 10 100 tokens: it stops on the task's total (5 100 + 2 × 10 100 + 10 100).
    assert.match(x2End ? errorOf(x2End).message : '', /token budget is spent \(35400 of 30000 tokens\)/, t);
    assert.equal(m().chatRequests(String(ticketConv('X2', 'Second expensive'))).length, 1);
    assert.match(errorOf(end).message, /- X1 \[completed\][\s\S]*- X2 \[failed\]/);
  });
});
