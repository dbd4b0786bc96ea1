/**
 * The classifier's worker thread (classifier-pool.ts starts it): loads the shell parser once, then
 * classifies one line per message. Runs the synchronous core, so a slow line blocks this thread only.
 */
import { parentPort } from 'node:worker_threads';
import { classifyCommand, type ClassifyContext } from './classify';
import type { Policy } from './policy';
import type { Classification } from './verdicts';

export interface ClassifyRequest {
  id: number;
  command: string;
  policy: Policy;
  ctx: ClassifyContext;
}
export type ClassifyReply = { id: number; result: Classification } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('classifier-worker.js runs as a worker thread (classifier-pool.ts)');
port.on('message', (req: ClassifyRequest) => {
  let reply: ClassifyReply;
  try {
    reply = { id: req.id, result: classifyCommand(req.command, req.policy, req.ctx) };
  } catch (e) {
    // classifyCommand never throws by design; if it does, the pool answers with a safe verdict.
    reply = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
});
port.postMessage('ready');
