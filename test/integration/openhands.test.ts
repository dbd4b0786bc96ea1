/**
 * The OpenHands worker end to end: the real orchestrator, real Docker, the real OpenHands agent
 * server in its hardened container (image pushpals-openhands:dev, scripts/setup-openhands-image.sh),
 * a real git fixture repository, a real WebSocket client, and the scripted model server playing the
 * model — reached by the agent only through the orchestrator's model broker.
 *
 * 1. A task given to OpenHands edits a file and runs a command; a denied action comes back to the
 *    agent as a refusal with its reason; an `ask` action is held until a person approves it; the
 *    change reaches diff_ready; the events are PushPals' protocol.
 * 2. From inside the container: no network, no data dir, no model key anywhere; an agent command that
 *    reads the server's session key and calls its control API to approve itself gains nothing.
 * 3. Killing the container mid-run fails the task cleanly and leaves nothing behind; so does a cancel.
 * 4. A spent token budget stops the agent at its next model call (budget_exceeded, the diff so far).
 * 5. Whole-file changes through review and commit: the agent rewrites a PNG-like binary, renames a file
 *    and makes a script executable; diff_ready lists the three; the binary and the rename accepted, the
 *    mode change rejected → the commit has the binary byte-exactly and the rename, and no mode change.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { type RecordedRequest } from '@pushpals/orchestrator/dist/test/helpers/scripted-model';
import type { EventMessage } from '@pushpals/protocol';
import { CommandError, containersOfTask, git, inspectContainer, makeFixtureRepo, ModelSuiteSession, sleep } from '../helpers/e2e-env';
import { ofType, trace, waitIdle, waitTerminal } from '../helpers/task-flow';

const KEY = 'sk-e2e-openhands-key-0c4e9a7b13d2f865';
const IMAGE = process.env.PUSHPALS_OPENHANDS_IMAGE ?? 'pushpals-openhands:dev';
const README = '# Demo project\n\nTeh project says hello.\n';

const docker = (...args: string[]) => spawnSync('docker', args, { encoding: 'utf8', timeout: 120_000 });
/** Every message text of a request (content parts joined), to find what the agent was told. */
const allText = (r: RecordedRequest): string => JSON.stringify(r.body?.messages ?? []);

/** The agent's own script: reads the server's session key from /proc and calls the control API with it. */
const SELF_APPROVE_PY = `import glob, http.client, json, socket
key = ''
for p in glob.glob('/proc/[0-9]*/environ'):
    try:
        for kv in open(p, 'rb').read().split(b'\\0'):
            if kv.startswith(b'SESSION_API_KEY='):
                key = kv.split(b'=', 1)[1].decode()
    except OSError:
        pass
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect('/run/pushpals/agent/agent.sock')
def call(method, path, body=None):
    c = C('x')
    c.request(method, path, None if body is None else json.dumps(body), {'X-Session-API-Key': key, 'Content-Type': 'application/json'})
    r = c.getresponse()
    return r.status, r.read().decode()
print('session key found:', bool(key))
status, body = call('GET', '/api/conversations/search')
cid = json.loads(body)['items'][0]['id']
print('conversations:', status)
print('approve:', call('POST', f'/api/conversations/{cid}/events/respond_to_confirmation', {'accept': True})[0])
print('policy:', call('POST', f'/api/conversations/{cid}/confirmation_policy', {'policy': {'kind': 'NeverConfirm'}})[0])
`;

/** Looks for the key (read from stdin) in every process's environment and command line and in the writable mounts. */
const KEY_SCAN_PY = `import os, sys
key = sys.stdin.read().encode()
me = str(os.getpid())
for p in os.listdir('/proc'):
    if p.isdigit() and p != me:
        for f in ('environ', 'cmdline'):
            try:
                if key in open(f'/proc/{p}/{f}', 'rb').read(): print(f'/proc/{p}/{f}')
            except OSError: pass
for top in ('/tmp', '/home/agent', '/workspace', '/run', '/dev/shm'):
    for d, _, files in os.walk(top):
        for n in files:
            try:
                if key in open(os.path.join(d, n), 'rb').read(): print(os.path.join(d, n))
            except OSError: pass
print('scan-done')
`;

describe('OpenHands worker end to end (real Docker, real agent server, scripted model behind the broker)', function () {
  this.timeout(600_000);
  const s = new ModelSuiteSession();
  const { c, m } = s;
  let repoId = '';

  const start = async (request: string): Promise<string> => (await c().send('task_new', { request, repoId, agent: 'openhands' })).taskId;
  const finish = async (taskId: string) => {
    const end = await waitTerminal(c(), taskId, 300_000);
    await waitIdle(c(), taskId);
    return { end, events: c().forTask(taskId), t: trace(c(), taskId) };
  };
  /** The task's approval_required for a command matching `re`; fails at once (with the trace) if the task ends first. */
  const approvalFor = async (taskId: string, re: RegExp): Promise<EventMessage<'approval_required'>> => {
    const ends = new Set(['task_completed', 'task_failed', 'task_cancelled']);
    const mine = (x: EventMessage) => (x.payload as { taskId?: string }).taskId === taskId;
    const e = await c().waitForEvent((x) => mine(x) && ((x.type === 'approval_required' && re.test(String((x.payload as { command?: string }).command))) || ends.has(x.type)), `approval_required ${re}`, 300_000);
    assert.equal(e.type, 'approval_required', `the task ended before asking:\n${trace(c(), taskId)}`);
    return e as EventMessage<'approval_required'>;
  };
  const auditRows = (taskId: string) => {
    const db = new Database(s.app().services.config.dbFile, { readonly: true });
    try {
      return (db.prepare(`SELECT action, command, verdict, data FROM audit_log WHERE task_id = ? ORDER BY seq`).all(taskId) as Array<{ action: string; command: string | null; verdict: string | null; data: string | null }>).map((r) => ({ ...r, data: JSON.parse(r.data ?? '{}') as Record<string, unknown> }));
    } finally {
      db.close();
    }
  };

  before(async function () {
    assert.equal(docker('image', 'inspect', IMAGE).status, 0, `the OpenHands image ${IMAGE} is missing: build it with \`sudo bash scripts/setup-openhands-image.sh\` (scripts/test.sh does)`);
    // The planner off: a task given to OpenHands runs on it whole (with the planner on it would be a plan whose tickets run there).
    await s.open('pushpals-e2e-oh-', { key: KEY, overrides: { agent: { maxSteps: 12 }, planner: { enabled: false } }, sessionId: 'oh-session', waitMs: 300_000 });
    repoId = (await c().send('repo_add', { source: makeFixtureRepo({ files: { 'README.md': README } }) })).repoId;
  });

  after(() => s.close());

  it('edits a file, runs a command, gets a denial back as a refusal, waits for an approval, ends in diff_ready', async function () {
    const ask = `python3 -c "open('approved.txt', 'w').write('yes')"`;
    m().script('Fix the typo in README.md', [
      { toolCalls: [{ name: 'terminal', arguments: { command: 'git status --short && cat README.md' } }] },
      { expect: (r) => (/Teh project/.test(allText(r)) ? undefined : 'the terminal output should be in the conversation'), toolCalls: [{ name: 'file_editor', arguments: { command: 'str_replace', path: '/workspace/README.md', old_str: 'Teh project', new_str: 'The project' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'rm -rf /etc/apt' } }] },
      { expect: (r) => (/PushPals refused[^"]*rm -rf \/etc\/apt[\s\S]*denied by policy[^"]*writes outside the workspace/.test(allText(r)) ? undefined : 'the refusal and its reason should reach the model'), toolCalls: [{ name: 'terminal', arguments: { command: ask } }] },
      { expect: (r) => (/yes|approved\.txt/.test(allText(r)) || true ? undefined : ''), toolCalls: [{ name: 'finish', arguments: { message: 'Fixed the typo in README.md.' } }] },
    ]);
    const taskId = await start('Fix the typo in README.md');
    const approval = await approvalFor(taskId, /python3 -c/);
    // Held: the reply with the ask action has not reached the agent; nothing ran.
    await sleep(1500);
    const ws = join(s.dataDir(), 'workspaces', taskId);
    assert.equal(existsSync(join(ws, 'approved.txt')), false, 'the held action must not run before the decision');
    assert.equal(m().chatRequests('Fix the typo in README.md').length, 4, 'no further model call while the reply is held');
    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
    const { end, events, t } = await finish(taskId);
    assert.equal(end.type, 'task_completed', t);
    assert.deepEqual(m().unscripted, []);
    assert.equal(readFileSync(join(ws, 'README.md'), 'utf8'), README.replace('Teh', 'The'));
    assert.equal(readFileSync(join(ws, 'approved.txt'), 'utf8'), 'yes');

    // PushPals' protocol: tool_call/tool_result pairs from `openhands`, the verdicts, the refusal.
    // The agent's own calls, then the orchestrator's checks on the result and its base (the evidence).
    const isCheck = (e: { payload: { args: Record<string, unknown> } }) => / \(check "[^"]+" on /.test(String(e.payload.args.command ?? ''));
    const calls = ofType(events, 'tool_call').filter((e) => !isCheck(e));
    assert.ok(calls.every((e) => e.from === 'openhands'));
    assert.deepEqual(calls.map((e) => [e.payload.tool, e.payload.policy?.verdict]), [['run_command', 'allow'], ['file_editor', 'allow'], ['run_command', 'deny'], ['run_command', 'ask']], t);
    const evidence = ofType(events, 'diff_ready')[0]?.payload.evidence;
    assert.deepEqual([evidence?.checks.map((c) => c.status), evidence?.before?.map((c) => c.status)], [['passed'], ['passed']], t);
    const ownIds = new Set(calls.map((e) => e.payload.toolCallId));
    const results = ofType(events, 'tool_result').filter((e) => ownIds.has(e.payload.toolCallId));
    assert.deepEqual(results.map((e) => e.payload.toolCallId), calls.map((e) => e.payload.toolCallId), 'one result per call, same order');
    assert.match(results[0]?.payload.stdout ?? '', /Teh project/);
    assert.equal(results[0]?.payload.exitCode, 0);
    assert.equal(results[2]?.payload.ok, false);
    assert.match(results[2]?.payload.output ?? '', /denied by policy/);
    assert.equal(results[3]?.payload.ok, true, t);
    assert.ok(ofType(events, 'task_progress').some((e) => /Running git status/.test(e.payload.message)), t);
    const diff = ofType(events, 'diff_ready')[0];
    assert.ok(diff, t);
    assert.deepEqual([...diff.payload.files].sort(), ['README.md', 'approved.txt']);
    assert.match(diff.payload.diff, /-Teh project says hello\.\n\+The project says hello\./);
    assert.ok(diff.payload.hunks.some((h) => h.file === 'README.md'));
    assert.match((end.payload as { summary: string }).summary, /Fixed the typo/);

    // The model saw only the broker: the real key went out from the orchestrator; the SDK's extras arrived and were tolerated.
    const reqs = m().chatRequests('Fix the typo in README.md');
    assert.equal(reqs.length, 5);
    assert.ok(reqs.every((r) => r.authorization === `Bearer ${KEY}`));
    assert.ok(reqs.every((r) => typeof r.body?.messages[0]?.content === 'string'), 'list content parts are flattened for the model');
    // The audit trail: every model call, every command, the refusal.
    const rows = auditRows(taskId);
    assert.equal(rows.filter((r) => r.action === 'model_call').length, 5);
    assert.ok(rows.some((r) => r.action === 'command' && r.verdict === 'deny' && r.command === 'rm -rf /etc/apt'));
    assert.ok(rows.some((r) => r.action === 'command' && r.command === ask));
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], 'the container is removed');
    assert.equal(existsSync(join(s.dataDir(), 'openhands', taskId)), false, 'the socket directory is removed');
  });

  it('inside the container: no network, no data dir, no model key; reading the session key to approve itself gains nothing', async function () {
    const held = 'python3 -c "open(\'forged.txt\', \'w\').write(\'x\')"';
    m().script('Probe the sandbox', [
      { toolCalls: [{ name: 'file_editor', arguments: { command: 'create', path: '/tmp/selfapprove.py', file_text: SELF_APPROVE_PY } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: 'python3 /tmp/selfapprove.py' } }] },
      { toolCalls: [{ name: 'terminal', arguments: { command: held } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'probed' } }] },
    ]);
    const taskId = await start('Probe the sandbox');
    const first = await approvalFor(taskId, /selfapprove/);
    const [cid] = containersOfTask(s.dataDir(), taskId);
    assert.ok(cid, 'the task has its OpenHands container');
    const info = inspectContainer(cid);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.equal(info.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(info.HostConfig.CapDrop, ['ALL']);
    assert.equal(info.Config.User, '1000:1000');
    // From the data dir: the working copy, the socket dirs, and the repository's objects its .git borrows (read-only).
    const objectsMount = (mt: { Source: string; Destination: string; RW: boolean }) => /\/repos\/repo-[0-9a-f]+\/objects$/.test(mt.Source) && /^\/\.objects\/repo-[0-9a-f]+$/.test(mt.Destination) && mt.RW === false;
    assert.ok(info.Mounts.every((mt) => !mt.Source.startsWith(s.dataDir()) || /\/(workspaces|openhands)\//.test(mt.Source) || objectsMount(mt)), JSON.stringify(info.Mounts));
    assert.ok(info.Mounts.some(objectsMount), 'the shared objects are mounted read-only');
    assert.ok(info.Mounts.some((mt) => mt.Destination === '/run/pushpals/model' && mt.RW === false), 'the broker socket is mounted read-only');
    const inside = (sh: string) => docker('exec', cid, 'bash', '-c', sh);
    const net = inside(`cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; python3 -c "import socket; socket.create_connection(('1.1.1.1', 80), timeout=3)" 2>&1 | tail -1`);
    assert.match(net.stdout, /^lo\n/);
    assert.doesNotMatch(net.stdout, /eth0/);
    assert.match(net.stdout, /Network is unreachable|OSError/);
    assert.notEqual(inside(`test -e ${s.dataDir()}`).status, 0, 'the data dir is not visible');
    assert.equal(inside('test -e /var/run/docker.sock').status, 1);
    // The root fs is read-only (asserted above): whatever the run wrote is on these mounts. The key
    // comes on stdin, so the scanner's own command line and environment do not hold it.
    const scan = spawnSync('docker', ['exec', '-i', cid, 'python3', '-c', KEY_SCAN_PY], { input: KEY, encoding: 'utf8', timeout: 120_000 });
    assert.equal(scan.stdout.trim(), 'scan-done', `the model key was found inside: ${scan.stdout}`);
    assert.ok(!JSON.stringify(docker('inspect', cid).stdout).includes(KEY), 'nor in the container config');

    // A person approves the probe script; it finds the session key and talks to the control API...
    await c().send('approval_decide', { approvalId: first.payload.approvalId, decision: 'approve' });
    const second = await approvalFor(taskId, /forged\.txt/);
    const probe = ofType(c().forTask(taskId), 'tool_result').find((e) => /session key found/.test(e.payload.stdout ?? ''));
    assert.ok(probe, trace(c(), taskId));
    assert.match(probe.payload.stdout ?? '', /session key found: True[\s\S]*conversations: 200/);
    // ...and gains nothing: the next action is still held by the broker, outside, until a person decides.
    await sleep(1500);
    assert.equal(existsSync(join(s.dataDir(), 'workspaces', taskId, 'forged.txt')), false);
    await c().send('approval_decide', { approvalId: second.payload.approvalId, decision: 'deny', reason: 'not needed' });
    const { end, t } = await finish(taskId);
    assert.equal(end.type, 'task_completed', t);
    assert.equal(existsSync(join(s.dataDir(), 'workspaces', taskId, 'forged.txt')), false, 'the denied action never ran');
    const last = m().chatRequests('Probe the sandbox').at(-1);
    assert.ok(last && /not run: approval [^"]* was denied/.test(allText(last)), 'the denial reached the model as a refusal');
  });

  it('killing the container mid-run fails the task cleanly, with nothing left behind', async function () {
    m().script('Wait a while', [{ toolCalls: [{ name: 'terminal', arguments: { command: 'sleep 60', timeout: 90 } }] }, { toolCalls: [{ name: 'finish', arguments: { message: 'never reached' } }] }]);
    const taskId = await start('Wait a while');
    await c().waitForEvent((e) => e.type === 'tool_call' && (e.payload as { taskId: string; args: { command?: string } }).taskId === taskId && (e.payload as { args: { command?: string } }).args.command === 'sleep 60', 'tool_call sleep 60', 300_000);
    const [cid] = containersOfTask(s.dataDir(), taskId);
    assert.ok(cid);
    assert.equal(docker('kill', cid).status, 0);
    const { end, events, t } = await finish(taskId);
    assert.equal(end.type, 'task_failed', t);
    assert.equal((end.payload as { error: { code: string } }).error.code, 'sandbox_unavailable', t);
    assert.match((end.payload as { error: { message: string } }).error.message, /container stopped/);
    const sleepResult = ofType(events, 'tool_result').at(-1);
    assert.equal(sleepResult?.payload.ok, false);
    assert.match(sleepResult?.payload.output ?? '', /interrupted/);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], 'no container left');
    assert.equal(existsSync(join(s.dataDir(), 'openhands', taskId)), false, 'no socket directory left');
    // Nothing of the container runs on: no process (agent server, tmux, bash) is left in its cgroup.
    const procs = spawnSync('bash', ['-c', `grep -l -- '${cid}' /proc/[0-9]*/cgroup 2>/dev/null`], { encoding: 'utf8' }).stdout.trim();
    assert.equal(procs, '', 'no process of the container is left on the host');
    assert.ok(auditRows(taskId).some((r) => r.action === 'command_interrupted' && r.command === 'sleep 60'));
  });

  it('cancelling mid-command stops the run: task_cancelled, the call closed as interrupted, nothing left', async function () {
    m().script('Sleep then cancel', [{ toolCalls: [{ name: 'terminal', arguments: { command: 'sleep 60', timeout: 90 } }] }]);
    const taskId = await start('Sleep then cancel');
    await c().waitForEvent((e) => e.type === 'tool_call' && (e.payload as { taskId: string }).taskId === taskId, 'tool_call sleep 60', 300_000);
    assert.equal(containersOfTask(s.dataDir(), taskId).length, 1);
    await c().send('task_cancel', { taskId, reason: 'changed my mind' });
    await c().waitFor('task_cancelled', (p) => p.taskId === taskId);
    await waitIdle(c(), taskId);
    const result = ofType(c().forTask(taskId), 'tool_result').at(-1);
    assert.equal(result?.payload.ok, false, trace(c(), taskId));
    assert.match(result?.payload.output ?? '', /interrupted: the task was stopped/);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), [], 'no container left');
    assert.equal(existsSync(join(s.dataDir(), 'openhands', taskId)), false, 'no socket directory left');
  });

  it('a spent token budget stops the agent at its next model call: task_failed budget_exceeded, with the diff so far', async function () {
    m().script('Spend the budget', [
      { usage: { prompt_tokens: 250_000, completion_tokens: 10 }, toolCalls: [{ name: 'file_editor', arguments: { command: 'create', path: '/workspace/NOTES.md', file_text: 'notes\n' } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'never reached' } }] },
    ]);
    const taskId = await start('Spend the budget');
    const { end, events, t } = await finish(taskId);
    assert.equal(end.type, 'task_failed', t);
    assert.equal((end.payload as { error: { code: string } }).error.code, 'budget_exceeded', t);
    assert.equal(m().chatRequests('Spend the budget').length, 1, 'the second call never reached the model');
    assert.deepEqual(ofType(events, 'diff_ready')[0]?.payload.files, ['NOTES.md'], t);
    assert.deepEqual(containersOfTask(s.dataDir(), taskId), []);
  });

  it('a binary rewrite, a rename and a chmod +x are whole-file changes: two accepted, one rejected → committed exactly so', async function () {
    const oldPng = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe, 0]);
    const newPng = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 1, 2, 0xc8]);
    const source = makeFixtureRepo({ files: { 'logo.png': oldPng, 'run.sh': '#!/bin/sh\necho hi\n', 'src/a.ts': 'export const a = 1;\n' } });
    const ownRepo = (await c().send('repo_add', { source })).repoId;
    const request = 'Refresh the logo, rename a.ts to b.ts and make run.sh executable';
    m().script(request, [
      { toolCalls: [{ name: 'terminal', arguments: { command: "printf '\\211PNG\\r\\n\\032\\n\\000\\000\\000\\rIHDR\\000\\001\\002\\310' > logo.png && mv src/a.ts src/b.ts && chmod +x run.sh" } }] },
      { toolCalls: [{ name: 'finish', arguments: { message: 'Done.' } }] },
    ]);
    const { taskId } = await c().send('task_new', { request, repoId: ownRepo, agent: 'openhands' });
    const { end, events, t } = await finish(taskId);
    assert.equal(end.type, 'task_completed', t);
    const diff = ofType(events, 'diff_ready').at(-1)?.payload;
    assert.ok(diff, t);
    const entries = diff.fileChanges ?? [];
    assert.deepEqual(entries.map((e) => [e.kind, e.change, e.path, e.oldPath ?? null]), [['binary', 'modified', 'logo.png', null], ['mode', 'modified', 'run.sh', null], ['rename', 'renamed', 'src/b.ts', 'src/a.ts']], t);
    assert.deepEqual([entries[0]?.oldSize, entries[0]?.newSize], [oldPng.length, newPng.length]);
    assert.deepEqual(diff.hunks, [], 'no text hunks: nothing here is text that changed');

    const byKind = (k: string) => entries.find((e) => e.kind === k)!.fileId;
    await c().send('hunk_decide', { taskId, hunkId: byKind('binary'), decision: 'accept' });
    await c().send('hunk_decide', { taskId, hunkId: byKind('rename'), decision: 'accept' });
    await c().send('hunk_decide', { taskId, hunkId: byKind('mode'), decision: 'reject' });
    const approval = await c().waitFor('approval_required', (p) => p.taskId === taskId && p.kind === 'commit', 120_000);
    assert.match(approval.payload.patch ?? '', /Binary files a\/logo\.png and b\/logo\.png differ/);
    assert.match(approval.payload.patch ?? '', /rename from src\/a\.ts\nrename to src\/b\.ts/);
    assert.doesNotMatch(approval.payload.patch ?? '', /run\.sh/, 'the rejected mode change is not in the commit');
    await c().send('approval_decide', { approvalId: approval.payload.approvalId, decision: 'approve' });
    const committed = await c().waitFor('committed', (p) => p.taskId === taskId, 180_000);

    // Host git on the orchestrator's own clone (a fixture we made, read-only use).
    const mirror = join(s.dataDir(), 'repos', ownRepo);
    const { sha, baseCommit } = committed.payload;
    const bytes = spawnSync('git', ['cat-file', 'blob', `${sha}:logo.png`], { cwd: mirror }).stdout;
    assert.ok(Buffer.from(bytes).equals(newPng), `the binary is committed byte-exactly (got ${Buffer.from(bytes).toString('hex')})`);
    assert.match(git(mirror, 'diff', '--name-status', '-M', baseCommit ?? `${sha}^`, sha), /^M\tlogo\.png\nR100\tsrc\/a\.ts\tsrc\/b\.ts\n$/);
    assert.match(git(mirror, 'ls-tree', sha, 'run.sh'), /^100644 blob /, 'the mode stays unchanged');
    // The blobs of its whole-file changes, for Apply to My Checkout; nothing else of the clone is readable this way.
    const got = await c().send('review_get', { taskId, blobs: [entries[0]!.newBlob!] });
    assert.ok(Buffer.from(got.blobs?.[0]?.base64 ?? '', 'base64').equals(newPng));
    await assert.rejects(c().send('review_get', { taskId, blobs: [sha] }), (e: unknown) => e instanceof CommandError && e.info.code === 'not_found');
    const decided = auditRows(taskId).filter((r) => r.action === 'hunk_decided').map((r) => [r.data.kind, r.data.decision]);
    assert.deepEqual(decided, [['binary', 'accept'], ['rename', 'accept'], ['mode', 'reject']], 'decisions on whole-file changes are audited like hunks');
  });
});
