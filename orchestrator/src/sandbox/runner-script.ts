/**
 * The in-sandbox command runner: plain JavaScript for the image's Node (>= 18), started ONCE per
 * sandbox as `node -e 'eval(process.env.PUSHPALS_RUNNER_SOURCE)'` in a single docker exec whose stdin/stdout carry the protocol.
 * (The root fs is read-only and /tmp is the command's, so the script travels in argv.)
 *
 * Protocol (see README.md):
 *  - host -> runner, one JSON object per line on stdin:
 *      {"op":"run","id":N,"cmd":"...","cwd":"/workspace","env":{...},"timeoutMs":T,"maxOutputBytes":B,"killOnOverflow":false}
 *      {"op":"kill","id":N}
 *  - runner -> host, binary frames on stdout: u8 type, u32be id, u32be length, payload
 *      1 = stdout bytes, 2 = stderr bytes, 3 = exit (JSON; after a non-zero exit with `space`: statfs of
 *      /workspace and /tmp), 4 = ready (JSON, id 0), 5 = protocol error (JSON)
 *  - runner's own stderr: diagnostics only.
 * Each command is `bash -c CMD` in its own process group (detached), stdin /dev/null, stdout and
 * stderr on separate pipes. Timeout, cancel and the end of the command kill the whole group with
 * SIGKILL, plus every process that still carries the command's marker in its environment (catches
 * children that escaped the group with setsid). Output past the cap is read and dropped (or the
 * command is killed with killOnOverflow), so neither side buffers more than the cap.
 */
export const RUNNER_SOURCE = String.raw`'use strict';
delete process.env.PUSHPALS_RUNNER_SOURCE;
const cp = require('child_process');
const fs = require('fs');
const jobs = new Map();
const nonce = process.pid + '-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
let inputEnded = false;

function frame(type, id, payload) {
  const h = Buffer.allocUnsafe(9);
  h.writeUInt8(type, 0); h.writeUInt32BE(id >>> 0, 1); h.writeUInt32BE(payload.length, 5);
  process.stdout.write(Buffer.concat([h, payload]));
}
const json = (type, id, obj) => frame(type, id, Buffer.from(JSON.stringify(obj)));
process.stdout.on('error', () => process.exit(70));

function killJob(job) {
  if (job.pid) { try { process.kill(-job.pid, 'SIGKILL'); } catch (e) {} }
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch (e) {}
  for (const n of names) {
    if (n.charCodeAt(0) < 48 || n.charCodeAt(0) > 57) continue;
    const pid = Number(n);
    if (pid === process.pid || pid === 1) continue;
    try { if (fs.readFileSync('/proc/' + n + '/environ').includes(job.marker)) process.kill(pid, 'SIGKILL'); } catch (e) {}
  }
}

function finish(job) {
  if (job.done || job.exit === undefined || job.open > 0) return;
  job.done = true;
  clearTimeout(job.timer); clearInterval(job.reaper);
  jobs.delete(job.id);
  const code = job.exit.code, sig = job.exit.signal;
  const SIG = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  const exitCode = code != null ? code : sig ? 128 + (SIG[sig] || 0) : -1;
  // Free space after a failed command, so the host can tell "disk full" from any other failure.
  const space = exitCode === 0 ? null : { workspace: statfs('/workspace'), tmp: statfs('/tmp') };
  json(3, job.id, { exitCode, signal: sig || null, timedOut: job.timedOut, cancelled: job.cancelled,
    truncated: job.truncated, outputBytes: job.total, durationMs: Date.now() - job.t0, error: job.error || null, space });
  if (inputEnded && jobs.size === 0) process.exit(0);
}

function statfs(p) {
  try { const s = fs.statfsSync(p); return { sizeBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize, freeInodes: s.ffree }; } catch (e) { return null; }
}

function terminate(job) {
  if (job.reaper) return;
  killJob(job);
  job.reaper = setInterval(() => killJob(job), 100);
}

function run(req) {
  const id = req.id;
  const job = { id, t0: Date.now(), marker: 'pp-' + nonce + '-' + id, open: 2, total: 0, truncated: false,
    timedOut: false, cancelled: false, done: false, exit: undefined, pid: 0, timer: null, reaper: null, error: null };
  jobs.set(id, job);
  const cap = Number.isFinite(req.maxOutputBytes) && req.maxOutputBytes >= 0 ? req.maxOutputBytes : 1048576;
  const env = Object.assign({}, process.env, req.env || {});
  env.PUSHPALS_RUN = job.marker;
  let child;
  try {
    child = cp.spawn('/bin/bash', ['-c', String(req.cmd)], { argv0: 'bash', cwd: req.cwd || '/workspace', env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    job.error = 'spawn failed: ' + (e && e.message); job.open = 0; job.exit = { code: 127, signal: null }; finish(job); return;
  }
  job.pid = child.pid || 0;
  if (job.pid) { try { fs.writeFileSync('/proc/' + job.pid + '/oom_score_adj', '800'); } catch (e) {} }
  const onData = (type) => (d) => {
    if (job.total >= cap) { job.truncated = true; return; }
    let chunk = d;
    if (job.total + d.length > cap) { chunk = d.subarray(0, cap - job.total); job.truncated = true; }
    job.total += chunk.length;
    if (chunk.length) frame(type, id, chunk);
    if (job.truncated && req.killOnOverflow) terminate(job);
  };
  const closed = () => { job.open--; finish(job); };
  child.stdout.on('data', onData(1)); child.stdout.on('close', closed);
  child.stderr.on('data', onData(2)); child.stderr.on('close', closed);
  child.on('error', (e) => {
    job.error = 'spawn failed: ' + (e && e.message);
    if (!job.pid) { job.exit = { code: 127, signal: null }; }
    finish(job);
  });
  child.on('exit', (code, signal) => {
    job.exit = { code, signal };
    // The command is over: whatever it left behind (background jobs, escaped children) goes too.
    killJob(job);
    if (job.open > 0) terminate(job);
    finish(job);
  });
  const t = Number(req.timeoutMs);
  if (Number.isFinite(t) && t > 0) job.timer = setTimeout(() => { job.timedOut = true; terminate(job); }, t);
}

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (s) => {
  buf += s;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (!line.trim()) continue;
    let req;
    try { req = JSON.parse(line); } catch (e) { json(5, 0, { error: 'bad request line' }); continue; }
    if (req.op === 'run' && Number.isInteger(req.id) && req.id > 0 && !jobs.has(req.id)) run(req);
    else if (req.op === 'kill') { const j = jobs.get(req.id); if (j) { j.cancelled = true; terminate(j); } }
    else if (req.op === 'ping') json(4, 0, { pid: process.pid, jobs: jobs.size });
    else json(5, Number.isInteger(req.id) ? req.id : 0, { error: 'bad request' });
  }
});
process.stdin.on('end', () => {
  inputEnded = true;
  for (const j of jobs.values()) { j.cancelled = true; terminate(j); }
  if (jobs.size === 0) process.exit(0);
  setTimeout(() => process.exit(0), 2000).unref();
});
json(4, 0, { pid: process.pid, node: process.version });
`;
