#!/usr/bin/env node
// Helper process for bench/classifier.mjs (not a benchmark itself): a WebSocket client in its own
// process (so a stalled orchestrator cannot also stall its clock) that asks "status" every 100 ms
// and times each round trip (chat_send → the reply). Prints {ready} once subscribed; on any stdin
// input prints {statusMs: [...]} and exits.
//   node bench/status-client.mjs <wsUrl> <token>
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'orchestrator', 'package.json'));
const { WsTestClient } = require('./dist/test/helpers/ws-client.js');

const [url, token] = process.argv.slice(2);
const client = await WsTestClient.connect(url, token, 'bench-status', 600_000);
await client.start(0);
const statusMs = [];
let stop = false;
process.stdin.on('data', () => (stop = true));
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
while (!stop) {
  const sent = performance.now();
  const { messageSeq } = await client.send('chat_send', { text: 'status' });
  const user = await client.waitForEvent((e) => e.seq === messageSeq, 'the user message', 120_000);
  await client.waitForEvent((e) => e.type === 'assistant_message' && e.turnId === user.id, 'the status reply', 120_000);
  statusMs.push(performance.now() - sent);
  await new Promise((r) => setTimeout(r, 100));
}
client.close();
process.stdout.write(JSON.stringify({ statusMs }) + '\n', () => process.exit(0));
