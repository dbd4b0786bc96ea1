/**
 * `pushpals model test`: checks a role's endpoint step by step — reachable, key accepted, model
 * served, tool calls native or through the JSON fallback — and says exactly what is wrong.
 */
import { PushPalsError } from '../errors';
import type { ModelClient, ToolSpec } from './client';

export interface ProbeCheck {
  name: 'reachable' | 'auth' | 'model' | 'tool_calls';
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  ok: boolean;
  checks: ProbeCheck[];
  /** How tool calls came back: native `tool_calls`, JSON in the text, or not at all. */
  toolCalls?: 'native' | 'json' | 'none';
}

const PROBE_TOOL: ToolSpec = {
  name: 'get_time',
  description: 'Returns the current time in a time zone.',
  parameters: { type: 'object', properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. UTC' } }, required: ['timezone'] },
};

export async function probeModel(client: ModelClient, keySource: string): Promise<ProbeResult> {
  const checks: ProbeCheck[] = [];
  const done = (toolCalls?: ProbeResult['toolCalls']): ProbeResult => ({ ok: checks.every((c) => c.ok), checks, ...(toolCalls ? { toolCalls } : {}) });
  const ep = client.endpoint;

  let models: string[] | undefined;
  try {
    models = await client.listModels();
    checks.push({ name: 'reachable', ok: true, detail: `${ep.baseUrl} answers` });
    checks.push({ name: 'auth', ok: true, detail: `the key was accepted (key: ${keySource})` });
  } catch (e) {
    const err = e instanceof PushPalsError ? e : client.toError(e, 1);
    const status = err.details?.status;
    if (status === 401 || status === 403) {
      checks.push({ name: 'reachable', ok: true, detail: `${ep.baseUrl} answers` });
      checks.push({ name: 'auth', ok: false, detail: `${err.message} (key: ${keySource})` });
      return done();
    }
    if (status === undefined) {
      checks.push({ name: 'reachable', ok: false, detail: err.message });
      return done();
    }
    // Some servers have no /models: go on, the chat call below tells the rest.
    checks.push({ name: 'reachable', ok: true, detail: `${ep.baseUrl} answers (GET /models: HTTP ${String(status)}, model list unavailable)` });
  }
  if (models) {
    const served = models.includes(ep.model);
    checks.push({ name: 'model', ok: served, detail: served ? `"${ep.model}" is served` : `"${ep.model}" is not among the served models: ${models.slice(0, 20).join(', ') || '(none)'} — set models.model to one of them` });
    if (!served) return done();
  }

  try {
    const reply = await client.chat({
      messages: [
        { role: 'system', content: 'You are a tool-calling assistant. Answer only with a tool call.' },
        { role: 'user', content: 'What time is it in UTC? Call the get_time tool with timezone "UTC".' },
      ],
      tools: [PROBE_TOOL],
    });
    if (!checks.some((c) => c.name === 'auth')) checks.push({ name: 'auth', ok: true, detail: `the key was accepted (key: ${keySource})` });
    if (!models) checks.push({ name: 'model', ok: true, detail: `"${ep.model}" answered a chat request` });
    const call = reply.toolCalls.find((c) => !c.error && c.name === PROBE_TOOL.name);
    if (call && reply.toolCallSource === 'native') checks.push({ name: 'tool_calls', ok: true, detail: 'native: the reply carried tool_calls' });
    else if (call) checks.push({ name: 'tool_calls', ok: true, detail: 'JSON fallback: the model writes its calls as JSON text; PushPals reads them (models.toolCalls "auto")' });
    else if (reply.toolCalls.length) checks.push({ name: 'tool_calls', ok: false, detail: `the model tried a tool call but it is unusable: ${reply.toolCalls[0]?.error ?? `called "${reply.toolCalls[0]?.name}"`}` });
    else checks.push({ name: 'tool_calls', ok: false, detail: `the model answered in text instead of calling the tool (${JSON.stringify(reply.text.slice(0, 160))}): it cannot drive the coding agent; use a model trained for tool calling` });
    return done(call ? reply.toolCallSource : 'none');
  } catch (e) {
    const err = e instanceof PushPalsError ? e : client.toError(e, 1);
    const status = err.details?.status;
    const name = status === 401 || status === 403 ? 'auth' : status === 404 ? 'model' : 'tool_calls';
    checks.push({ name, ok: false, detail: err.message });
    return done();
  }
}
