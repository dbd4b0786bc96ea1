/**
 * The model broker: the ONLY way a model reply reaches the OpenHands agent. An OpenAI-compatible
 * endpoint (`POST …/chat/completions`, `GET …/models`) on a Unix socket that the container sees
 * read-only (its forwarder turns the SDK's URL into that socket). Per request: the task's token
 * budget is checked, the call goes to the configured coder model with the real key (which never
 * enters the container) and into the audit trail (ModelClient's onCall), and every tool call of the
 * reply is put to `review` — which judges it by PushPals' policy, holds it while a person decides, and
 * may replace it (a refusal). Only then is the reply sent. Inside the container nothing can approve
 * anything: the person's decision is taken here, outside.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { chmodSync, rmSync } from 'node:fs';
import { newId } from '@pushpals/protocol';
import { PushPalsError } from '../../errors';
import type { TokenBudget } from '../../model/accounting';
import type { ChatMessage, ChatReply, ModelClient, ToolSpec } from '../../model/client';
import type { ParsedToolCall } from '../../model/tool-calls';

/** A reviewed tool call: kept as is, or replaced by another call (a refusal the model can read). */
export type Review = { keep: true } | { keep: false; replacement: { name: string; arguments: Record<string, unknown> } };

export interface BrokerOptions {
  client: ModelClient;
  budget: TokenBudget;
  /** Judges one tool call of a reply (may wait for a person). Runs in order, one call at a time. */
  review: (call: ParsedToolCall) => Promise<Review>;
  signal: AbortSignal;
  /** Resolves when the task may advance (a paused task: once resumed); model calls and replies wait for it. */
  hold?: () => Promise<void>;
  /** Largest request body accepted (the SDK sends the whole conversation each time). */
  maxBodyBytes?: number;
}

/** The SDK's message shapes that the configured model may not take, made plain: text parts joined. */
export function plainMessages(raw: unknown): ChatMessage[] {
  if (!Array.isArray(raw)) throw new PushPalsError('invalid_message', 'messages must be an array');
  return raw.map((m: unknown, i): ChatMessage => {
    if (typeof m !== 'object' || m === null) throw new PushPalsError('invalid_message', `messages[${i}] must be an object`);
    const r = m as Record<string, unknown>;
    const role = r.role;
    const content = Array.isArray(r.content)
      ? r.content.map((p: unknown) => (typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('\n')
      : typeof r.content === 'string'
        ? r.content
        : null;
    if (role === 'system' || role === 'user') return { role, content: content ?? '' };
    if (role === 'tool') return { role, tool_call_id: String(r.tool_call_id ?? ''), content: content ?? '' };
    if (role === 'assistant') {
      const calls = Array.isArray(r.tool_calls) ? (r.tool_calls as Array<{ id?: unknown; function?: { name?: unknown; arguments?: unknown } }>) : [];
      return {
        role,
        content: content || null,
        ...(calls.length ? { tool_calls: calls.map((c) => ({ id: String(c.id ?? ''), type: 'function' as const, function: { name: String(c.function?.name ?? ''), arguments: String(c.function?.arguments ?? '{}') } })) } : {}),
      };
    }
    throw new PushPalsError('invalid_message', `messages[${i}].role ${JSON.stringify(role)} is not supported`);
  });
}

/** The SDK's `tools` (OpenAI function format) as the model client's ToolSpecs. */
export function toolSpecs(raw: unknown): ToolSpec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new PushPalsError('invalid_message', 'tools must be an array');
  return raw.map((t: unknown) => {
    const f = (t as { function?: { name?: unknown; description?: unknown; parameters?: unknown } } | null)?.function;
    if (!f || typeof f.name !== 'string') throw new PushPalsError('invalid_message', 'each tool needs function.name');
    const parameters = (typeof f.parameters === 'object' && f.parameters !== null ? f.parameters : { type: 'object', properties: {} }) as ToolSpec['parameters'];
    return { name: f.name, description: typeof f.description === 'string' ? f.description : '', parameters };
  });
}

export class ModelBroker {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** The failure that ended the agent's last model call (budget, model down...): the task fails with it. */
  lastError: PushPalsError | undefined;
  calls = 0;
  /** Time spent reviewing tool calls (policy checks, and any wait for a person). */
  reviewMs = 0;

  constructor(private readonly o: BrokerOptions) {}

  async listen(socketPath: string): Promise<void> {
    rmSync(socketPath, { force: true });
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    chmodSync(socketPath, 0o666); // the container's uid connects; its directory is mounted read-only there
    this.server = server;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: unknown) => {
      if (res.headersSent || res.destroyed) return;
      const data = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    };
    const fail = (status: number, e: PushPalsError) => send(status, { error: { message: e.message, type: e.code, code: e.code } });
    try {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET' && path.endsWith('/models')) return send(200, { object: 'list', data: [{ id: this.o.client.endpoint.model, object: 'model' }] });
      if (req.method !== 'POST' || !path.endsWith('/chat/completions')) return fail(404, new PushPalsError('not_found', `the PushPals model broker serves POST /v1/chat/completions, not ${req.method} ${path}`));
      const body = await this.readJson(req);
      const reply = await this.forward(body);
      if (body.stream === true) return this.sendStream(res, reply);
      send(200, completion(reply, this.o.client.endpoint.model));
    } catch (e) {
      const err = e instanceof PushPalsError ? e : new PushPalsError('model_error', e instanceof Error ? e.message : String(e));
      if (err.code !== 'invalid_message' && err.code !== 'not_found') this.lastError = err;
      // budget_exceeded as 400: a client error the SDK does not retry
      fail(err.code === 'invalid_message' || err.code === 'budget_exceeded' ? 400 : err.code === 'rate_limited' ? 429 : 502, err);
    }
  }

  private readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const max = this.o.maxBodyBytes ?? 32 * 1024 * 1024;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > max) {
          reject(new PushPalsError('invalid_message', `request body over ${max} bytes`));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => {
        try {
          const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
          resolve(v as Record<string, unknown>);
        } catch (e) {
          reject(new PushPalsError('invalid_message', `the request body is not a JSON object: ${(e as Error).message}`));
        }
      });
      req.on('error', reject);
    });
  }

  /** Budget → model → review of each tool call. `reasoning_effort`, `prompt_cache_key` & co. are not forwarded. */
  private async forward(body: Record<string, unknown>): Promise<ChatReply> {
    const messages = plainMessages(body.messages);
    const tools = toolSpecs(body.tools);
    await this.o.hold?.(); // paused: the call does not reach the model until the task is resumed
    this.o.budget.check();
    this.calls++;
    // One listener on the task's signal per call in flight, removed after it (the client adds its own to ours).
    const call = new AbortController();
    const onAbort = () => call.abort(this.o.signal.reason);
    this.o.signal.addEventListener('abort', onAbort, { once: true });
    let reply: ChatReply;
    try {
      reply = await this.o.client.chat({ messages, tools, signal: call.signal });
    } finally {
      this.o.signal.removeEventListener('abort', onAbort);
    }
    this.o.budget.charge(reply.usage);
    const started = performance.now();
    const calls: ParsedToolCall[] = [];
    for (const call of reply.toolCalls) {
      if (call.error !== undefined) {
        calls.push(call); // the agent answers a malformed call itself ("invalid arguments"): nothing runs
        continue;
      }
      const r = await this.o.review(call);
      calls.push(r.keep ? call : { id: call.id, name: r.replacement.name, arguments: r.replacement.arguments });
    }
    this.reviewMs += performance.now() - started;
    await this.o.hold?.(); // paused meanwhile: the reply (the agent's next action) waits too
    return { ...reply, toolCalls: calls };
  }

  private sendStream(res: ServerResponse, reply: ChatReply): void {
    const model = this.o.client.endpoint.model;
    const c = completion(reply, model);
    const [choice] = c.choices;
    const base = { id: c.id, object: 'chat.completion.chunk', created: c.created, model };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const delta = { role: 'assistant', content: choice.message.content, ...(choice.message.tool_calls ? { tool_calls: choice.message.tool_calls.map((t, index) => ({ index, ...t })) } : {}) };
    for (const chunk of [{ ...base, choices: [{ index: 0, delta, finish_reason: null }] }, { ...base, choices: [{ index: 0, delta: {}, finish_reason: choice.finish_reason }] }, { ...base, choices: [], usage: c.usage }]) {
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }
}

/** A reply as the OpenAI chat-completions response the SDK expects. */
function completion(reply: ChatReply, model: string) {
  const toolCalls = reply.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.error !== undefined ? c.raw : JSON.stringify(c.arguments) } }));
  const choice = { index: 0, message: { role: 'assistant', content: reply.text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: toolCalls.length ? 'tool_calls' : (reply.finishReason ?? 'stop') };
  return {
    id: newId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [choice] as [typeof choice],
    usage: { prompt_tokens: reply.usage.promptTokens, completion_tokens: reply.usage.completionTokens, total_tokens: reply.usage.promptTokens + reply.usage.completionTokens },
  };
}
