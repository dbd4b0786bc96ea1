import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { makeCommand, newId } from '@pushpals/protocol';
import WebSocket from 'ws';
import { startApp } from '../helpers/env';
import { removeTempDirs, tempDir } from '../helpers/temp';

const SERVER = join(__dirname, '..', 'fixtures', 'crash-server.js');

interface Ready {
  url: string;
  wsUrl: string;
  token: string;
  workerId: string;
}

describe('server: crash safety (SIGKILL mid-burst)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    removeTempDirs();
  });

  it('every acknowledged event and job survives; leased jobs of the dead process are recovered', async () => {
    const dataDir = tempDir();
    child = spawn(process.execPath, [SERVER, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const ready = await new Promise<Ready>((resolve, reject) => {
      let buf = '';
      child!.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!) as Ready);
      });
      child!.on('exit', (code) => reject(new Error(`server exited early (${String(code)})`)));
    });
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));

    const ws = new WebSocket(ready.wsUrl, { headers: { Authorization: `Bearer ${ready.token}` } });
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const chats = new Map<number, string>(); // acked messageSeq → text
    const tasks: string[] = []; // acked taskIds
    const kinds = new Map<string, { kind: 'chat' | 'task'; text: string }>();
    let acked = 0;
    let sent = 0;
    const sendOne = () => {
      const id = newId('c');
      const text = `burst ${sent}`;
      const kind = sent++ % 3 === 0 ? 'task' : 'chat';
      kinds.set(id, { kind, text });
      const cmd = kind === 'task' ? makeCommand('task_new', { request: text }, { sessionId: 'crash', id }) : makeCommand('chat_send', { text }, { sessionId: 'crash', id });
      ws.send(JSON.stringify(cmd));
    };
    ws.on('error', () => undefined);
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as { type: string; correlationId?: string; payload: { result?: { messageSeq?: number; taskId?: string } } };
      if (m.type !== 'ack' || !m.correlationId) return;
      const k = kinds.get(m.correlationId)!;
      if (k.kind === 'chat') chats.set(m.payload.result!.messageSeq!, k.text);
      else tasks.push(m.payload.result!.taskId!);
      if (++acked === 400) child!.kill('SIGKILL'); // mid-burst: ~32 more commands are in flight
      else if (acked < 400) sendOne();
    });
    for (let i = 0; i < 32; i++) sendOne();
    await exited;
    ws.terminate();
    assert.ok(acked >= 400);

    // Restart on the same data dir, in this process.
    const app = await startApp({ dataDir });
    try {
      const { db } = app.services;
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      for (const [seq, text] of chats) {
        const row = db.prepare('SELECT type, json FROM events WHERE seq = ?').get(seq) as { type: string; json: string } | undefined;
        assert.equal(row?.type, 'user_message', `acked message seq ${seq} is stored`);
        assert.equal((JSON.parse(row.json) as { payload: { text: string } }).payload.text, text);
      }
      for (const id of tasks) {
        assert.ok(app.services.tasks.get(id), `acked task ${id} is stored`);
        assert.equal(db.prepare(`SELECT COUNT(*) FROM jobs WHERE task_id = ? AND queue = 'task.run'`).pluck().get(id), 1, `job of ${id} is stored`);
      }
      const held = db.prepare(`SELECT state, lease_owner, last_error FROM jobs WHERE queue = 'hold'`).all() as Array<{ state: string; lease_owner: string | null; last_error: string | null }>;
      assert.equal(held.length, 3);
      for (const h of held) {
        assert.equal(h.state, 'queued', 'recovered at start (no handler for hold here, so it waits)');
        assert.notEqual(h.lease_owner, ready.workerId);
        assert.match(h.last_error ?? '', /died/);
      }
      assert.ok(chats.size > 200 && tasks.length > 100, `${chats.size} chats, ${tasks.length} tasks acked`);
    } finally {
      await app.close();
    }
  });
});
