import assert from 'node:assert/strict';
import { extractJsonToolCalls, parseNativeToolCall, type ToolSpecLike } from '../../src/model/tool-calls';

const TOOLS: ToolSpecLike[] = [
  { name: 'read_file', parameters: { properties: { path: {}, start_line: {}, end_line: {} }, required: ['path'] } },
  { name: 'run_command', parameters: { properties: { command: {} }, required: ['command'] } },
];

describe('model: tool calls written as JSON text (fallback parsing)', () => {
  // [what, content, expected calls as name(args JSON) or "!error", expected leftover text]
  const table: Array<[string, string, string[], string]> = [
    ['a bare object', '{"name": "read_file", "arguments": {"path": "a.js"}}', ['read_file({"path":"a.js"})'], ''],
    ['a ```json fenced block with prose around', 'Let me look.\n```json\n{"name": "run_command", "arguments": {"command": "ls"}}\n```\nthen more', ['run_command({"command":"ls"})'], 'Let me look.\n\nthen more'],
    ['<tool_call> tags (Qwen template)', '<tool_call>\n{"name": "read_file", "arguments": {"path": "b"}}\n</tool_call>', ['read_file({"path":"b"})'], ''],
    ['an unclosed <tool_call> tag', 'ok <tool_call>{"name": "run_command", "arguments": {"command": "pwd"}}', ['run_command({"command":"pwd"})'], 'ok'],
    ['<tools> tags (Qwen2.5-Coder-1.5B under llama.cpp copies the template\'s tools wrapper)', '<tools>\n{"name": "run_command", "arguments": {"command": "git status"}}\n</tools>', ['run_command({"command":"git status"})'], ''],
    ['doubled braces {{...}} (as a 1.5B model writes finish)', '{{"name": "run_command", "arguments": {"command": "git branch"}}}', ['run_command({"command":"git branch"})'], ''],
    ['a doubled opening brace that never closes (what the 1.5B model wrote for finish)', '{{"name": "run_command", "arguments": {"command": "git status"}}', ['run_command({"command":"git status"})'], '{'],
    ['two tagged calls', '<tool_call>{"name":"read_file","arguments":{"path":"x"}}</tool_call>\n<tool_call>{"name":"run_command","arguments":{"command":"ls"}}</tool_call>', ['read_file({"path":"x"})', 'run_command({"command":"ls"})'], ''],
    ['OpenAI-shaped {type: function, function: {...}}', '{"type": "function", "function": {"name": "run_command", "arguments": "{\\"command\\": \\"git status\\"}"}}', ['run_command({"command":"git status"})'], ''],
    ['{tool, parameters} spelling', '```\n{"tool": "read_file", "parameters": {"path": "c"}}\n```', ['read_file({"path":"c"})'], ''],
    ['an invented name mapped to the only tool that fits', '{"name": "cat_file", "arguments": {"path": "d", "start_line": 1}}', ['read_file({"path":"d","start_line":1})'], ''],
    ['prose with a JSON example that is no call', 'The config looks like {"port": 8080}.', [], 'The config looks like {"port": 8080}.'],
    ['a fenced block with broken JSON is text', '```json\n{"name": "read_file", "arguments": {"path": \n```', [], '```json\n{"name": "read_file", "arguments": {"path": \n```'],
    ['a tagged call with broken JSON is a malformed call', '<tool_call>{"name": "read_file", "arguments": {"path": "x"</tool_call>', ['!error'], ''],
    ['a tagged call to an unknown tool is a malformed call', '<tool_call>{"name": "delete_all", "arguments": {"x": 1}}</tool_call>', ['!error'], ''],
    ['braces inside strings do not confuse the scanner', '{"name": "run_command", "arguments": {"command": "echo \\"}{\\""}}', ['run_command({"command":"echo \\"}{\\""})'], ''],
  ];
  for (const [what, content, want, leftover] of table) {
    it(what, () => {
      const { calls, text } = extractJsonToolCalls(content, TOOLS);
      assert.deepEqual(
        calls.map((c) => (c.error !== undefined ? '!error' : `${c.name}(${JSON.stringify(c.arguments)})`)),
        want,
      );
      assert.equal(text, leftover);
      for (const c of calls) assert.match(c.id, /^call_/);
    });
  }

  it('no tools offered: nothing is a call', () => {
    assert.deepEqual(extractJsonToolCalls('{"name":"read_file","arguments":{"path":"x"}}', []).calls, []);
  });
});

describe('model: native tool calls', () => {
  it('parses the arguments; empty arguments are {}', () => {
    assert.deepEqual(parseNativeToolCall({ id: 'c1', function: { name: 'read_file', arguments: '{"path":"a"}' } }), { id: 'c1', name: 'read_file', arguments: { path: 'a' } });
    assert.deepEqual(parseNativeToolCall({ id: 'c2', function: { name: 'list_files', arguments: '' } }), { id: 'c2', name: 'list_files', arguments: {} });
  });
  it('broken or non-object arguments become a call with an error (for the model to see)', () => {
    const bad = parseNativeToolCall({ id: 'c3', function: { name: 'read_file', arguments: '{"path": "a"' } });
    assert.equal(bad.name, 'read_file');
    assert.match(bad.error ?? '', /not valid JSON/);
    assert.match(parseNativeToolCall({ id: 'c4', function: { name: 'x', arguments: '[1]' } }).error ?? '', /JSON object/);
    assert.match(parseNativeToolCall({ id: 'c5', function: { arguments: '{}' } }).error ?? '', /no function name/);
  });
});
