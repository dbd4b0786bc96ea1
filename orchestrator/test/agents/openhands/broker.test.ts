/**
 * The model broker on a real Unix socket, in front of the scripted model server (real HTTP): what the
 * OpenHands SDK sends is tolerated (list content parts, reasoning_effort, prompt_cache_key), the real
 * key goes to the model and never back, the budget stops calls, a reviewed tool call is replaced, a
 * reply is held while its review waits, streamed requests get SSE.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { ModelBroker, plainMessages, toolSpecs, type Review } from '../../../src/agents/openhands/broker';
import { TokenBudget } from '../../../src/model/accounting';
import { ModelClient } from '../../../src/model/client';
import type { ParsedToolCall } from '../../../src/model/tool-calls';
import { ScriptedModelServer } from '../../helpers/scripted-model';
import { removeTempDirs, tempDir } from '../../helpers/temp';

const KEY = 'sk-broker-test-key-91c2e7';

/** A request exactly as the SDK (LiteLLM → openai client) sends it. */
const sdkBody = (first: string, extra: Record<string, unknown> = {}) => ({
  model: 'pushpals-broker',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'You are OpenHands agent.' }] },
    { role: 'user', content: [{ type: 'text', text: first }] },
  ],
  tools: [
    { type: 'function', function: { name: 'terminal', description: 'run', parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] } } },
    { type: 'function', function: { name: 'think', description: 'think', parameters: { type: 'object', properties: { thought: { type: 'string' } } } } },
  ],
  reasoning_effort: 'high',
  prompt_cache_key: 'conv-1',
  ...extra,
});

function post(socketPath: string, body: unknown): Promise<{ status: number; text: string }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: 'Bearer none' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('OpenHands model broker', function () {
  this.timeout(20_000);
  let model: ScriptedModelServer;
  let broker: ModelBroker | undefined;
  let sock = '';
  const reviewed: ParsedToolCall[] = [];
  let review: (c: ParsedToolCall) => Promise<Review> = async () => ({ keep: true });
  let hold: (() => Promise<void>) | undefined;
  const start = async (budget = new TokenBudget(100_000)) => {
    const client = new ModelClient({ role: 'coder', baseUrl: model.url, model: 'scripted-coder', keyFile: 'k', keyEnv: 'K', toolCalls: 'auto', maxTokens: 0, temperature: null, timeoutMs: 5000, maxRetries: 0, keyPath: '/nonexistent' }, KEY);
    broker = new ModelBroker({ client, budget, signal: new AbortController().signal, review: (c) => (reviewed.push(c), review(c)), ...(hold ? { hold } : {}) });
    sock = join(tempDir('pp-broker-'), 'model.sock');
    await broker.listen(sock);
    return broker;
  };

  before(async () => {
    model = await ScriptedModelServer.start({ apiKey: KEY });
  });
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
    reviewed.length = 0;
    review = async () => ({ keep: true });
    hold = undefined;
  });
  after(async () => {
    await model.close();
    removeTempDirs();
  });

  it('plainMessages joins text parts and keeps tool calls; bad shapes are typed errors', () => {
    const m = plainMessages([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: {} }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [], tool_calls: [{ id: 'c1', type: 'function', function: { name: 'terminal', arguments: '{"command":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'c1', name: 'terminal', content: [{ type: 'text', text: 'out' }] },
    ]);
    assert.deepEqual(m, [
      { role: 'user', content: 'a\n\nb' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'terminal', arguments: '{"command":"ls"}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'out' },
    ]);
    assert.throws(() => plainMessages('x'), /messages must be an array/);
    assert.throws(() => plainMessages([{ role: 'wizard', content: 'x' }]), /role "wizard" is not supported/);
    assert.throws(() => toolSpecs([{ type: 'function' }]), /function\.name/);
  });

  it('forwards to the model with the real key, tolerates the SDK extras, returns an OpenAI completion', async () => {
    model.script('broker: plain', [{ toolCalls: [{ name: 'terminal', arguments: { command: 'git status' }, id: 'call_a' }], usage: { prompt_tokens: 40, completion_tokens: 5 } }]);
    const b = await start();
    const r = await post(sock, sdkBody('broker: plain'));
    assert.equal(r.status, 200, r.text);
    const body = JSON.parse(r.text) as { choices: Array<{ message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> }; finish_reason: string }>; usage: { total_tokens: number } };
    assert.equal(body.choices[0]?.finish_reason, 'tool_calls');
    assert.deepEqual(body.choices[0]?.message.tool_calls.map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)]), [['call_a', 'terminal', { command: 'git status' }]]);
    assert.equal(body.usage.total_tokens, 45);
    assert.ok(!r.text.includes(KEY));
    const sent = model.chatRequests('broker: plain')[0];
    assert.equal(sent?.authorization, `Bearer ${KEY}`);
    assert.equal(sent?.body?.model, 'scripted-coder');
    assert.equal(typeof sent?.body?.messages[0]?.content, 'string');
    assert.ok(!('reasoning_effort' in (sent?.body ?? {})) && !('prompt_cache_key' in (sent?.body ?? {})));
    assert.equal(reviewed.length, 1);
    assert.equal(b.calls, 1);
  });

  it('replaces a refused tool call, and holds the reply while the review waits', async () => {
    model.script('broker: refuse', [{ toolCalls: [{ name: 'terminal', arguments: { command: 'rm -rf /etc' }, id: 'call_x' }] }]);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    review = async () => {
      await gate;
      return { keep: false, replacement: { name: 'think', arguments: { thought: 'refused: writes outside' } } };
    };
    await start();
    let answered = false;
    const pending = post(sock, sdkBody('broker: refuse')).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(answered, false, 'the reply is held while its review waits');
    release();
    const r = await pending;
    const call = (JSON.parse(r.text) as { choices: Array<{ message: { tool_calls: Array<{ id: string; function: { name: string; arguments: string } }> } }> }).choices[0]?.message.tool_calls[0];
    assert.deepEqual([call?.id, call?.function.name, JSON.parse(call?.function.arguments ?? '{}')], ['call_x', 'think', { thought: 'refused: writes outside' }]);
  });

  it('while the task is paused (hold), a call does not reach the model; resumed, it does and the reply comes back', async () => {
    model.script('broker: paused', [{ toolCalls: [{ name: 'terminal', arguments: { command: 'ls' }, id: 'call_p' }] }]);
    let resume: () => void = () => {};
    const resumed = new Promise<void>((r) => (resume = r));
    hold = () => resumed;
    await start();
    let answered = false;
    const pending = post(sock, sdkBody('broker: paused')).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(model.chatRequests('broker: paused').length, 0, 'no model call while paused');
    assert.equal(answered, false);
    resume();
    const r = await pending;
    assert.equal(r.status, 200, r.text);
    assert.equal(model.chatRequests('broker: paused').length, 1);
  });

  it('stops at the budget with a typed error the agent fails with, and answers stream requests as SSE', async () => {
    model.script('broker: stream', [{ text: 'hello', usage: { prompt_tokens: 10, completion_tokens: 2 } }]);
    const b = await start(new TokenBudget(12));
    const s = await post(sock, sdkBody('broker: stream', { stream: true }));
    assert.equal(s.status, 200);
    assert.match(s.text, /^data: \{.*"content":"hello"/);
    assert.match(s.text, /data: \[DONE\]\n\n$/);
    const r = await post(sock, sdkBody('broker: stream'));
    assert.equal(r.status, 400);
    assert.match(r.text, /budget_exceeded/);
    assert.equal(b.lastError?.code, 'budget_exceeded');
    const bad = await post(sock, { messages: 'nope' });
    assert.equal(bad.status, 400);
  });
});
