/**
 * Drafts of chat replies in the shared reducer (src/state/drafts.ts): `assistant_delta` pieces build a
 * draft, the stored `assistant_message` with the draft's id replaces it, the turn's `done`/`error` ends
 * one left without it, and a client that (re)connects mid-reply gets the whole text so far at offset 0.
 */
import assert from 'node:assert/strict';
import {
  applyEvent,
  applyTransient,
  clearDrafts,
  createClientState,
  draftList,
  validateServerMessage,
  type ClientState,
  type EventMessage,
  type EventPayload,
  type EventType,
  type TransientMessage,
} from '../src';

const TS = '2025-01-01T00:00:00.000Z';
let seq = 0;
const ev = <K extends EventType>(type: K, payload: EventPayload<K>, extra: { id?: string; turnId?: string } = {}): EventMessage<K> =>
  ({ protocolVersion: '1.1', id: extra.id ?? `e${seq + 1}`, ts: TS, sessionId: 's1', type, from: 'orchestrator', seq: ++seq, ...(extra.turnId ? { turnId: extra.turnId } : {}), payload }) as unknown as EventMessage<K>;
const delta = (messageId: string, offset: number, text: string, turnId = 't1'): TransientMessage<'assistant_delta'> =>
  ({ protocolVersion: '1.1', id: `d${offset}`, ts: TS, sessionId: 's1', type: 'assistant_delta', from: 'orchestrator', turnId, payload: { messageId, offset, text } }) as TransientMessage<'assistant_delta'>;

const text = (s: ClientState, id: string): string | undefined => s.drafts.get(id)?.text;

describe('drafts of chat replies (assistant_delta)', () => {
  it('the test messages are valid protocol messages', () => {
    assert.ok(validateServerMessage(delta('e_9', 0, 'Hello')).ok);
    assert.ok(validateServerMessage(ev('assistant_message', { text: 'Hello' }, { id: 'e_9', turnId: 't1' })).ok);
  });

  it('pieces append in order; the stored reply with the same id replaces the draft', () => {
    const s = createClientState();
    assert.deepEqual(applyTransient(s, delta('e_9', 0, 'Hel')), [{ kind: 'draft', messageId: 'e_9' }]);
    applyTransient(s, delta('e_9', 3, 'lo, '));
    applyTransient(s, delta('e_9', 7, 'world'));
    assert.equal(text(s, 'e_9'), 'Hello, world');
    assert.equal(s.timeline.length, 0, 'a draft is not in the timeline');
    assert.equal(s.lastSeq, 0, 'pieces do not move the seq cursor');
    const changes = applyEvent(s, ev('assistant_message', { text: 'Hello, world!', format: 'markdown' }, { id: 'e_9', turnId: 't1' }));
    assert.deepEqual(changes, [{ kind: 'draft', messageId: 'e_9' }, { kind: 'message', seq: s.lastSeq }]);
    assert.equal(s.drafts.size, 0);
    assert.deepEqual(s.timeline.map((i) => (i.kind === 'task' ? i.key : [i.kind, i.id, i.text])), [['assistant', 'e_9', 'Hello, world!']]);
  });

  it('a piece that arrives after its stored message changes nothing', () => {
    const s = createClientState();
    applyEvent(s, ev('assistant_message', { text: 'done' }, { id: 'e_late' }));
    assert.deepEqual(applyTransient(s, delta('e_late', 0, 'do')), []);
    assert.equal(s.drafts.size, 0);
  });

  it('offset 0 is the whole text so far (the snapshot on going live): it replaces, and later pieces continue it', () => {
    const s = createClientState();
    applyTransient(s, delta('e_1', 0, 'Hello'));
    applyTransient(s, delta('e_1', 0, 'Hello, wor')); // reconnected: the server's snapshot
    applyTransient(s, delta('e_1', 10, 'ld'));
    assert.equal(text(s, 'e_1'), 'Hello, world');
  });

  it('a piece that overlaps what we hold adds only the new part', () => {
    const s = createClientState();
    applyTransient(s, delta('e_1', 0, 'Hello, wo'));
    applyTransient(s, delta('e_1', 7, 'world'));
    assert.equal(text(s, 'e_1'), 'Hello, world');
  });

  it('a missed piece marks a gap: the draft keeps what it has until a snapshot or the stored message', () => {
    const s = createClientState();
    applyTransient(s, delta('e_1', 0, 'Hello'));
    applyTransient(s, delta('e_1', 9, 'XX'));
    assert.deepEqual([text(s, 'e_1'), s.drafts.get('e_1')?.gap], ['Hello', true]);
    assert.deepEqual(applyTransient(s, delta('e_1', 11, 'YY')), [], 'nothing appended after a gap');
    applyTransient(s, delta('e_1', 0, 'Hello, worldXXYY'));
    assert.deepEqual([text(s, 'e_1'), s.drafts.get('e_1')?.gap], ['Hello, worldXXYY', false]);
  });

  it('joining mid-reply with a piece past the start: an empty draft with a gap (the person sees a reply is coming)', () => {
    const s = createClientState();
    applyTransient(s, delta('e_1', 40, 'tail'));
    assert.deepEqual(draftList(s).map((d) => [d.messageId, d.text, d.gap, d.turnId]), [['e_1', '', true, 't1']]);
  });

  it("the turn's done (or error) ends a draft that never got its stored message; other turns' drafts stay", () => {
    const s = createClientState();
    applyTransient(s, delta('e_1', 0, 'partial', 't1'));
    applyTransient(s, delta('e_2', 0, 'other', 't2'));
    applyEvent(s, ev('error', { error: { code: 'model_error', message: 'the model failed' } }, { turnId: 't1' }));
    assert.deepEqual([...s.drafts.keys()], ['e_2']);
    applyEvent(s, ev('done', {}, { turnId: 't3' }));
    assert.deepEqual([...s.drafts.keys()], ['e_2']);
    applyEvent(s, ev('done', {}, { turnId: 't2' }));
    assert.equal(s.drafts.size, 0);
  });

  it('clearDrafts (connection lost) drops every draft and reports each', () => {
    const s = createClientState();
    applyTransient(s, delta('e_1', 0, 'a'));
    applyTransient(s, delta('e_2', 0, 'b'));
    assert.deepEqual(clearDrafts(s), [{ kind: 'draft', messageId: 'e_1' }, { kind: 'draft', messageId: 'e_2' }]);
    assert.equal(s.drafts.size, 0);
  });

  it('a duplicate stored event (replay overlap) leaves the drafts alone', () => {
    const s = createClientState();
    const first = ev('assistant_message', { text: 'one' }, { id: 'e_a' });
    applyEvent(s, first);
    applyTransient(s, delta('e_b', 0, 'two'));
    applyEvent(s, first);
    assert.equal(text(s, 'e_b'), 'two');
  });
});
