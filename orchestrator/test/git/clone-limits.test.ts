import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PushPalsError } from '../../src/errors';
import { RepoRegistry } from '../../src/git';
import { openDatabase, type Db } from '../../src/store/db';
import { gitHttpServer, hostGit } from './fixtures';

/** A loopback HTTP server of the test's own, closed (with its sockets) afterwards. */
async function serve(handler: http.RequestListener): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function filesContaining(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(ent.parentPath, ent.name);
    if (ent.isFile() && fs.readFileSync(p).includes(needle)) out.push(p);
  }
  return out;
}

const isTimeout = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof PushPalsError, String(e));
  assert.equal(e.code, 'timeout', e.message);
  assert.match(e.message, re);
  return true;
};

describe('git: cloning a URL is bounded and keeps credentials secret', function () {
  this.timeout(30000);
  let root: string;
  let dataDir: string;
  let db: Db;
  let servers: Array<{ close: () => Promise<void> }>;
  const limits = { deadlineMs: 4000, lowSpeedBytesPerSec: 100, lowSpeedTimeMs: 1000 };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-clone-'));
    dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    db = openDatabase(path.join(dataDir, 'db.sqlite'));
    servers = [];
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    db.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const leftovers = () => fs.readdirSync(path.join(dataDir, 'repos'));

  it('a server that trickles 1 byte/s is dropped by the low-speed limit, as `timeout`, long before the deadline', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' });
      const t = setInterval(() => res.write('0'), 1000);
      res.on('close', () => clearInterval(t));
    });
    servers.push(s);
    const reg = new RepoRegistry(db, dataDir, { clone: { ...limits, deadlineMs: 60_000 } });
    const t0 = Date.now();
    await assert.rejects(reg.add(`${s.url}/slow.git`), isTimeout(/stalled: \d+ bytes in the last 1 s \(minimum 100 bytes\/s\)/));
    const took = Date.now() - t0;
    assert.ok(took < 20_000, `took ${took} ms (the deadline is 60 s)`);
    assert.ok(s.hits() >= 1, 'the server was asked');
    assert.deepEqual(leftovers(), [], 'no mirror or scratch dir left');
    assert.equal(reg.list().length, 0);
  });

  it('a clone cut off mid-pack is written only in its scratch dir: no repos/<id> while it runs or after; the same URL is added afterwards', async () => {
    // A real repository behind a real smart-HTTP server, reached through a proxy that can stall the pack.
    const project = path.join(root, 'served');
    const work = path.join(root, 'work');
    fs.mkdirSync(work);
    hostGit(work, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(work, 'noise.bin'), crypto.randomBytes(64 * 1024)); // incompressible: a pack of many KB
    hostGit(work, 'add', '.');
    hostGit(work, 'commit', '-q', '-m', 'one');
    fs.mkdirSync(project);
    hostGit(project, 'clone', '-q', '--bare', work, 'project.git');
    const backend = await gitHttpServer(project);
    servers.push(backend);
    let stall = true;
    let stalled = false;
    const proxy = await serve((req, res) => {
      const up = http.request(`${backend.url}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const isPack = (req.url ?? '').endsWith('/git-upload-pack');
        let sent = 0;
        upRes.on('data', (d: Buffer) => {
          if (!(stall && isPack)) return void res.write(d);
          // The first 4 KB of the pack, then nothing: the low-speed limit cuts the clone off mid-way.
          if (sent < 4096) res.write(d.subarray(0, 4096 - sent));
          sent += d.length;
          if (sent >= 4096) stalled = true;
        });
        upRes.on('end', () => {
          if (!(stall && isPack)) res.end();
        });
      });
      req.pipe(up);
    });
    servers.push(proxy);
    const url = `${proxy.url}/project.git`;
    const reg = new RepoRegistry(db, dataDir, { clone: { ...limits, deadlineMs: 60_000 } });
    // What repos/ held at any moment of the clone (a process killed then would leave exactly that).
    const seen = new Set<string>();
    const watch = setInterval(() => {
      for (const n of fs.existsSync(path.join(dataDir, 'repos')) ? leftovers() : []) seen.add(n);
    }, 20);
    try {
      await assert.rejects(reg.add(url), isTimeout(/stalled/));
    } finally {
      clearInterval(watch);
    }
    assert.ok(stalled, 'the pack was cut off mid-way');
    assert.ok([...seen].some((n) => n.startsWith('.clone-')), `the clone was under way in a scratch dir (seen: ${[...seen].join(', ')})`);
    assert.deepEqual([...seen].filter((n) => !n.startsWith('.clone-')), [], 'no repos/<id> while the clone ran');
    assert.deepEqual(leftovers(), [], 'nothing left after it');
    assert.equal(reg.list().length, 0);

    stall = false;
    const repo = await reg.add(url);
    assert.equal(repo.defaultBranch, 'main');
    assert.equal(repo.head?.commit, hostGit(work, 'rev-parse', 'HEAD').trim());
    assert.deepEqual(leftovers(), [repo.id], 'only the registered mirror');
    assert.equal(repo.mirrorPath, path.join(dataDir, 'repos', repo.id));
    assert.equal(hostGit(repo.mirrorPath, 'cat-file', '-t', repo.head?.commit ?? '').trim(), 'commit');
  });

  it('a server that accepts and never answers is a `timeout` (not `not_found`)', async () => {
    const s = await serve(() => {
      /* never answers */
    });
    servers.push(s);
    const reg = new RepoRegistry(db, dataDir, { clone: limits });
    await assert.rejects(reg.add(`${s.url}/silent.git`), isTimeout(/stalled: 0 bytes/));
    assert.equal(s.hits(), 1);
    assert.deepEqual(leftovers(), []);
  });

  it('a server fast enough for the low-speed limit but never done hits the overall deadline', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' });
      // A well-formed ref advertisement that never ends: ~2.5 KB/s of one more branch after another.
      const oid = 'a'.repeat(40);
      const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, '0') + line;
      res.write(pkt('# service=git-upload-pack\n') + '0000' + pkt(`${oid} HEAD\0side-band-64k\n`));
      let i = 0;
      const t = setInterval(() => res.write(Array.from({ length: 4 }, () => pkt(`${oid} refs/heads/b${i++}\n`)).join('')), 100);
      res.on('close', () => clearInterval(t));
    });
    servers.push(s);
    const reg = new RepoRegistry(db, dataDir, { clone: { deadlineMs: 1500, lowSpeedBytesPerSec: 100, lowSpeedTimeMs: 1000 } });
    const t0 = Date.now();
    await assert.rejects(reg.add(`${s.url}/endless.git`), isTimeout(/did not finish within 2 s/));
    assert.ok(Date.now() - t0 < 4000);
  });

  it('a URL password is used for the request but never echoed, stored or written to disk', async () => {
    let auth: string | undefined;
    const s = await serve((req, res) => {
      auth = req.headers.authorization;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="x"', 'Content-Type': 'text/plain' });
      res.end('denied for https://u:hunter2secret@example/x\n');
    });
    servers.push(s);
    const reg = new RepoRegistry(db, dataDir, { clone: limits });
    const url = `${s.url.replace('http://', 'http://alice:hunter2secret@')}/private.git`;
    await assert.rejects(reg.add(url), (e: unknown) => {
      assert.ok(e instanceof PushPalsError);
      assert.equal(e.code, 'forbidden', e.message);
      assert.match(e.message, /authentication required/);
      assert.doesNotMatch(e.message, /hunter2secret/);
      assert.doesNotMatch(JSON.stringify(e.details ?? {}), /hunter2secret/);
      assert.match(e.message, /http:\/\/\*\*\*@127\.0\.0\.1/);
      return true;
    });
    assert.equal(auth, `Basic ${Buffer.from('alice:hunter2secret').toString('base64')}`, 'the credentials did reach the server');
    assert.equal(reg.list().length, 0);
    // Nowhere in the data dir, the SQLite files included.
    assert.deepEqual(filesContaining(dataDir, 'hunter2secret'), []);
  });

  it('nothing listening on the port is `not_found` (unreachable), quickly', async () => {
    const s = await serve(() => {});
    const url = s.url;
    await s.close(); // the port is now closed
    const reg = new RepoRegistry(db, dataDir, { clone: limits });
    await assert.rejects(reg.add(`${url}/gone.git`), (e: unknown) => e instanceof PushPalsError && e.code === 'not_found' && /unreachable/.test(e.message));
  });
});
