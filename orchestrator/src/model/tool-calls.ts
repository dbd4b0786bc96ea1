/**
 * Tool calls out of a model's reply. Native `tool_calls` are parsed (their arguments are JSON text);
 * many local models (Qwen2.5-Coder under llama.cpp, ...) write the call as JSON in the content
 * instead — a bare object, a ```json fenced block, or `<tool_call>...</tool_call>` (or `<tools>`) tags — and
 * `extractJsonToolCalls` recovers those. A call whose arguments cannot be parsed is returned with an
 * `error`, so the agent can send the error back to the model instead of guessing.
 */

export interface ToolSpecLike {
  name: string;
  parameters?: { properties?: Record<string, unknown>; required?: readonly string[] };
}

export type ParsedToolCall =
  | { id: string; name: string; arguments: Record<string, unknown>; error?: undefined }
  | { id: string; name: string; arguments?: undefined; error: string; raw: string };

let seq = 0;
const callId = (): string => `call_pp${Date.now().toString(36)}${(seq++).toString(36)}`;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A native tool call (`{ id, function: { name, arguments } }`) with its arguments parsed. */
export function parseNativeToolCall(tc: { id?: string; function?: { name?: string; arguments?: string } }): ParsedToolCall {
  const id = tc.id || callId();
  const name = tc.function?.name ?? '';
  const raw = tc.function?.arguments ?? '';
  if (!name) return { id, name: '', error: 'the tool call has no function name', raw: raw.slice(0, 2000) };
  if (raw.trim() === '') return { id, name, arguments: {} };
  try {
    const args: unknown = JSON.parse(raw);
    if (!isObj(args)) return { id, name, error: 'the arguments must be a JSON object', raw: raw.slice(0, 2000) };
    return { id, name, arguments: args };
  } catch (e) {
    return { id, name, error: `the arguments are not valid JSON (${(e as Error).message})`, raw: raw.slice(0, 2000) };
  }
}

/** Every top-level `{...}` span of `text` that is balanced (strings respected); not necessarily valid JSON. */
export function balancedObjects(text: string): Array<{ start: number; end: number; text: string }> {
  const out: Array<{ start: number; end: number; text: string }> = [];
  let i = text.indexOf('{');
  // A brace that never closes (`{{"name": ...}}`: a small model doubled the opening one) hides the
  // objects after it: skip it and scan again, a few times at most (each scan reads to the end).
  let rescans = 8;
  while (i >= 0 && i < text.length) {
    let depth = 0;
    let inStr = false;
    let end = -1;
    for (let j = i; j < text.length; j++) {
      const ch = text[j];
      if (inStr) {
        if (ch === '\\') j++;
        else if (ch === '"') inStr = false;
      } else if (ch === '"') inStr = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        end = j + 1;
        break;
      }
    }
    if (end < 0) {
      if (rescans-- === 0) break;
      i = text.indexOf('{', i + 1);
      continue;
    }
    out.push({ start: i, end, text: text.slice(i, end) });
    i = text.indexOf('{', end);
  }
  return out;
}

const FENCE = /```(?:json|JSON|tool_call)?[ \t]*\n?([\s\S]*?)```/g;
// `<tools>`: Qwen's chat template lists the tools inside <tools></tools>, and small Qwen2.5-Coder
// models (1.5B under llama.cpp) copy that wrapper around their call instead of <tool_call>.
const TAGGED = /<(tool_call|tools)>\s*([\s\S]*?)\s*(?:<\/\1>|$)/g;

/** Normalises the shapes models use: {name, arguments}, {type:'function', function:{...}}, {tool, parameters}, {function, args}. */
function asCall(obj: Record<string, unknown>): { name: unknown; args: unknown } {
  const o = obj.type === 'function' && isObj(obj.function) ? obj.function : obj;
  return { name: o.name ?? o.tool ?? o.function, args: o.arguments ?? o.parameters ?? o.args };
}

/** Maps an invented tool name to the only tool whose parameters fit the arguments (small models do this). */
function fitTool(args: Record<string, unknown>, tools: readonly ToolSpecLike[]): string | undefined {
  const keys = Object.keys(args);
  if (keys.length === 0) return undefined;
  const fitting = tools.filter((t) => {
    const props = Object.keys(t.parameters?.properties ?? {});
    return keys.every((k) => props.includes(k)) && (t.parameters?.required ?? []).every((r) => keys.includes(r));
  });
  return fitting.length === 1 ? fitting[0]?.name : undefined;
}

/**
 * JSON.parse, and one repair: `{{...}}` (small models sometimes double the braces, as in template
 * syntax) is read as the object inside.
 */
function parseObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    if (text.startsWith('{{') && text.endsWith('}}')) {
      try {
        return JSON.parse(text.slice(1, -1));
      } catch {
        // fall through to the original error
      }
    }
    throw e;
  }
}

export interface JsonToolCalls {
  calls: ParsedToolCall[];
  /** The content without the spans that held calls (trimmed). */
  text: string;
}

/**
 * Tool calls written as JSON text in `content`. Tagged regions are explicit calls: one whose JSON is
 * broken becomes a call with an error. In fenced blocks and bare text only objects that parse and
 * name a tool count (a JSON example in prose is not a call).
 */
export function extractJsonToolCalls(content: string, tools: readonly ToolSpecLike[]): JsonToolCalls {
  if (!content || tools.length === 0) return { calls: [], text: content };
  const names = new Set(tools.map((t) => t.name));
  type Region = { start: number; end: number; body: string; tagged: boolean };
  const regions: Region[] = [];
  for (const m of content.matchAll(TAGGED)) regions.push({ start: m.index, end: m.index + m[0].length, body: m[2] ?? '', tagged: true });
  for (const m of content.matchAll(FENCE)) {
    if (!regions.some((r) => m.index < r.end && r.start < m.index + m[0].length)) regions.push({ start: m.index, end: m.index + m[0].length, body: m[1] ?? '', tagged: false });
  }
  if (regions.length === 0) regions.push({ start: 0, end: content.length, body: content, tagged: false });

  const calls: ParsedToolCall[] = [];
  const used: Array<[number, number]> = [];
  for (const r of regions) {
    const objects = balancedObjects(r.body);
    let found = false;
    for (const o of objects) {
      let obj: unknown;
      try {
        obj = parseObject(o.text);
      } catch (e) {
        if (r.tagged) {
          calls.push({ id: callId(), name: '', error: `the tool call is not valid JSON (${(e as Error).message})`, raw: o.text.slice(0, 2000) });
          found = true;
        }
        continue;
      }
      if (!isObj(obj)) continue;
      const { name, args: rawArgs } = asCall(obj);
      let args = rawArgs;
      if (typeof rawArgs === 'string') {
        try {
          args = JSON.parse(rawArgs);
        } catch {
          if (r.tagged && typeof name === 'string') {
            calls.push({ id: callId(), name, error: 'the arguments are a string that is not valid JSON', raw: rawArgs.slice(0, 2000) });
            found = true;
          }
          continue;
        }
      }
      if (typeof name !== 'string' || !isObj(args)) continue;
      const tool = names.has(name) ? name : fitTool(args, tools);
      if (!tool) {
        if (r.tagged) {
          calls.push({ id: callId(), name, error: `there is no tool named "${name}"`, raw: o.text.slice(0, 2000) });
          found = true;
        }
        continue;
      }
      calls.push({ id: callId(), name: tool, arguments: args });
      found = true;
      if (r.body === content) used.push([o.start, o.end]);
    }
    if (r.tagged && !found && r.body.trim()) {
      calls.push({ id: callId(), name: '', error: 'the <tool_call> block holds no JSON object', raw: r.body.slice(0, 2000) });
      found = true;
    }
    if (found && r.body !== content) used.push([r.start, r.end]);
  }
  if (calls.length === 0) return { calls, text: content };
  let text = '';
  let pos = 0;
  for (const [s, e] of used.sort((a, b) => a[0] - b[0])) {
    if (s >= pos) text += content.slice(pos, s);
    pos = Math.max(pos, e);
  }
  text += content.slice(pos);
  return { calls, text: text.trim() };
}
