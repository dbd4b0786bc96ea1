/**
 * The exported limits are the ones the schemas enforce: a value at the limit validates, one character
 * more is refused; `isId` accepts exactly what the `Id` schema accepts.
 */
import assert from 'node:assert/strict';
import { ID_MAX_LENGTH, MAX_MESSAGE_LENGTH, MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, isId, makeCommand, validateCommand, validateServerMessage } from '../src';
import { clone, validFixtures } from './helpers';

const fixture = (name: string): Record<string, unknown> => clone(validFixtures().get(name)) as Record<string, unknown>;
const withPayload = (name: string, patch: Record<string, unknown>): unknown => {
  const m = fixture(name);
  return { ...m, payload: { ...(m.payload as Record<string, unknown>), ...patch } };
};

describe('protocol limits', () => {
  it('isId agrees with the Id schema (task_cancel.taskId) on edge cases', () => {
    const cases = ['a', 'task_1', 'ap:x.y-z', 'x'.repeat(ID_MAX_LENGTH), 'x'.repeat(ID_MAX_LENGTH + 1), '', 'has space', 'slash/no', 'ümlaut', 'new\nline'];
    for (const id of cases) {
      const schemaSays = validateCommand(makeCommand('task_cancel', { taskId: id }, { sessionId: 's1' })).ok;
      assert.equal(isId(id), schemaSays, JSON.stringify(id));
    }
    assert.equal(isId('x'.repeat(ID_MAX_LENGTH)), true);
    assert.equal(isId('x'.repeat(ID_MAX_LENGTH + 1)), false);
  });

  it('MAX_MESSAGE_LENGTH is the limit of a progress message and an error message', () => {
    assert.ok(validateServerMessage(withPayload('task_progress', { message: 'm'.repeat(MAX_MESSAGE_LENGTH) })).ok);
    assert.equal(validateServerMessage(withPayload('task_progress', { message: 'm'.repeat(MAX_MESSAGE_LENGTH + 1) })).ok, false);
    assert.ok(validateServerMessage(withPayload('task_failed', { error: { code: 'internal', message: 'm'.repeat(MAX_MESSAGE_LENGTH) } })).ok);
    assert.equal(validateServerMessage(withPayload('task_failed', { error: { code: 'internal', message: 'm'.repeat(MAX_MESSAGE_LENGTH + 1) } })).ok, false);
  });

  it('MAX_TITLE_LENGTH limits a task title; MAX_TEXT_LENGTH a chat message', () => {
    assert.ok(validateServerMessage(withPayload('task_created', { title: 't'.repeat(MAX_TITLE_LENGTH) })).ok);
    assert.equal(validateServerMessage(withPayload('task_created', { title: 't'.repeat(MAX_TITLE_LENGTH + 1) })).ok, false);
    assert.ok(validateCommand(makeCommand('chat_send', { text: 'c'.repeat(MAX_TEXT_LENGTH) }, { sessionId: 's1' })).ok);
    assert.equal(validateCommand(makeCommand('chat_send', { text: 'c'.repeat(MAX_TEXT_LENGTH + 1) }, { sessionId: 's1' })).ok, false);
  });
});
