/**
 * What the chat shows while a reply streams (src/chatState.ts): host messages folded with the shared
 * reducer. Pieces build a draft after the timeline; the stored reply replaces it; a lost connection
 * drops it; `init` (a webview shown again) restores the drafts the host holds; `reset` drops all.
 */
import assert from 'node:assert/strict';
import type { EventMessage, TransientMessage } from '@pushpals/protocol/client';
import { createClientState, draftList, type ClientState } from '@pushpals/protocol/state';
import { applyHostMessage } from '../src/chatState';
import { isHostToWebview, type HostToWebview } from '../src/messages';

const TS = '2025-01-01T00:00:00.000Z';
let seq = 0;
const stored = (type: 'user_message' | 'assistant_message' | 'done', payload: Record<string, unknown>, id = `e${seq + 1}`): EventMessage =>
  ({ protocolVersion: '1.1', id, ts: TS, sessionId: 's1', type, from: type === 'user_message' ? 'user' : 'orchestrator', turnId: 't1', seq: ++seq, payload }) as unknown as EventMessage;
const piece = (messageId: string, offset: number, text: string): TransientMessage =>
  ({ protocolVersion: '1.1', id: `d${offset}`, ts: TS, sessionId: 's1', type: 'assistant_delta', from: 'orchestrator', turnId: 't1', payload: { messageId, offset, text } }) as TransientMessage;

/** Feeds messages through the contract's guard (as main.ts receives them) and the fold. */
function feed(state: ClientState, ...msgs: HostToWebview[]): { state: ClientState; changed: boolean[] } {
  const changed: boolean[] = [];
  for (const m of msgs) {
    assert.ok(isHostToWebview(JSON.parse(JSON.stringify(m))), `the contract accepts ${m.type}`);
    const r = applyHostMessage(state, m);
    state = r.state;
    changed.push(r.changed);
  }
  return { state, changed };
}
const shown = (s: ClientState): string[] => [
  ...s.timeline.map((i) => (i.kind === 'task' ? `task ${i.task.taskId}` : `${i.kind}: ${i.text}`)),
  ...draftList(s).map((d) => `draft: ${d.text}${d.gap ? ' (gap)' : ''}`),
];
const connected = { type: 'connection', connection: { state: 'connected' } } as const;

describe('chat state while a reply streams', () => {
  it('pieces show as a draft after the timeline, then the stored reply replaces it', () => {
    let { state } = feed(createClientState(), { type: 'init', events: [stored('user_message', { text: 'Explain' })], connection: { state: 'connected' }, sessionId: 's1' });
    ({ state } = feed(state, { type: 'transient', message: piece('e_r', 0, 'PushPals runs ') }, { type: 'transient', message: piece('e_r', 14, 'agents') }));
    assert.deepEqual(shown(state), ['user: Explain', 'draft: PushPals runs agents']);
    ({ state } = feed(state, { type: 'events', events: [stored('assistant_message', { text: 'PushPals runs agents in sandboxes.' }, 'e_r'), stored('done', {})] }));
    assert.deepEqual(shown(state), ['user: Explain', 'assistant: PushPals runs agents in sandboxes.']);
  });

  it('a lost connection drops the draft; the snapshot after the reconnect brings it back whole', () => {
    let { state } = feed(createClientState(), { type: 'init', events: [], connection: { state: 'connected' }, sessionId: 's1' }, { type: 'transient', message: piece('e_r', 0, 'Half a ') });
    ({ state } = feed(state, { type: 'connection', connection: { state: 'reconnecting', detail: 'connection closed (1006)' } }));
    assert.deepEqual(shown(state), []);
    ({ state } = feed(state, connected, { type: 'transient', message: piece('e_r', 0, 'Half a reply, ') }, { type: 'transient', message: piece('e_r', 14, 'then more') }));
    assert.deepEqual(shown(state), ['draft: Half a reply, then more']);
  });

  it('a piece past the end of the draft (one was missed) shows a gap until the stored reply', () => {
    let { state } = feed(createClientState(), { type: 'transient', message: piece('e_r', 0, 'Start') }, { type: 'transient', message: piece('e_r', 50, 'later') });
    assert.deepEqual(shown(state), ['draft: Start (gap)']);
    ({ state } = feed(state, { type: 'events', events: [stored('assistant_message', { text: 'The whole reply.' }, 'e_r')] }));
    assert.deepEqual(shown(state), ['assistant: The whole reply.']);
  });

  it('init restores the drafts the host holds (a hidden webview shown again), except one whose reply the history already has', () => {
    const draft = (messageId: string, text: string) => ({ messageId, text, from: 'orchestrator', ts: TS, turnId: 't1', gap: false });
    const { state, changed } = feed(createClientState(), {
      type: 'init',
      events: [stored('assistant_message', { text: 'Finished.' }, 'e_done')],
      drafts: [draft('e_live', 'Still writ'), draft('e_done', 'Finis')],
      connection: { state: 'connected' },
      sessionId: 's1',
    });
    assert.deepEqual(changed, [true]);
    assert.deepEqual(shown(state), ['assistant: Finished.', 'draft: Still writ']);
    const next = feed(state, { type: 'transient', message: piece('e_live', 10, 'ing') }).state;
    assert.deepEqual(shown(next), ['assistant: Finished.', 'draft: Still writing']);
  });

  it('reset drops everything; requests and focus change nothing the chat shows', () => {
    let { state } = feed(createClientState(), { type: 'transient', message: piece('e_r', 0, 'x') });
    const r = feed(state, { type: 'result', requestId: 'w1', ok: true }, { type: 'focusTask', taskId: 'task_1' });
    assert.deepEqual(r.changed, [false, false]);
    ({ state } = feed(state, { type: 'reset' }));
    assert.deepEqual(shown(state), []);
  });

  it('the contract refuses a transient message without a type', () => {
    assert.equal(isHostToWebview({ type: 'transient', message: { payload: {} } }), false);
    assert.equal(isHostToWebview({ type: 'transient' }), false);
  });
});
