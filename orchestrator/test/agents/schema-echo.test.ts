/** The coding agent's answer to a small model that sends a tool's parameter schema instead of values. */
import assert from 'node:assert/strict';
import { TOOL_SPECS, schemaEcho } from '../../src/agents/builtin/tools';

describe('coding agent: a tool called with its own schema as arguments', () => {
  it('is refused with the call to make instead, built from the tool\'s required parameters', () => {
    const readFile = TOOL_SPECS.find((t) => t.name === 'read_file');
    assert.ok(readFile);
    // What Qwen2.5-Coder-1.5B under llama.cpp sent: the parameters object it was shown.
    const msg = schemaEcho('read_file', { ...readFile.parameters });
    assert.equal(msg, 'these arguments are the tool\'s parameter schema, not values. Call it with values, like {"name": "read_file", "arguments": {"path":"<file path>"}}');
    assert.match(schemaEcho('edit_file', { type: 'object', properties: {} }) ?? '', /"old_text":"<the exact text to replace>","new_text":"<the replacement>"/);
    assert.match(schemaEcho('list_files', { type: 'object', properties: {}, required: [] }) ?? '', /"arguments": \{"path":"<directory, default /, 'no required parameter: the first one');
  });

  it('real values pass, even a value named "type"', () => {
    assert.equal(schemaEcho('read_file', { path: 'src/a.js' }), undefined);
    assert.equal(schemaEcho('run_command', { command: 'git status', type: 'object' }), undefined);
    assert.equal(schemaEcho('no_such_tool', { type: 'object', properties: {} }), undefined);
  });
});
