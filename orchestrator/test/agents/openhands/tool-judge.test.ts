/** PushPals' policy on OpenHands tool calls: terminal by the command classifier, file edits by its path rules. */
import assert from 'node:assert/strict';
import { judgeToolCall, refusalThought } from '../../../src/agents/openhands/tool-judge';
import { EMPTY_POLICY } from '../../../src/policy';
import { inlineClassifier } from '../../../src/policy/classifier-pool';

const judge = (name: string, args: Record<string, unknown>) => judgeToolCall(inlineClassifier, name, args, EMPTY_POLICY, false);

describe('OpenHands tool judge', () => {
  it('terminal commands get the classifier verdicts; network needs are denied (no network in the sandbox)', async () => {
    assert.equal((await judge('terminal', { command: 'git status' })).verdict, 'allow');
    assert.equal((await judge('terminal', { command: 'git status' })).tool, 'run_command');
    assert.equal((await judge('terminal', { command: 'python3 -c "print(1)"' })).verdict, 'ask');
    assert.match((await judge('terminal', { command: 'rm -rf /etc' })).reason, /writes outside the workspace/);
    const net = (await judge('terminal', { command: 'npm install left-pad' }));
    assert.equal(net.verdict, 'deny');
    assert.match(net.reason, /network/);
    assert.equal((await judge('terminal', { command: '' })).verdict, 'allow');
  });

  it('file_editor: views anywhere, writes inside the working copy only, never .git or home dotfiles', async () => {
    assert.equal((await judge('file_editor', { command: 'view', path: '/proc/1/environ' })).verdict, 'allow');
    assert.equal((await judge('file_editor', { command: 'str_replace', path: '/workspace/src/a.js' })).verdict, 'allow');
    assert.equal((await judge('file_editor', { command: 'create', path: '/tmp/x.py' })).verdict, 'allow');
    assert.equal((await judge('file_editor', { command: 'create', path: '/workspace/.git/hooks/pre-commit' })).verdict, 'deny');
    assert.equal((await judge('file_editor', { command: 'insert', path: '/home/agent/.bashrc' })).verdict, 'deny');
    assert.equal((await judge('file_editor', { command: 'create', path: '/etc/passwd' })).verdict, 'deny');
    assert.equal((await judge('file_editor', { command: 'create', path: '/workspace/../etc/x' })).verdict, 'deny');
    assert.equal((await judge('file_editor', { command: 'create', path: 'relative.txt' })).verdict, 'deny');
    assert.equal((await judge('file_editor', { command: 'format_disk', path: '/workspace/a' })).verdict, 'deny');
  });

  it('finish/think are allowed, other tools denied; the refusal names the action and the reason', async () => {
    assert.equal((await judge('finish', { message: 'x' })).verdict, 'allow');
    assert.equal((await judge('think', { thought: 'x' })).verdict, 'allow');
    const other = (await judge('browser_navigate', { url: 'http://x' }));
    assert.equal(other.verdict, 'deny');
    assert.match(refusalThought((await judge('terminal', { command: 'rm -rf /etc' })), 'denied by policy: writes outside'), /refused[\s\S]*rm -rf \/etc[\s\S]*Reason: denied by policy: writes outside/);
  });
});
