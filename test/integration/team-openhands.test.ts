/**
 * A plan whose tickets go to two different coding agents, end to end: the real orchestrator
 * (planner, scheduler), the real OpenHands agent server in its hardened container for one ticket
 * and the built-in agent in a sandbox for the other, real git, real SQLite, a real WebSocket
 * client, and the scripted model playing the planner and both coders.
 *
 * The planner gives T1 to OpenHands and leaves T2 to the default; both change files (T1 also writes a
 * PNG-like binary file); each result lands on its ticket branch and the plan's combined `diff_ready`
 * holds both — the binary file as a whole-file change with its exact blob, never as text hunks. On the way, OpenHands'
 * persistent shell is followed: a failed `cd` is seen in the agent server's observation, after
 * `cd src` a relative write lands in src/, and after
 * `cd /workspace/.git` a relative write to `hooks/pre-commit` is refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { App } from '@pushpals/orchestrator';
import { type ScriptedModelServer, type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import { closeModelSession, containersOfTask, makeFixtureRepo, openModelSession, requireDocker, type WsTestClient } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';
import { fileOnBranch, planFor, ticket, waitTickets } from '../helpers/team-flow';

const IMAGE = process.env.PUSHPALS_OPENHANDS_IMAGE ?? 'pushpals-openhands:dev';
const GREET = 'exports.greet = () => "hi";\n';
const FAREWELL = 'exports.farewell = () => "bye";\n';
/** What T1's printf writes to src/logo.png: PNG-like bytes with NULs. */
const LOGO = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 0xff]);
const allText = (r: RecordedRequest): string => JSON.stringify(r.body?.messages ?? []);

describe('a plan with one ticket on OpenHands and one on the built-in agent (real Docker, agent server, git; scripted model)', function () {
  this.timeout(300_000);
  let dataDir = '';
  let app: App | undefined;
  let client: WsTestClient | undefined;
  let model: ScriptedModelServer | undefined;

  before(async function () {
    requireDocker();
    assert.equal(spawnSync('docker', ['image', 'inspect', IMAGE]).status, 0, `the OpenHands image ${IMAGE} is missing: build it with \`sudo bash scripts/setup-openhands-image.sh\``);
    const s = await openModelSession('pushpals-e2e-team-oh-', { models: ['scripted-team'], overrides: { agent: { maxSteps: 8 }, queue: { concurrency: 4 }, openhands: { image: IMAGE }, planner: { enabled: true } }, sessionId: 'team-oh-session', waitMs: 120_000 });
    ({ app, dataDir } = s);
    client = s.client;
    model = s.model;
  });

  after(() => closeModelSession({ app, client, dataDir, model }));

  it('T1 on OpenHands, T2 on worker:builtin; both results on their branches and in the combined diff; the shell\'s cd is followed', async function () {
    assert.ok(client && model && app);
    const c = client;
    const m = model;
    const repoId = (await c.send('repo_add', { source: makeFixtureRepo({ files: { 'src/index.js': 'module.exports = {};\n' } }) })).repoId;
    const mirror = app.workbench?.repos.get(repoId)?.mirrorPath ?? assert.fail('no mirror');
    const request = 'Add greet and farewell helpers';
    const T1 = 'Add src/greet.js';
    const T2 = 'Add src/farewell.js';
    m.script(planFor(request), [
      {
        expect: (r) => (/openhands: the OpenHands agent/.test(allText(r)) ? undefined : 'the planner should be told which coding agents exist'),
        toolCalls: [{ name: 'submit_plan', arguments: { summary: 'Two helpers, one per ticket.', tickets: [ticket('T1', T1, ['src/greet.js', 'src/logo.png'], { agent: 'openhands' }), ticket('T2', T2, ['src/farewell.js'])] } }],
      },
    ]);
    m.script(`Ticket T1: ${T1}`, [
      { expect: (r) => (/Scope \(change only these files or areas\): src\/greet\.js/.test(allText(r)) && !/ask_planner/.test(allText(r)) ? undefined : 'OpenHands should get the ticket, without ask_planner'), toolCalls: [{ name: 'terminal', arguments: { command: 'cd nosuchdir' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'cd src' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: `printf '${GREET.replace('\n', '\\n')}' > greet.js && printf '\\211PNG\\r\\n\\032\\n\\000\\001\\377' > logo.png` } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'cd /workspace/.git' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'echo x > hooks/pre-commit' } }] },
      { expect: (r) => (/PushPals refused[^"]*hooks\/pre-commit[\s\S]*writes git metadata/.test(allText(r)) ? undefined : 'the refusal should reach the model'), toolCalls: [{ name: 'finish', arguments: { message: 'Added src/greet.js.' } }] },
    ]);
    m.script(`Ticket T2: ${T2}`, [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'src/farewell.js', content: FAREWELL } }] },
      { toolCalls: [{ name: 'finish', arguments: { summary: 'Added src/farewell.js.' } }] },
    ]);

    const { taskId: planId } = await c.send('task_new', { request, repoId });
    const tickets = await waitTickets(c, planId, 2);
    const t1 = tickets.get('T1')?.taskId ?? assert.fail('no T1');
    const t2 = tickets.get('T2')?.taskId ?? assert.fail('no T2');
    const end = await waitTerminal(c, planId, 240_000);
    await waitIdle(c, t1);
    const t = [planId, t1, t2].map((id) => trace(c, id)).join('\n');
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m.unscripted, [], t);

    // Each ticket went to its worker, and said so before it started.
    assert.equal(ofType(c.forTask(t1), 'task_started')[0]?.payload.agentId, 'openhands', t);
    assert.equal(ofType(c.forTask(t2), 'task_started')[0]?.payload.agentId, 'worker:builtin', t);
    assert.ok(ofType(c.forTask(t1), 'task_progress').some((e) => e.payload.message === "Assigned to openhands (the planner's choice)"), t);
    assert.ok(ofType(c.forTask(t2), 'task_progress').some((e) => e.payload.message === 'Assigned to worker:builtin (agents.default)'), t);
    assert.ok(ofType(c.forTask(planId), 'task_progress').some((e) => /- T1 \[queued\] .*agent: openhands\)/.test(e.payload.message)), t);

    // The shell's directory was followed: the failed cd was seen in the server's observation (only it
    // can tell), the relative write landed in src/, and the one into .git was refused.
    const calls = ofType(c.forTask(t1), 'tool_call');
    assert.equal(calls.find((e) => e.payload.args.command === 'cd src')?.payload.args.cwd, '/workspace', t);
    const printf = calls.find((e) => String(e.payload.args.command).startsWith('printf'));
    assert.equal(printf?.payload.args.cwd, '/workspace/src', t);
    const hook = calls.find((e) => e.payload.args.command === 'echo x > hooks/pre-commit');
    assert.equal(hook?.payload.policy?.verdict, 'deny', t);
    assert.equal(hook?.payload.args.cwd, '/workspace/.git', t);

    // Each result on its ticket's branch (and only there); both on the plan's branch; one combined diff.
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t1}`, 'src/greet.js'), GREET);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t1}`, 'src/farewell.js'), undefined);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/t-${t2}`, 'src/farewell.js'), FAREWELL);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'src/greet.js'), GREET);
    assert.equal(fileOnBranch(mirror, `pushpals/plan/${planId}/main`, 'src/farewell.js'), FAREWELL);
    assert.match(String((ofType(c.forTask(t1), 'task_completed')[0]?.payload.summary)), new RegExp(`Committed on branch pushpals/plan/${planId}/t-${t1} \\([0-9a-f]{12}\\): src/greet\\.js`));
    const combined = ofType(c.forTask(planId), 'diff_ready');
    assert.equal(combined.length, 1, t);
    assert.deepEqual([...combined[0]!.payload.files].sort(), ['src/farewell.js', 'src/greet.js', 'src/logo.png']);
    // The binary file: a whole-file change naming the plan branch's exact blob, no text hunks, bytes intact.
    const planMain = `refs/heads/pushpals/plan/${planId}/main`;
    const logoBlob = spawnSync('git', ['rev-parse', `${planMain}:src/logo.png`], { cwd: mirror, encoding: 'utf8' }).stdout.trim();
    assert.deepEqual(combined[0]!.payload.fileChanges?.map((e) => [e.kind, e.change, e.path, e.newBlob, e.newSize]), [['binary', 'added', 'src/logo.png', logoBlob, LOGO.length]], t);
    assert.ok(Buffer.from(spawnSync('git', ['cat-file', 'blob', logoBlob], { cwd: mirror }).stdout).equals(LOGO), 'the binary is committed byte-exactly on the ticket and plan branches');
    assert.ok(!combined[0]!.payload.hunks.some((h) => h.file === 'src/logo.png'));
    assert.doesNotMatch(combined[0]!.payload.diff, /logo\.png/);
    assert.match(combined[0]!.payload.diff, /\+exports\.greet = \(\) => "hi";/);
    assert.match(combined[0]!.payload.diff, /\+exports\.farewell = \(\) => "bye";/);
    assert.deepEqual(containersOfTask(dataDir, t1), [], 'the OpenHands container is removed');
  });
});
