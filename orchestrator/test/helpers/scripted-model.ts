/**
 * A scripted OpenAI-compatible model server for tests: real HTTP on 127.0.0.1 (port 0) serving
 * `/v1/models` and `/v1/chat/completions`. Each conversation (picked by its first user message)
 * has a list of replies served in order, one per request: tool calls (native or written as JSON
 * text), plain or streamed (SSE) text, HTTP errors (429 with Retry-After, 500), malformed bodies,
 * slow replies, silence. Every request is recorded, so a whole agent run is deterministic and its
 * traffic can be asserted. Importable by the orchestrator's tests and the end-to-end tests
 * (`@pushpals/orchestrator/dist/test/helpers/scripted-model`); depends on nothing but Node.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ScriptedToolCall {
  name: string;
  /** An object (sent as JSON text) or the raw arguments text (e.g. broken JSON). */
  arguments: Record<string, unknown> | string;
  id?: string;
}

interface Common {
  /** Wait this long before answering. */
  delayMs?: number;
  /** Reported usage; default: estimated from the text. `null`: report none. */
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  /** A check of the request this reply answers: return a message to fail the request with HTTP 400 (the test sees why). */
  expect?: (req: RecordedRequest) => string | undefined;
  /** Streamed replies: send the text, then go silent without finishing (the client's idle timeout must fire). */
  stall?: boolean;
  /** Streamed replies: pause this long between the text's pieces (a model writing token by token). */
  chunkDelayMs?: number;
}

export type ScriptedReply = Common &
  (
    | { toolCalls: ScriptedToolCall[]; text?: string }
    | { text: string }
    /** A tool call the model writes into its text, as Qwen2.5-Coder under llama.cpp does. */
    | { textToolCall: ScriptedToolCall; style: 'bare' | 'fenced' | 'tagged'; prefix?: string }
    | { status: number; message?: string; retryAfterMs?: number }
    /** A body that is not what the API promises (malformed JSON, truncated, ...). */
    | { raw: string }
    /** Never answers (the client's timeout must fire). */
    | { hang: true }
  );

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** The parsed JSON body (chat requests). */
  body: ChatBody | undefined;
  /** The script entry that served it (its match, as text), if any. */
  conversation: string | undefined;
  /** 0-based index of the reply served within that conversation. */
  step: number;
  /** Convenience: the last message of the request. */
  last: ChatBody['messages'][number] | undefined;
  /** performance.now() when the whole request had arrived, and when its reply was sent (benchmarks: the time outside the model). */
  receivedAt: number;
  repliedAt?: number;
}

export interface ChatBody {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: Array<{ type: string; function: { name: string; parameters?: unknown } }>;
  messages: Array<{ role: string; content?: unknown; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>; tool_call_id?: string }>;
}

interface Script {
  match: RegExp | string;
  replies: ScriptedReply[];
  served: number;
}

const text = (c: unknown): string => (typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join('') : '');

export class ScriptedModelServer {
  readonly requests: RecordedRequest[] = [];
  /** Requests no script matched or whose script was used up (each answered 500): assert it stays empty. */
  readonly unscripted: string[] = [];
  private readonly scripts: Script[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly opts: { apiKey?: string; models: string[] },
  ) {}

  /** Starts on 127.0.0.1:0. `apiKey`: requests must carry it as a Bearer token (else 401). */
  static async start(opts: { apiKey?: string; models?: string[] } = {}): Promise<ScriptedModelServer> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const self = new ScriptedModelServer(server, `http://127.0.0.1:${port}/v1`, { models: opts.models ?? ['scripted-coder'], ...(opts.apiKey ? { apiKey: opts.apiKey } : {}) });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void self.handle(req, res).catch(() => res.destroy()));
    server.on('connection', (s) => {
      self.sockets.add(s);
      s.on('close', () => self.sockets.delete(s));
    });
    return self;
  }

  /**
   * Scripts the conversation whose first user message matches (a substring or a RegExp). When
   * several match, the first that has replies left serves.
   */
  script(match: RegExp | string, replies: ScriptedReply[]): this {
    this.scripts.push({ match, replies, served: 0 });
    return this;
  }

  /** Chat requests of the conversation matching `match` (as given to script()). */
  chatRequests(match?: RegExp | string): RecordedRequest[] {
    return this.requests.filter((r) => r.body && (match === undefined || r.conversation === String(match)));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0] ?? '';
    let body: ChatBody | undefined;
    if (chunks.length) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatBody;
      } catch {
        return this.error(res, 400, 'request body is not JSON');
      }
    }
    const rec: RecordedRequest = { method: req.method ?? '', path, authorization: req.headers.authorization, body, conversation: undefined, step: 0, last: body?.messages?.at(-1), receivedAt: performance.now() };
    this.requests.push(rec);
    if (this.opts.apiKey && req.headers.authorization !== `Bearer ${this.opts.apiKey}`) return this.error(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    if (req.method === 'GET' && path === '/v1/models') {
      return this.json(res, 200, { object: 'list', data: this.opts.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'scripted' })) });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions' || !body) return this.error(res, 404, `no route ${req.method} ${path}`);
    if (!this.opts.models.includes(body.model)) return this.error(res, 404, `The model \`${body.model}\` does not exist.`, 'model_not_found');

    const first = text(body.messages.find((m) => m.role === 'user')?.content);
    const matching = this.scripts.filter((s) => (typeof s.match === 'string' ? first.includes(s.match) : s.match.test(first)));
    // The first matching script with replies left: a later script of the same conversation takes over.
    const script = matching.find((s) => s.served < s.replies.length) ?? matching[0];
    const reply = script?.replies[script.served];
    if (!script || !reply) {
      const why = script ? `script "${String(script.match)}" has no reply #${script.served + 1}` : `no script matches the first user message ${JSON.stringify(first.slice(0, 200))}`;
      this.unscripted.push(why);
      return this.error(res, 500, `scripted model: ${why}`);
    }
    rec.conversation = String(script.match);
    rec.step = script.served++;
    const problem = reply.expect?.(rec);
    if (problem) {
      this.unscripted.push(`step ${rec.step} of "${rec.conversation}": ${problem}`);
      return this.error(res, 400, `scripted model: unexpected request: ${problem}`);
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if ('hang' in reply) return; // the socket stays open until the client gives up (or close())
    if ('status' in reply) {
      if (reply.retryAfterMs !== undefined) res.setHeader('retry-after-ms', String(reply.retryAfterMs));
      return this.error(res, reply.status, reply.message ?? `scripted error ${reply.status}`);
    }
    if ('raw' in reply) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(reply.raw);
    }
    const content = 'textToolCall' in reply ? writeCall(reply.textToolCall, reply.style, reply.prefix) : (reply.text ?? '');
    const toolCalls = 'toolCalls' in reply ? reply.toolCalls.map((c, i) => ({ id: c.id ?? `call_${rec.step}_${i}`, type: 'function' as const, function: { name: c.name, arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments) } })) : [];
    const usage =
      reply.usage === null
        ? undefined
        : (reply.usage ?? { prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4), completion_tokens: Math.ceil((content.length + JSON.stringify(toolCalls).length) / 4) });
    const finish = toolCalls.length ? 'tool_calls' : 'stop';
    rec.repliedAt = performance.now();
    if (body.stream) return this.sse(res, body, content, toolCalls, finish, usage, reply.stall === true, reply.chunkDelayMs ?? 0);
    this.json(res, 200, {
      id: `chatcmpl-${this.requests.length}`,
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: content || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: finish }],
      ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
    });
  }

  /** OpenAI SSE: role chunk, content in pieces, tool-call deltas (name, then arguments in two halves), finish, usage, [DONE]. */
  private async sse(res: ServerResponse, body: ChatBody, content: string, toolCalls: Array<{ id: string; function: { name: string; arguments: string } }>, finish: string, usage: { prompt_tokens: number; completion_tokens: number } | undefined, stall: boolean, chunkDelayMs: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const base = { id: `chatcmpl-${this.requests.length}`, object: 'chat.completion.chunk', created: 0, model: body.model };
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) => res.write(`data: ${JSON.stringify({ ...base, choices, ...extra })}\n\n`);
    send([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
    for (const piece of content.match(/[\s\S]{1,8}/g) ?? []) {
      if (chunkDelayMs) await new Promise((r) => setTimeout(r, chunkDelayMs));
      if (res.destroyed) return; // the client went away mid-stream
      send([{ index: 0, delta: { content: piece }, finish_reason: null }]);
    }
    if (stall) return; // headers and some text sent, then silence
    toolCalls.forEach((tc, index) => {
      const a = tc.function.arguments;
      const half = Math.ceil(a.length / 2);
      send([{ index: 0, delta: { tool_calls: [{ index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: a.slice(0, half) } }] }, finish_reason: null }]);
      send([{ index: 0, delta: { tool_calls: [{ index, function: { arguments: a.slice(half) } }] }, finish_reason: null }]);
    });
    send([{ index: 0, delta: {}, finish_reason: finish }]);
    if (usage && body.stream_options?.include_usage) send([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
    res.end('data: [DONE]\n\n');
  }

  private json(res: ServerResponse, status: number, payload: unknown): void {
    const data = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
    res.end(data);
  }

  private error(res: ServerResponse, status: number, message: string, code?: string): void {
    this.json(res, status, { error: { message, type: status === 401 ? 'invalid_request_error' : 'server_error', code: code ?? null } });
  }
}

/** A tool call as a model writes it into its text. */
export function writeCall(call: ScriptedToolCall, style: 'bare' | 'fenced' | 'tagged', prefix = ''): string {
  const json = JSON.stringify({ name: call.name, arguments: call.arguments });
  const body = style === 'bare' ? json : style === 'fenced' ? `\`\`\`json\n${json}\n\`\`\`` : `<tool_call>\n${json}\n</tool_call>`;
  return prefix ? `${prefix}\n${body}` : body;
}
