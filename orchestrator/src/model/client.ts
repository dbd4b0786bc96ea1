/**
 * The model client: chat completions against any OpenAI-compatible server through the `openai`
 * package. The package retries 408/409/429/5xx, connection errors and timeouts with exponential
 * backoff (Retry-After honoured); this module adds streaming with an idle timeout, tool calls read
 * natively or from JSON in the text (tool-calls.ts), usage accounting, typed errors that name the
 * fix, and one `onCall` record per call for the audit trail (model, tokens, latency, hashes — never
 * the key, the prompt or the reply).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { redactSecrets } from '../audit/redact';
import { PushPalsError } from '../errors';
import { estimateTokens, sha256, type Usage } from './accounting';
import type { ResolvedEndpoint } from './config';
import { extractJsonToolCalls, parseNativeToolCall, type ParsedToolCall } from './tool-calls';

export type ChatMessage = ChatCompletionMessageParam;

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools?: readonly ToolSpec[];
  /** Stream the reply; `onText` receives the text as it arrives. */
  stream?: boolean;
  onText?: (delta: string) => void;
  signal?: AbortSignal;
}

export type ToolCallSource = 'native' | 'json' | 'none';

export interface ChatReply {
  /** The reply's text without any tool calls written into it. */
  text: string;
  toolCalls: ParsedToolCall[];
  toolCallSource: ToolCallSource;
  finishReason: string | null;
  usage: Usage;
  latencyMs: number;
  /** HTTP requests made (1 + retries). */
  attempts: number;
  /** The assistant turn to append to the conversation before the tool results. */
  assistantMessage: ChatMessage;
}

/** What the audit trail records about one call. */
export interface ModelCallRecord {
  role: string;
  model: string;
  ok: boolean;
  latencyMs: number;
  attempts: number;
  stream: boolean;
  usage?: Usage;
  promptSha256: string;
  replySha256?: string;
  toolCallSource?: ToolCallSource;
  toolCalls?: number;
  error?: { code: string; message: string };
}

export interface ModelClientOptions {
  onCall?: (record: ModelCallRecord) => void;
}

/** The JSON-mode instructions: tools described in the prompt for servers that take no `tools`. */
function jsonToolPrompt(tools: readonly ToolSpec[]): string {
  const list = tools.map((t) => `- ${t.name}: ${t.description}\n  arguments (JSON Schema): ${JSON.stringify(t.parameters)}`).join('\n');
  return `You can call these tools. To call one, reply with only a JSON object {"name": "<tool>", "arguments": {...}} inside <tool_call></tool_call> tags; the result comes back in the next message.\n${list}`;
}

export class ModelClient {
  constructor(
    readonly endpoint: ResolvedEndpoint,
    private readonly key: string | undefined,
    private readonly opts: ModelClientOptions = {},
  ) {}

  /**
   * How a tool's result goes back to the model: a `tool` message (calls read from JSON text were
   * turned into native assistant tool_calls, so they are answered natively too), or in JSON mode a
   * user message.
   */
  toolResultMessage(call: { id: string; name: string }, output: string): ChatMessage {
    if (this.endpoint.toolCalls === 'json') {
      return { role: 'user', content: `Result of tool call ${call.name} (${call.id}):\n${output}` };
    }
    return { role: 'tool', tool_call_id: call.id, content: output };
  }

  /** Counts each call's HTTP attempts (retries included): the SDK instance is shared by the calls. */
  private readonly attempts = new AsyncLocalStorage<{ attempts: number }>();
  private shared: OpenAI | undefined;

  /**
   * The SDK instance, made once per client: its connections are kept alive from one call to the next
   * (a coding agent makes a call per step). Its fetch counts the attempts of the call it runs in.
   */
  private sdk(counter: { attempts: number }): { create: OpenAI['chat']['completions']['create']; list: OpenAI['models']['list'] } {
    const ep = this.endpoint;
    this.shared ??= new OpenAI({
      baseURL: ep.baseUrl,
      // The SDK insists on a key; a server that needs none (Ollama, llama.cpp) ignores this one.
      apiKey: this.key ?? 'no-key',
      timeout: ep.timeoutMs,
      maxRetries: ep.maxRetries,
      logLevel: 'off',
      fetch: (url, init) => {
        const c = this.attempts.getStore();
        if (c) c.attempts++;
        return fetch(url, init);
      },
    });
    const sdk = this.shared;
    return {
      create: ((...args: Parameters<OpenAI['chat']['completions']['create']>) => this.attempts.run(counter, () => sdk.chat.completions.create(...args))) as OpenAI['chat']['completions']['create'],
      list: ((...args: Parameters<OpenAI['models']['list']>) => this.attempts.run(counter, () => sdk.models.list(...args))) as OpenAI['models']['list'],
    };
  }

  async listModels(signal?: AbortSignal): Promise<string[]> {
    const counter = { attempts: 0 };
    try {
      const page = await this.sdk(counter).list(signal ? { signal } : undefined);
      return page.data.map((m) => m.id);
    } catch (e) {
      throw this.toError(e, counter.attempts);
    }
  }

  async chat(req: ChatRequest): Promise<ChatReply> {
    const ep = this.endpoint;
    const tools = req.tools ?? [];
    const jsonMode = ep.toolCalls === 'json' && tools.length > 0;
    const messages: ChatMessage[] = jsonMode ? [{ role: 'system', content: jsonToolPrompt(tools) }, ...req.messages] : req.messages;
    const body = {
      model: ep.model,
      messages,
      ...(tools.length && !jsonMode ? { tools: tools.map((t): ChatCompletionTool => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })) } : {}),
      ...(ep.maxTokens ? { max_tokens: ep.maxTokens } : {}),
      ...(ep.temperature !== null ? { temperature: ep.temperature } : {}),
    };
    const promptSha256 = sha256(JSON.stringify(body));
    const counter = { attempts: 0 };
    const started = performance.now();
    const stream = req.stream === true;
    try {
      const raw = stream ? await this.streamed(body, counter, req) : await this.plain(body, counter, req.signal);
      // The prompt is serialised again only for a server that reports no usage (it grows with every step).
      const reply = this.finish(raw, tools, jsonMode, counter.attempts, performance.now() - started, () => JSON.stringify(messages));
      this.opts.onCall?.({
        role: ep.role,
        model: ep.model,
        ok: true,
        latencyMs: Math.round(reply.latencyMs),
        attempts: reply.attempts,
        stream,
        usage: reply.usage,
        promptSha256,
        replySha256: sha256(JSON.stringify({ content: raw.content, toolCalls: raw.toolCalls })),
        toolCallSource: reply.toolCallSource,
        toolCalls: reply.toolCalls.length,
      });
      return reply;
    } catch (e) {
      const err = this.toError(e, counter.attempts);
      this.opts.onCall?.({ role: ep.role, model: ep.model, ok: false, latencyMs: Math.round(performance.now() - started), attempts: counter.attempts, stream, promptSha256, error: { code: err.code, message: err.message } });
      throw err;
    }
  }

  private async plain(body: Parameters<OpenAI['chat']['completions']['create']>[0], counter: { attempts: number }, signal?: AbortSignal): Promise<RawReply> {
    // The SDK leaves an abort listener on the signal it is given for good: give it one per call, so a
    // task's long-lived signal does not collect one listener per model call.
    const call = new AbortController();
    const onAbort = () => call.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.plainCall(body, counter, signal ? call.signal : undefined);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async plainCall(body: Parameters<OpenAI['chat']['completions']['create']>[0], counter: { attempts: number }, signal?: AbortSignal): Promise<RawReply> {
    const r = await this.sdk(counter).create({ ...body, stream: false }, signal ? { signal } : undefined);
    const choice = r.choices[0];
    if (!choice) throw new PushPalsError('model_error', `the ${this.endpoint.role} model returned no choices`);
    const msg = choice.message;
    return {
      content: msg.content ?? '',
      toolCalls: (msg.tool_calls ?? []).map((tc) => ({ id: tc.id, name: tc.type === 'function' ? tc.function.name : '', arguments: tc.type === 'function' ? tc.function.arguments : '' })),
      finishReason: choice.finish_reason ?? null,
      usage: r.usage ? { promptTokens: r.usage.prompt_tokens, completionTokens: r.usage.completion_tokens } : undefined,
    };
  }

  private async streamed(body: Parameters<OpenAI['chat']['completions']['create']>[0], counter: { attempts: number }, req: ChatRequest): Promise<RawReply> {
    // The SDK's timeout ends at the response headers; a stream that goes silent is cut here.
    const idle = new AbortController();
    const onAbort = () => idle.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let stalled = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        idle.abort();
      }, this.endpoint.timeoutMs);
    };
    const out: RawReply = { content: '', toolCalls: [], finishReason: null, usage: undefined };
    try {
      arm();
      const s = await this.sdk(counter).create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: idle.signal });
      for await (const chunk of s as AsyncIterable<ChatCompletionChunk>) {
        arm();
        if (chunk.usage) out.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices[0];
        if (!choice) continue;
        const d = choice.delta;
        if (d.content) {
          out.content += d.content;
          req.onText?.(d.content);
        }
        for (const tc of d.tool_calls ?? []) {
          const slot = (out.toolCalls[tc.index] ??= { id: '', name: '', arguments: '' });
          if (tc.id) slot.id = tc.id;
          if (tc.function?.name) slot.name += tc.function.name;
          if (tc.function?.arguments) slot.arguments += tc.function.arguments;
        }
        if (choice.finish_reason) out.finishReason = choice.finish_reason;
      }
      // The SDK ends an aborted stream quietly: an abort must not pass for a complete reply.
      if (!stalled && req.signal?.aborted) throw new OpenAI.APIUserAbortError();
    } catch (e) {
      if (!stalled) throw e;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
    if (stalled) throw new PushPalsError('timeout', `the ${this.endpoint.role} model's stream went silent for ${this.endpoint.timeoutMs} ms (models.timeoutMs)`);
    out.toolCalls = out.toolCalls.filter(Boolean);
    return out;
  }

  private finish(raw: RawReply, tools: readonly ToolSpec[], jsonMode: boolean, attempts: number, latencyMs: number, promptText: () => string): ChatReply {
    const usage: Usage = raw.usage
      ? { ...raw.usage, estimated: false }
      : { promptTokens: estimateTokens(promptText()), completionTokens: estimateTokens(raw.content + raw.toolCalls.map((t) => t.name + t.arguments).join('')), estimated: true };
    const base = { finishReason: raw.finishReason, usage, latencyMs, attempts };
    if (raw.toolCalls.length && !jsonMode) {
      const toolCalls = raw.toolCalls.map((t) => parseNativeToolCall({ id: t.id, function: { name: t.name, arguments: t.arguments } }));
      return {
        ...base,
        text: raw.content,
        toolCalls,
        toolCallSource: 'native',
        assistantMessage: {
          role: 'assistant',
          content: raw.content || null,
          tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.error ? c.raw : JSON.stringify(c.arguments) } })),
        },
      };
    }
    if (this.endpoint.toolCalls !== 'native' && tools.length) {
      const { calls, text } = extractJsonToolCalls(raw.content, tools);
      if (calls.length) {
        // The conversation goes on in the shape the server understands: native turns unless in JSON mode.
        const assistantMessage: ChatMessage = jsonMode
          ? { role: 'assistant', content: raw.content }
          : { role: 'assistant', content: text || null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name || 'invalid', arguments: c.error ? '{}' : JSON.stringify(c.arguments) } })) };
        return { ...base, text, toolCalls: calls, toolCallSource: 'json', assistantMessage };
      }
    }
    return { ...base, text: raw.content, toolCalls: [], toolCallSource: 'none', assistantMessage: { role: 'assistant', content: raw.content } };
  }

  /** Any failure as a PushPalsError whose message says what is wrong and where (the key redacted). */
  toError(e: unknown, attempts: number): PushPalsError {
    const ep = this.endpoint;
    const where = `the ${ep.role} model "${ep.model}" at ${ep.baseUrl}`;
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
    const clean = (s: string) => redactSecrets(s, this.key ? [this.key] : []).slice(0, 1500);
    const make = (code: PushPalsError['code'], msg: string, details: Record<string, unknown> = {}) => new PushPalsError(code, clean(msg), { role: ep.role, model: ep.model, attempts, ...details });
    if (e instanceof PushPalsError) return make(e.code, e.message, e.details);
    if (e instanceof OpenAI.APIUserAbortError) return make('cancelled', `${where}: the call was cancelled`);
    if (e instanceof OpenAI.APIConnectionTimeoutError) return make('timeout', `${where} did not answer within ${ep.timeoutMs} ms${tries} (models.timeoutMs)`);
    if (e instanceof OpenAI.APIConnectionError) {
      const cause = e.cause instanceof Error ? `: ${e.cause.message}${(e.cause as { cause?: unknown }).cause instanceof Error ? ` (${((e.cause as { cause: Error }).cause).message})` : ''}` : '';
      return make('model_error', `${where} cannot be reached${cause}${tries}: is the server running, and is models.baseUrl right?`);
    }
    if (e instanceof OpenAI.APIError) {
      const status = e.status;
      const server = e.message ? ` — the server said: ${e.message}` : '';
      if (status === 401 || status === 403) return make('model_error', `${where} refused the API key (HTTP ${status})${server}. Put the key in the file ${ep.keyPath} (chmod 600) or the env variable ${ep.keyEnv}`, { status });
      if (status === 404) return make('model_error', `${where} answered 404${server}: check the model name (models.model) and that the base URL ends where the API starts (often /v1)`, { status });
      if (status === 429) return make('rate_limited', `${where} is rate-limiting us (HTTP 429)${tries}${server}`, { status });
      if (status !== undefined && status >= 500) return make('model_error', `${where} failed with HTTP ${status}${tries}${server}`, { status });
      return make('model_error', `${where} rejected the request (HTTP ${status ?? '?'})${server}`, { status });
    }
    return make('model_error', `${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

interface RawReply {
  content: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: string | null;
  usage: { promptTokens: number; completionTokens: number } | undefined;
}
