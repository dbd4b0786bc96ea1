// The agent team: parallel speed-up, orchestration overhead per tool call, and "status" while agents run.
// The real orchestrator (createApp with its workbench: Docker sandboxes, git, SQLite) and the scripted
// OpenAI-compatible model server (real HTTP) in this process. Needs Docker and the worker image.
// Build first: npm run build.
//
//   node bench/team.mjs [--latency 2000] [--tickets 8] [--steps 100] [--pool 0] [--only speedup|overhead]
//
// speedup: one request planned into --tickets independent tickets (each: write a file, run a command in
//   its own sandbox, finish: 3 model replies, each --latency ms late, plus the planner's reply), after a
//   warm-up task (lazy modules loaded; --pool ready containers refilled), run with
//   queue.concurrency = --tickets and = 1. Wall time from task_new to the task's end, and of the ticket
//   phase (first ticket started → last ticket ended). Meanwhile a WebSocket client in this process asks
//   "status" every 100 ms: its round trip (chat_send → the reply) while the agents run.
// overhead: one task, the coding agent alone (no planner), --steps model replies with no latency, one
//   tool call each (read, list, search, write, run_command `true`). Per tool call, the time outside the
//   model and the sandbox command: from the scripted server sending reply n to it receiving request n+1
//   (so: the HTTP client both ways, the tool, events, audit, the stored conversation, the budget check),
//   minus the command's own run time for run_command (its audit row); the first run_command (which
//   starts the container) is left out. search is reported apart: it spawns the host's grep. No client
//   is connected.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, orch, orequire, pct, tempDir } from './orchestrator-lib.mjs';

const { ScriptedModelServer } = orequire('./dist/test/helpers/scripted-model.js');
const { WsTestClient } = orequire('./dist/test/helpers/ws-client.js');

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
};
const LATENCY = Number(arg('latency', 2000));
const TICKETS = Number(arg('tickets', 8));
const STEPS = Number(arg('steps', 100));
const ONLY = arg('only', '');
// Ready containers kept started (sandbox.warmPool): a ticket's first command then takes one (~1 ms)
// instead of creating a container. 0 = each ticket creates its own when it first runs a command.
const POOL = Number(arg('pool', 0));

function fixtureRepo() {
  const dir = tempDir();
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'README.md'), '# Bench project\n\nThe project says hello.\n');
  writeFileSync(join(dir, 'src', 'math.js'), 'function add(a, b) {\n  return a + b;\n}\n\nmodule.exports = { add };\n');
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b', HOME: dir, GIT_CONFIG_NOSYSTEM: '1' };
  for (const a of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'init']]) execFileSync('git', a, { cwd: dir, env });
  return dir;
}

async function startApp(model, overrides) {
  const config = orch.loadConfig({ env: {}, overrides: { port: 0, dataDir: tempDir(), models: { baseUrl: model.url, model: 'bench-model' }, sandbox: { diskLimitMb: 0 }, rateLimit: { commandsPerSecond: 1000, burst: 1000 }, ...overrides } });
  return orch.createApp(config, { logger: orch.silentLogger });
}

async function speedupRun(concurrency) {
  const model = await ScriptedModelServer.start({ models: ['bench-model'] });
  const app = await startApp(model, { queue: { concurrency }, agent: { maxSteps: 10 }, sandbox: { diskLimitMb: 0, warmPool: POOL } });
  if (POOL) await app.workbench.sandboxes.waitForPool(120_000);
  const client = await WsTestClient.connect(app.wsUrl, app.token, 'bench', 600_000);
  try {
    await client.start(0);
    const { repoId } = await client.send('repo_add', { source: fixtureRepo() });
    // Warm-up (not measured): the first model call and the first command of a process load the openai
    // client and the shell parser (~100 ms each on an idle machine, blocking); steady state is measured.
    const warm = `Warm-up at concurrency ${concurrency}`;
    model.script(new RegExp(`^Plan the following request:\\n${warm}`), [{ toolCalls: [{ name: 'submit_plan', arguments: { summary: 'warm-up', tickets: [{ id: 'W1', title: 'Warm up', description: 'Warm up.', dependsOn: [], scope: ['w.txt'], acceptance: ['ok'], checks: ['true'] }] } }] }]);
    model.script(/^Ticket W1: Warm up\n/, [{ toolCalls: [{ name: 'run_command', arguments: { command: 'true' } }] }, { toolCalls: [{ name: 'finish', arguments: { summary: 'warm' } }] }]);
    const w = await client.send('task_new', { request: warm, repoId });
    await client.waitForEvent((e) => e.type === 'task_completed' && e.payload.taskId === w.taskId, 'the warm-up task', 120_000);
    if (POOL) await app.workbench.sandboxes.waitForPool(120_000);
    const request = `Bench plan at concurrency ${concurrency}`;
    const tickets = Array.from({ length: TICKETS }, (_, i) => ({ id: `B${i + 1}`, title: `Write f${i + 1}.txt`, description: `Write f${i + 1}.txt.`, dependsOn: [], scope: [`f${i + 1}.txt`], acceptance: ['the file exists'], checks: [`test -f f${i + 1}.txt`] }));
    model.script(new RegExp(`^Plan the following request:\\n${request}`), [{ delayMs: LATENCY, toolCalls: [{ name: 'submit_plan', arguments: { summary: 'independent files', tickets } }] }]);
    for (const [i, t] of tickets.entries()) {
      model.script(new RegExp(`^Ticket ${t.id}: ${t.title}\\n`), [
        { delayMs: LATENCY, toolCalls: [{ name: 'write_file', arguments: { path: `f${i + 1}.txt`, content: `${i + 1}\n` } }] },
        { delayMs: LATENCY, toolCalls: [{ name: 'run_command', arguments: { command: `test -f f${i + 1}.txt && echo ok` } }] },
        { delayMs: LATENCY, toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] },
      ]);
    }
    const t0 = performance.now();
    const { taskId } = await client.send('task_new', { request, repoId });
    const isEnd = (e) => ['task_completed', 'task_failed', 'task_cancelled'].includes(e.type) && e.payload.taskId === taskId;
    // "status" every 100 ms while the agents run.
    const statusMs = [];
    let running = 0;
    let peak = 0;
    const startedAt = new Map();
    const endedAt = new Map();
    const ticketIds = new Set();
    let seen = 0;
    const track = () => {
      for (; seen < client.events.length; seen++) {
        const e = client.events[seen];
        if (e.type === 'task_created' && e.payload.parentId === taskId) ticketIds.add(e.payload.taskId);
        if (e.type === 'task_started' && ticketIds.has(e.payload.taskId)) {
          startedAt.set(e.payload.taskId, performance.now());
          peak = Math.max(peak, ++running);
        }
        if (['task_completed', 'task_failed'].includes(e.type) && ticketIds.has(e.payload.taskId)) {
          endedAt.set(e.payload.taskId, performance.now());
          running--;
        }
      }
    };
    while (!client.events.some(isEnd)) {
      track();
      if (running > 0) {
        const sent = performance.now();
        const { messageSeq } = await client.send('chat_send', { text: 'status' });
        const user = await client.waitForEvent((e) => e.seq === messageSeq, 'the user message', 10_000);
        await client.waitForEvent((e) => e.type === 'assistant_message' && e.turnId === user.id, 'the status reply', 10_000);
        statusMs.push(performance.now() - sent);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    track();
    const total = performance.now() - t0;
    const end = client.events.find(isEnd);
    if (end.type !== 'task_completed') throw new Error(`the bench task failed: ${JSON.stringify(end.payload).slice(0, 500)}; unscripted: ${model.unscripted.join('; ')}`);
    const phase = Math.max(...endedAt.values()) - Math.min(...startedAt.values());
    return { total, phase, peak, statusMs };
  } finally {
    client.close();
    await app.close();
    await model.close();
  }
}

async function overheadRun() {
  const model = await ScriptedModelServer.start({ models: ['bench-model'] });
  const app = await startApp(model, { planner: { enabled: false }, agent: { maxSteps: STEPS + 5, tokenBudget: 100_000_000 } });
  try {
    const repo = await app.workbench.repos.add(fixtureRepo());
    const tools = [
      { name: 'read_file', arguments: { path: 'src/math.js' } },
      { name: 'list_files', arguments: { path: '.' } },
      { name: 'search', arguments: { pattern: 'return' } },
      { name: 'write_file', arguments: { path: 'notes.txt', content: 'note\n' } },
      { name: 'run_command', arguments: { command: 'true' } },
    ];
    const replies = Array.from({ length: STEPS }, (_, i) => ({ toolCalls: [tools[i % tools.length]] }));
    replies.push({ toolCalls: [{ name: 'finish', arguments: { summary: 'done' } }] });
    model.script('Overhead bench', replies);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const task = app.services.createTask({ request: 'Overhead bench: use the tools', sessionId: 'bench', repoId: repo.id });
    for (;;) {
      const t = app.services.tasks.get(task.id);
      if (['completed', 'failed', 'cancelled'].includes(t.state)) {
        if (t.state !== 'completed') throw new Error(`the bench task ended ${t.state}: ${JSON.stringify(t.error)}; unscripted: ${model.unscripted.join('; ')}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const reqs = model.chatRequests('Overhead bench');
    const execMs = app.services.db.prepare(`SELECT duration_ms FROM audit_log WHERE task_id = ? AND action = 'command' ORDER BY seq`).pluck().all(task.id);
    const file = [];
    const search = [];
    const cmd = [];
    let commands = 0;
    for (let i = 0; i + 1 < reqs.length; i++) {
      const gap = reqs[i + 1].receivedAt - reqs[i].repliedAt;
      if (replies[i].toolCalls[0].name === 'run_command') {
        const ran = execMs[commands++];
        if (commands > 1) cmd.push(gap - ran);
      } else if (replies[i].toolCalls[0].name === 'search') search.push(gap);
      else file.push(gap);
    }
    return { file, search, cmd, cpuPerStep: (cpu.user + cpu.system) / 1000 / (STEPS + 1), wallPerStep: wall / (STEPS + 1) };
  } finally {
    await app.close();
    await model.close();
  }
}

const ms = (n) => `${fmt(n, n < 10 ? 2 : 0)} ms`;
if (ONLY !== 'overhead') {
  console.log(`speed-up: ${TICKETS} independent tickets, 3 model replies each + the plan, ${LATENCY} ms per reply, a sandbox per ticket (warm pool: ${POOL})`);
  const par = await speedupRun(TICKETS);
  console.log(`  concurrency ${TICKETS}: total ${ms(par.total)}, ticket phase ${ms(par.phase)}, peak ${par.peak} tickets at once`);
  const ser = await speedupRun(1);
  console.log(`  concurrency 1: total ${ms(ser.total)}, ticket phase ${ms(ser.phase)}, peak ${ser.peak} ticket(s) at once`);
  console.log(`  speed-up: ${fmt(ser.total / par.total, 2)}x total, ${fmt(ser.phase / par.phase, 2)}x ticket phase (target >= 5x)`);
  const s = par.statusMs;
  console.log(`"status" round trip while ${TICKETS} agents run (${s.length} samples): p50 ${ms(pct(s, 50))}, p99 ${ms(pct(s, 99))}, max ${ms(Math.max(...s))} (target p99 < 200 ms)`);
}
if (ONLY !== 'speedup') {
  const { file, search, cmd, cpuPerStep, wallPerStep } = await overheadRun();
  console.log(`overhead per tool call outside the model and the sandbox command (${STEPS} steps, no model latency):`);
  console.log(`  read_file, list_files, write_file (${file.length}): p50 ${ms(pct(file, 50))}, p95 ${ms(pct(file, 95))}, max ${ms(Math.max(...file))} (target p50 < 5 ms)`);
  console.log(`  search (${search.length}; runs the host's grep, a process spawn each): p50 ${ms(pct(search, 50))}, p95 ${ms(pct(search, 95))}`);
  console.log(`  run_command minus its run time (${cmd.length}): p50 ${ms(pct(cmd, 50))}, p95 ${ms(pct(cmd, 95))}, max ${ms(Math.max(...cmd))} (target p50 < 5 ms)`);
  console.log(`  this process's CPU per step (orchestrator + scripted server + the tools' own work): ${ms(cpuPerStep)}; wall per step ${ms(wallPerStep)}`);
}
process.exit(0);
