// A plan on a REAL repository: combine, then verify with the repository's own checks. Two scripted
// tickets (the model is the scripted server: the point is the orchestrator's work, not the model's)
// each add one new file (`docs/pushpals-a.md`, `docs/pushpals-b.md`), so the repository's own tests
// and linters must still pass on the combined tree. The real orchestrator in this process with its
// workbench (Docker, git, SQLite, the egress proxy for the dependency set-up). Build first: npm run build.
//
//   node bench/plan-on-repo.mjs <path to a git checkout>
//
// Prints the evidence (each check on the base and on the combined result, with the runner's counts)
// and where the time went from the plan's start to its diff_ready.
import { fmt, orch, orequire, tempDir } from './orchestrator-lib.mjs';

const { ScriptedModelServer } = orequire('./dist/test/helpers/scripted-model.js');
const { WsTestClient } = orequire('./dist/test/helpers/ws-client.js');

const repoPath = process.argv[2];
if (!repoPath) {
  console.error('usage: node bench/plan-on-repo.mjs <path to a git checkout>');
  process.exit(2);
}
const model = await ScriptedModelServer.start({ models: ['bench-model'] });
const request = 'Add two short notes under docs/';
const spec = (id, file) => ({ id, title: `Add ${file}`, description: `Add ${file}.`, dependsOn: [], scope: [file], acceptance: ['the file exists'], checks: [`test -f ${file}`] });
const tickets = [spec('N1', 'docs/pushpals-a.md'), spec('N2', 'docs/pushpals-b.md')];
model.script(/^Plan the following request:\nAdd two short notes/, [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: request, tickets } }] }]);
for (const t of tickets) {
  const file = t.scope[0];
  model.script(new RegExp(`^Ticket ${t.id}: `), [{ toolCalls: [{ name: 'write_file', arguments: { path: file, content: `# ${t.id}\n\nA note written by a PushPals ticket.\n` } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: `added ${file}` } }] }]);
}
const config = orch.loadConfig({ env: {}, overrides: { port: 0, dataDir: tempDir(), models: { baseUrl: model.url, model: 'bench-model' }, sandbox: { diskLimitMb: 0 }, rateLimit: { commandsPerSecond: 1000, burst: 1000 } } });
const app = await orch.createApp(config, { logger: orch.silentLogger });
const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 1_800_000);
try {
  await client.start(0);
  const { repoId, name } = await client.send('repo_add', { source: repoPath });
  const t0 = Date.now();
  const { taskId } = await client.send('task_new', { request, repoId });
  const end = await client.waitForEvent((e) => ['task_completed', 'task_failed'].includes(e.type) && e.payload.taskId === taskId, 'the plan', 1_800_000);
  const total = Date.now() - t0;
  const own = client.forTask(taskId);
  const diff = own.find((e) => e.type === 'diff_ready');
  const s = (ms) => `${fmt(ms / 1000, 1)} s`;
  console.log(`${name}: plan ${end.type} in ${s(total)}; ${end.payload.summary?.split('\n')[0] ?? JSON.stringify(end.payload.error)}`);
  for (const c of own.filter((e) => e.type === 'check_result').map((e) => e.payload)) {
    const counts = c.counts ? ` (${c.counts.passed} passed, ${c.counts.failed} failed, ${c.counts.skipped} skipped)` : '';
    console.log(`  ${c.phase.padEnd(8)} ${c.name.padEnd(10)} ${c.status}${counts} in ${s(c.durationMs)} on tree ${c.treeId?.slice(0, 12)}`);
  }
  const ev = diff?.payload.evidence;
  console.log(ev ? `  diff_ready: ${diff.payload.files.join(', ')}; evidence tree ${ev.treeId.slice(0, 12)}, rounds ${ev.rounds}` : '  no diff_ready');
} finally {
  client.close();
  await app.close();
  await model.close();
}
process.exit(0);
