/** The model client against the scripted OpenAI-compatible server over real HTTP. */
import assert from 'node:assert/strict';
import { ModelClient, type ModelCallRecord, type ToolSpec } from '../../src/model/client';
import { defaultModelsConfig, resolveEndpoint, type ModelsConfig } from '../../src/model/config';
import { PushPalsError } from '../../src/errors';
import { ScriptedModelServer } from '../helpers/scripted-model';

const KEY = 'sk-test-0123456789abcdefghij';
const TOOLS: ToolSpec[] = [{ name: 'read_file', description: 'read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }];

function clientFor(server: ScriptedModelServer, over: Partial<ModelsConfig> = {}, key: string | undefined = KEY, records: ModelCallRecord[] = []): ModelClient {
  const ep = resolveEndpoint({ ...defaultModelsConfig(), baseUrl: server.url, model: 'scripted-coder', timeoutMs: 2000, maxRetries: 3, ...over }, 'coder', '/nonexistent');
  assert.ok(ep);
  return new ModelClient(ep, key, { onCall: (r) => records.push(r) });
}

const rejectsWith = async (p: Promise<unknown>, code: string, re: RegExp): Promise<PushPalsError> => {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PushPalsError, `expected a PushPalsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return e;
  }
  throw new Error('expected a rejection');
};

describe('model client (scripted server, real HTTP)', function () {
  this.timeout(20_000);
  let server: ScriptedModelServer;
  beforeEach(async () => {
    server = await ScriptedModelServer.start({ apiKey: KEY });
  });
  afterEach(async () => {
    await server.close();
  });

  it('native tool calls: parsed, usage counted, one audit record with hashes and no text or key', async () => {
    server.script('native', [{ toolCalls: [{ name: 'read_file', arguments: { path: 'a.js' } }], usage: { prompt_tokens: 40, completion_tokens: 7 } }]);
    const records: ModelCallRecord[] = [];
    const r = await clientFor(server, {}, KEY, records).chat({ messages: [{ role: 'user', content: 'native please' }], tools: TOOLS });
    assert.equal(r.toolCallSource, 'native');
    assert.deepEqual(r.toolCalls.map((c) => [c.name, c.arguments]), [['read_file', { path: 'a.js' }]]);
    assert.deepEqual(r.usage, { promptTokens: 40, completionTokens: 7, estimated: false });
    assert.equal(r.attempts, 1);
    assert.equal(server.requests[0]?.authorization, `Bearer ${KEY}`);
    assert.equal(server.requests[0]?.body?.tools?.[0]?.function.name, 'read_file');
    assert.equal(records.length, 1);
    const rec = records[0] as ModelCallRecord;
    assert.equal(rec.ok, true);
    assert.match(rec.promptSha256, /^[0-9a-f]{64}$/);
    assert.match(rec.replySha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(rec).includes(KEY) && !JSON.stringify(rec).includes('native please'));
  });

  it('sends the temperature when one is set, and none otherwise (the server\'s default)', async () => {
    server.script('temp', [{ text: 'a' }, { text: 'b' }]);
    await clientFor(server, { temperature: 0 }).chat({ messages: [{ role: 'user', content: 'temp one' }] });
    await clientFor(server).chat({ messages: [{ role: 'user', content: 'temp two' }] });
    const sent = server.chatRequests('temp').map((r) => (r.body as { temperature?: number } | undefined)?.temperature);
    assert.deepEqual(sent, [0, undefined]);
  });

  it('retries 429 (Retry-After honoured) then succeeds', async () => {
    server.script('busy', [{ status: 429, retryAfterMs: 20 }, { status: 429, retryAfterMs: 20 }, { text: 'hello' }]);
    const r = await clientFor(server).chat({ messages: [{ role: 'user', content: 'busy server' }] });
    assert.equal(r.text, 'hello');
    assert.equal(r.attempts, 3);
    assert.equal(server.chatRequests().length, 3);
  });

  it('retries 500 then succeeds; gives up after maxRetries with model_error naming the status', async () => {
    server.script('flaky', [{ status: 500, retryAfterMs: 10 }, { text: 'recovered' }]);
    assert.equal((await clientFor(server).chat({ messages: [{ role: 'user', content: 'flaky' }] })).text, 'recovered');
    server.script('down', [{ status: 503, retryAfterMs: 5 }, { status: 503, retryAfterMs: 5 }, { status: 502, retryAfterMs: 5 }]);
    const records: ModelCallRecord[] = [];
    await rejectsWith(clientFor(server, { maxRetries: 2 }, KEY, records).chat({ messages: [{ role: 'user', content: 'down' }] }), 'model_error', /HTTP 502 \(after 3 attempts\)/);
    assert.equal(records[0]?.ok, false);
    assert.equal(records[0]?.attempts, 3);
  });

  it('a hanging server: timeout error after the retries; a slow reply is retried into a fast one', async () => {
    server.script('hang', [{ hang: true }, { hang: true }]);
    const t0 = Date.now();
    await rejectsWith(clientFor(server, { timeoutMs: 300, maxRetries: 1 }).chat({ messages: [{ role: 'user', content: 'hang' }] }), 'timeout', /did not answer within 300 ms \(after 2 attempts\)/);
    assert.ok(Date.now() - t0 < 5000);
    server.script('slow', [{ text: 'late', delayMs: 4000 }, { text: 'quick' }]);
    assert.equal((await clientFor(server, { timeoutMs: 1000, maxRetries: 1 }).chat({ messages: [{ role: 'user', content: 'slow' }] })).text, 'quick');
  });

  it('streaming: text deltas arrive in order, tool-call deltas are assembled, usage from the final chunk', async () => {
    server.script('stream text', [{ text: 'The quick brown fox jumps over the lazy dog.', usage: { prompt_tokens: 11, completion_tokens: 9 } }]);
    const deltas: string[] = [];
    const r = await clientFor(server).chat({ messages: [{ role: 'user', content: 'stream text' }], stream: true, onText: (d) => deltas.push(d) });
    assert.ok(deltas.length > 3);
    assert.equal(deltas.join(''), 'The quick brown fox jumps over the lazy dog.');
    assert.deepEqual(r.usage, { promptTokens: 11, completionTokens: 9, estimated: false });
    assert.equal(server.requests.at(-1)?.body?.stream, true);
    server.script('stream tool', [{ toolCalls: [{ name: 'read_file', arguments: { path: 'src/math.js' } }] }]);
    const t = await clientFor(server).chat({ messages: [{ role: 'user', content: 'stream tool' }], tools: TOOLS, stream: true });
    assert.deepEqual(t.toolCalls.map((c) => [c.name, c.arguments]), [['read_file', { path: 'src/math.js' }]]);
  });

  it('a stream that goes silent midway is cut after timeoutMs', async () => {
    server.script('silent stream', [{ text: 'partial answer', stall: true }]);
    const deltas: string[] = [];
    const t0 = Date.now();
    await rejectsWith(
      clientFor(server, { timeoutMs: 1000, maxRetries: 0 }).chat({ messages: [{ role: 'user', content: 'silent stream' }], stream: true, onText: (d) => deltas.push(d) }),
      'timeout',
      /stream went silent for 1000 ms/,
    );
    assert.equal(deltas.join(''), 'partial answer');
    assert.ok(Date.now() - t0 < 6000, `${Date.now() - t0} ms`);
  });

  it('JSON fallback: a call written as text becomes a tool call; the conversation continues natively', async () => {
    server.script('qwen', [{ textToolCall: { name: 'read_file', arguments: { path: 'x' } }, style: 'fenced', prefix: 'Reading it.' }]);
    const r = await clientFor(server).chat({ messages: [{ role: 'user', content: 'qwen style' }], tools: TOOLS });
    assert.equal(r.toolCallSource, 'json');
    assert.equal(r.text, 'Reading it.');
    assert.deepEqual(r.toolCalls.map((c) => [c.name, c.arguments]), [['read_file', { path: 'x' }]]);
    assert.equal((r.assistantMessage as { tool_calls?: unknown[] }).tool_calls?.length, 1);
    // toolCalls "native": the text is left alone
    server.script('strict', [{ textToolCall: { name: 'read_file', arguments: { path: 'x' } }, style: 'bare' }]);
    const n = await clientFor(server, { toolCalls: 'native' }).chat({ messages: [{ role: 'user', content: 'strict' }], tools: TOOLS });
    assert.equal(n.toolCallSource, 'none');
  });

  it('toolCalls "json": no tools parameter, the tools are described in a system message, results go back as user turns', async () => {
    server.script('json mode', [{ textToolCall: { name: 'read_file', arguments: { path: 'y' } }, style: 'tagged' }]);
    const c = clientFor(server, { toolCalls: 'json' });
    const r = await c.chat({ messages: [{ role: 'user', content: 'json mode' }], tools: TOOLS });
    const body = server.requests.at(-1)?.body;
    assert.equal(body?.tools, undefined);
    assert.match(String(body?.messages[0]?.content), /read_file/);
    assert.equal(r.toolCallSource, 'json');
    assert.equal(c.toolResultMessage({ id: 'c', name: 'read_file' }, 'out').role, 'user');
    assert.equal(clientFor(server).toolResultMessage({ id: 'c', name: 'read_file' }, 'out').role, 'tool');
  });

  it('no usage reported: estimated from the text', async () => {
    server.script('no usage', [{ text: 'x'.repeat(40), usage: null }]);
    const r = await clientFor(server).chat({ messages: [{ role: 'user', content: 'no usage' }] });
    assert.equal(r.usage.estimated, true);
    assert.equal(r.usage.completionTokens, 10);
  });

  it('typed errors that say what is wrong: bad key, unknown model, malformed body, unreachable', async () => {
    server.script('any', [{ text: 'x' }]);
    const e = await rejectsWith(clientFor(server, {}, 'sk-wrong-key-000000000000').chat({ messages: [{ role: 'user', content: 'any' }] }), 'model_error', /refused the API key \(HTTP 401\).*PUSHPALS_MODEL_KEY/);
    assert.ok(!e.message.includes('sk-wrong-key-000000000000'));
    await rejectsWith(clientFor(server, { model: 'nope' }).chat({ messages: [{ role: 'user', content: 'any' }] }), 'model_error', /404.*models\.model/);
    server.script('garbled', [{ raw: '{"choices": [ {"message": ' }]);
    await rejectsWith(clientFor(server).chat({ messages: [{ role: 'user', content: 'garbled' }] }), 'model_error', /garbled|JSON|Unexpected|model/i);
    const dead = await ScriptedModelServer.start();
    const url = dead.url;
    await dead.close();
    const ep = resolveEndpoint({ ...defaultModelsConfig(), baseUrl: url, model: 'm', maxRetries: 0 }, 'coder', '/x');
    assert.ok(ep);
    await rejectsWith(new ModelClient(ep, undefined).chat({ messages: [{ role: 'user', content: 'x' }] }), 'model_error', /cannot be reached.*ECONNREFUSED/);
  });

  it('cancellation through the signal', async () => {
    server.script('cancel me', [{ hang: true }]);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(clientFor(server, { maxRetries: 0 }).chat({ messages: [{ role: 'user', content: 'cancel me' }], signal: ac.signal }), 'cancelled', /cancelled/);
  });
});
