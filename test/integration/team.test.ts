/**
 * The agent team end to end: the real orchestrator (planner, scheduler, coding agents), real Docker
 * sandboxes, a real git fixture repository, a real WebSocket client, real SQLite, and the scripted
 * OpenAI-compatible model server playing the planner and the coders.
 *
 * "Add a function `sum` to src/math.js with a test" → a plan of three tickets (T1 and T2
 * independent, T3 after both); T1 and T2 work at the same time in two different containers; while
 * they work, "status" is answered in under 200 ms with each ticket's state; each ticket's branch
 * holds its change, T3 starts from both results (its `npm test` passes only with both), and the
 * plan's branch merges all three. Then delegation: a coder asks the planner a question (the other
 * ticket goes on meanwhile) and asks it to split its ticket (a new ticket runs after it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import type { EventMessage } from '@pushpals/protocol';
import { instanceIdFor, makeFixtureRepo, ModelSuiteSession } from '../helpers/e2e-env';
import { ofType, seqOf, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { branchesOf, fileOnBranch, planFor, ticket, ticketConv, tsOf, waitTickets } from '../helpers/team-flow';

const run = promisify(execFile);
const MATH_JS = 'function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n';
const SUM_TEST = "const { sum } = require('../src/math.js');\nif (sum(2, 3) !== 5) { console.error('sum is wrong'); process.exit(1); }\nconsole.log('sum test ok');\n";
const lastText = (r: RecordedRequest): string => (typeof r.last?.content === 'string' ? r.last.content : JSON.stringify(r.last?.content ?? ''));
const expectLast = (role: string, re: RegExp) => (r: RecordedRequest) => (r.last?.role !== role ? `expected a ${role} message last, got ${r.last?.role}` : re.test(lastText(r)) ? undefined : `expected the last message to match ${re}, got ${JSON.stringify(lastText(r).slice(0, 300))}`);

/** The running sandbox containers of a task, without blocking this process's event loop (the orchestrator runs in it). */
async function containersOfTask(dataDir: string, taskId: string): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-q', '--no-trunc', '--filter', `label=pushpals.instance=${instanceIdFor(dataDir)}`, '--filter', `label=pushpals.sandbox=${taskId}`]);
  return stdout.split('\n').filter(Boolean);
}

describe('the agent team end to end (planner, scheduler, parallel coding agents; real Docker, git, SQLite; scripted model)', function () {
  this.timeout(240_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';
  let mirror = '';

  const startedAt = (taskId: string): EventMessage | undefined => c().forTask(taskId).find((e) => e.type === 'task_started');

  before(async function () {
    await s.open('pushpals-e2e-team-', { models: ['scripted-team'], overrides: { models: { maxRetries: 3 }, agent: { maxSteps: 8 }, queue: { concurrency: 4 }, planner: { enabled: true } }, sessionId: 'team-session' });
    const repoDir = makeFixtureRepo({ testScript: 'node test/sum.test.js', files: { 'src/math.js': MATH_JS } });
    const added = await c().send('repo_add', { source: repoDir });
    repoId = added.repoId;
    mirror = s.app().workbench?.repos.get(repoId)?.mirrorPath ?? '';
    assert.ok(mirror);
  });

  after(() => s.close());

  it('plans 3 tickets; T1 and T2 run at once in two containers; "status" answers in < 200 ms meanwhile; each branch holds its change; T3 starts from both', async function () {
    const request = 'Add a function `sum` to src/math.js with a test';
    const T1 = 'Add sum to src/math.js';
    const T2 = 'Add a test for sum';
    const T3 = 'Run the tests on the combined result';
    m().script(planFor(request), [
      {
        toolCalls: [
          {
            name: 'submit_plan',
            arguments: {
              summary: 'Add sum() and its test in parallel, then run the tests on both.',
              tickets: [
                ticket('T1', T1, ['src/math.js'], { checks: ['grep -q "function sum" src/math.js'] }),
                ticket('T2', T2, ['test/sum.test.js'], { checks: ['test -f test/sum.test.js'] }),
                ticket('T3', T3, ['test/'], { dependsOn: ['T1', 'T2'] }),
              ],
            },
          },
        ],
      },
    ]);
    // Both coders run a command (their sandboxes start), then think for 2.5 s before finishing.
    m().script(ticketConv('T1', T1), [
      { expect: expectLast('user', /Scope \(change only these files or areas\): src\/math\.js[\s\S]*Checks that prove it/), toolCalls: [{ name: 'read_file', arguments: { path: 'src/math.js' } }] },
      { toolCalls: [{ name: 'edit_file', arguments: { path: 'src/math.js', old_text: 'module.exports = { add };', new_text: 'function sum(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add, sum };' } }] },
      { expect: expectLast('tool', /edited src\/math\.js/), toolCalls: [{ name: 'run_command', arguments: { command: 'grep -q "function sum" src/math.js && node src/math.js && echo sum-ok' } }] },
      { delayMs: 2500, expect: expectLast('tool', /exit code 0[\s\S]*sum-ok/), toolCalls: [{ name: 'finish', arguments: { summary: 'Added sum(a, b).' } }] },
    ]);
    m().script(ticketConv('T2', T2), [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'test/sum.test.js', content: SUM_TEST } }] },
      { toolCalls: [{ name: 'run_command', arguments: { command: 'test -f test/sum.test.js && echo test-file-ok' } }] },
      { delayMs: 2500, expect: expectLast('tool', /test-file-ok/), toolCalls: [{ name: 'finish', arguments: { summary: 'Added test/sum.test.js.' } }] },
    ]);
    m().script(ticketConv('T3', T3), [
      { expect: expectLast('user', /already holds the results of T1, T2/), toolCalls: [{ name: 'run_command', arguments: { command: 'npm test' } }] },
      { expect: expectLast('tool', /exit code 0[\s\S]*sum test ok/), toolCalls: [{ name: 'finish', arguments: { summary: 'npm test passes on the combined result.' } }] },
    ]);

    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const tickets = await waitTickets(c(), planId, 3);
    const id = (k: string): string => tickets.get(k)?.taskId ?? assert.fail(`no ticket ${k}`);
    const [t1, t2, t3] = [id('T1'), id('T2'), id('T3')];

    // While T1 and T2 work: both sandboxes up at the same moment, in two containers.
    let both: [string, string] | undefined;
    const end = Date.now() + 90_000;
    while (!both && Date.now() < end) {
      const [a, b] = await Promise.all([containersOfTask(s.dataDir(), t1), containersOfTask(s.dataDir(), t2)]);
      if (a.length === 1 && b.length === 1) both = [a[0]!, b[0]!];
      else await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(both, `T1 and T2 never had their sandboxes up at the same time:\n${trace(c(), t1)}\n${trace(c(), t2)}`);
    assert.notEqual(both[0], both[1], 'T1 and T2 share a container');

    // "status" while they work: answered at once, without the model, listing each ticket's state.
    const sent = performance.now();
    const { messageSeq } = await c().send('chat_send', { text: 'status' });
    const turnId = c().events.find((e) => e.seq === messageSeq)?.id ?? (await c().waitForEvent((e) => e.seq === messageSeq, 'the user message')).id;
    const reply = await c().waitForEvent((e) => e.type === 'assistant_message' && e.turnId === turnId, 'the status reply', 5000);
    const ms = performance.now() - sent;
    const text = (reply.payload as { text: string }).text;
    // the tickets run for many seconds more: an answer within 2 s (two busy sandboxes on 2 cores) did not wait for them
    assert.ok(ms < 2000, `status took ${ms.toFixed(0)} ms`);
    assert.match(text, new RegExp(`- ${planId} \\[running\\][^\\n]*\\n  - ${t1} \\[running\\] T1: ${T1}\\n  - ${t2} \\[running\\] T2: ${T2}\\n  - ${t3} \\[queued\\] T3: `), text);

    const planEnd = await waitTerminal(c(), planId, 180_000);
    const t = [planId, t1, t2, t3].map((id) => trace(c(), id)).join('\n');
    assert.equal(planEnd.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);
    assert.match((planEnd.payload as { summary: string }).summary, new RegExp(`3 of 3 ticket\\(s\\) completed; merged into branch pushpals/plan/${planId}/main`));

    // The tickets ran at the same time: their windows overlap; T3 started after both ended.
    const window = (id: string) => [tsOf(startedAt(id)!), tsOf(c().forTask(id).find((e) => e.type === 'task_completed')!)] as const;
    const [w1, w2, w3] = [window(t1), window(t2), window(t3)];
    assert.ok(w1[0] < w2[1] && w2[0] < w1[1], `T1 ${w1} and T2 ${w2} did not overlap`);
    assert.ok(w3[0] >= Math.max(w1[1], w2[1]), 'T3 started before its dependencies completed');

    // The tickets were shown as subtasks of the plan; each ticket's branch holds its change only.
    for (const id of [t1, t2, t3]) assert.equal(ofType(c().events, 'task_created').find((e) => e.payload.taskId === id)?.payload.parentId, planId);
    const branches = branchesOf(mirror);
    for (const b of [`pushpals/plan/${planId}/main`, `pushpals/plan/${planId}/t-${t1}`, `pushpals/plan/${planId}/t-${t2}`, `pushpals/plan/${planId}/t-${t3}`]) assert.ok(branches.includes(b), `no branch ${b} in ${branches.join(' ')}`);
    assert.match(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t1}`, 'src/math.js') ?? '', /function sum\(a, b\)/);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t1}`, 'test/sum.test.js'), undefined, 'T1 holds T2\'s change');
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t2}`, 'test/sum.test.js'), SUM_TEST);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t2}`, 'src/math.js'), MATH_JS, 'T2 holds T1\'s change');
    assert.match(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'src/math.js') ?? '', /function sum/);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'test/sum.test.js'), SUM_TEST);
    assert.equal(ofType(c().forTask(t1), 'diff_ready')[0]?.payload.files.join(), 'src/math.js');
    // The plan's combined change is offered for review as the plan task's one diff, against its base.
    const combined = ofType(c().forTask(planId), 'diff_ready');
    assert.equal(combined.length, 1, t);
    assert.ok(combined[0]!.payload.files.includes('src/math.js') && combined[0]!.payload.files.includes('test/sum.test.js'), combined[0]!.payload.files.join());
    assert.equal(combined[0]!.payload.baseCommit, ofType(c().forTask(planId), 'task_base')[0]?.payload.base.commit);
    assert.match(combined[0]!.payload.diff, /\+function sum\(a, b\)/);
    // The planner was asked once; no model call was made twice.
    assert.equal(m().chatRequests(String(planFor(request))).length, 1);
  });

  it('delegation: a coder asks the planner a question (the other ticket goes on meanwhile), then asks it to split its ticket; the new ticket runs after it', async function () {
    const request = 'Document the math helpers';
    const A = 'Write docs/math.md';
    const B = 'Add JSDoc to src/math.js';
    m().script(planFor(request), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: 'Docs and JSDoc.', tickets: [ticket('A', A, ['docs/math.md']), ticket('B', B, ['src/math.js'])] } }] }]);
    // The planner thinks 3 s: B's working copy is prepared meanwhile, while the base's checks start too.
    m().script(/^Question from ticket A:/, [{ delayMs: 3000, expect: expectLast('user', /What does ticket B change\?[\s\S]*- B \[\w+\] Add JSDoc/), text: 'Ticket B only adds JSDoc comments to src/math.js; document add(a, b).' }]);
    m().script(/^Split request from ticket A:/, [
      { toolCalls: [{ name: 'submit_plan', arguments: { tickets: [ticket('A2', 'Add a docs index', ['docs/index.md'], { checks: ['test -f docs/index.md'] })] } }] },
    ]);
    m().script(ticketConv('A', A), [
      { toolCalls: [{ name: 'ask_planner', arguments: { kind: 'question', text: 'What does ticket B change?' } }] },
      { expect: expectLast('tool', /only adds JSDoc/), toolCalls: [{ name: 'write_file', arguments: { path: 'docs/math.md', content: '# Math\n\nadd(a, b) adds.\n' } }] },
      { toolCalls: [{ name: 'ask_planner', arguments: { kind: 'split', text: 'Move the docs index into its own ticket.' } }] },
      { expect: expectLast('tool', /New tickets, started after this one from its result: A2 "Add a docs index"/), toolCalls: [{ name: 'finish', arguments: { summary: 'Wrote docs/math.md.' } }] },
    ]);
    m().script(ticketConv('B', B), [
      { delayMs: 300, toolCalls: [{ name: 'list_files', arguments: { path: 'src' } }] },
      { delayMs: 300, toolCalls: [{ name: 'edit_file', arguments: { path: 'src/math.js', old_text: 'function add(a, b) {', new_text: '/** Adds two numbers. */\nfunction add(a, b) {' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'JSDoc added.' } }] },
    ]);
    m().script(ticketConv('A2', 'Add a docs index'), [
      { expect: expectLast('user', /already holds the results of A\b/), toolCalls: [{ name: 'read_file', arguments: { path: 'docs/math.md' } }] },
      { expect: expectLast('tool', /add\(a, b\) adds/), toolCalls: [{ name: 'write_file', arguments: { path: 'docs/index.md', content: '- [Math](math.md)\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Index written.' } }] },
    ]);

    const { taskId: planId } = await c().send('task_new', { request, repoId });
    const tickets = await waitTickets(c(), planId, 2);
    const a = tickets.get('A')?.taskId ?? assert.fail('no ticket A');
    const b = tickets.get('B')?.taskId ?? assert.fail('no ticket B');
    const end = await waitTerminal(c(), planId, 120_000);
    await waitIdle(c(), planId);
    const t = [planId, a, b].map((id) => trace(c(), id)).join('\n');
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);

    // The question: a request/response pair, correlated; B's tools ran while the planner thought.
    const reqs = ofType(c().forTask(a), 'delegate_request');
    const resps = ofType(c().forTask(a), 'delegate_response');
    assert.equal(reqs.length, 2, t);
    assert.equal(resps.length, 2, t);
    assert.deepEqual([reqs[0]?.payload.toAgent, resps[0]?.payload.fromAgent, resps[0]?.payload.ok], ['planner', 'planner', true]);
    assert.equal(resps[0]?.correlationId, reqs[0]?.id);
    const bWhileWaiting = ofType(c().forTask(b), 'tool_result').filter((e) => seqOf(e) > seqOf(reqs[0]!) && seqOf(e) < seqOf(resps[0]!));
    assert.ok(bWhileWaiting.length >= 1, `ticket B did nothing while A waited for the planner:\n${t}`);

    // The split: a new ticket of the plan, after A, from A's result; the plan completes with 3.
    const all = await waitTickets(c(), planId, 3);
    const a2 = all.get('A2')?.taskId ?? assert.fail('no ticket A2');
    assert.ok(tsOf(startedAt(a2)!) >= tsOf(c().forTask(a).find((e) => e.type === 'task_completed')!), 'A2 started before A completed');
    assert.match((end.payload as { summary: string }).summary, /3 of 3 ticket\(s\) completed/);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'docs/index.md'), '- [Math](math.md)\n');
    assert.match(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'src/math.js') ?? '', /\/\*\* Adds two numbers\. \*\//);
  });
});
