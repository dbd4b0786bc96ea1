/**
 * Drafts of replies being written (src/chat/drafts.ts): pieces are coalesced by time and size, each
 * frame is a valid `assistant_delta` with contiguous offsets, a snapshot is the text so far at offset 0,
 * and a closed draft sends nothing more.
 */
import assert from 'node:assert/strict';
import { MAX_TEXT_LENGTH, validateServerMessage, type TransientMessage } from '@pushpals/protocol';
import { DraftHub, type DraftFrame } from '../../src/chat/drafts';
import { sleep, until } from '../helpers/wait';

const parse = (f: DraftFrame): TransientMessage<'assistant_delta'> => {
  const m: unknown = JSON.parse(f.frame);
  const r = validateServerMessage(m);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return m as TransientMessage<'assistant_delta'>;
};

describe('chat drafts (assistant_delta pieces)', () => {
  let hub: DraftHub;
  let sent: DraftFrame[];
  let stop: () => void;
  beforeEach(() => {
    hub = new DraftHub({ minIntervalMs: 40, minChars: 64 });
    sent = [];
    stop = hub.onDelta((f) => sent.push(f));
  });
  afterEach(() => stop());

  it('the first piece goes at once; pieces within the interval wait and go together', async () => {
    const d = hub.start({ sessionId: 's1', turnId: 't1' });
    d.push('Hel');
    assert.equal(sent.length, 1, 'nothing sent recently: at once');
    d.push('lo');
    d.push(', wo');
    assert.equal(sent.length, 1, 'within the interval: waits');
    await until(() => sent.length === 2, 15_000, 'the coalesced piece');
    const [a, b] = sent.map(parse);
    assert.deepEqual([a?.payload.offset, a?.payload.text, b?.payload.offset, b?.payload.text], [0, 'Hel', 3, 'lo, wo']);
    assert.equal(a?.payload.messageId, d.messageId);
    assert.equal(a?.turnId, 't1');
    assert.equal(a?.sessionId, 's1');
    d.close();
  });

  it('64 waiting characters go at once, without waiting for the interval', () => {
    const d = hub.start({ sessionId: 's1' });
    d.push('x');
    d.push('y'.repeat(70));
    assert.equal(sent.length, 2);
    assert.equal(parse(sent[1]!).payload.text.length, 70);
    d.close();
  });

  it('close drops what waits and sends nothing more; the hub forgets the draft', async () => {
    const d = hub.start({ sessionId: 's1' });
    d.push('a');
    d.push('b');
    assert.equal(hub.openCount, 1);
    d.close();
    d.push('c');
    await sleep(80);
    assert.deepEqual(sent.map((f) => parse(f).payload.text), ['a']);
    assert.equal(hub.openCount, 0);
  });

  it('snapshot: each open draft of the session with its text so far at offset 0; other sessions, empty drafts and closed drafts are left out', () => {
    const mine = hub.start({ sessionId: 's1' });
    const other = hub.start({ sessionId: 's2' });
    hub.start({ sessionId: 's1' }); // nothing written yet
    mine.push('Hello');
    mine.flush();
    mine.push(', world');
    mine.flush();
    other.push('elsewhere');
    const snap = hub.snapshot({ sessionId: 's1' }).map(parse);
    assert.deepEqual(snap.map((m) => [m.payload.messageId, m.payload.offset, m.payload.text]), [[mine.messageId, 0, 'Hello, world']]);
    assert.equal(hub.snapshot({}).length, 2, 'an unfiltered subscription sees every session');
    assert.equal(hub.snapshot({ sessionId: 's1', taskId: 'task_1' }).length, 0, 'drafts belong to no task');
    mine.close();
    assert.equal(hub.snapshot({ sessionId: 's1' }).length, 0);
  });

  it('a draft never grows past the text limit of the stored reply', () => {
    const d = hub.start({ sessionId: 's1' });
    d.push('z'.repeat(MAX_TEXT_LENGTH - 10));
    d.push('0123456789abcdef');
    d.push('more');
    d.flush();
    const total = sent.map(parse).reduce((n, m) => n + m.payload.text.length, 0);
    assert.equal(total, MAX_TEXT_LENGTH);
    assert.equal(d.sentText.length, MAX_TEXT_LENGTH);
    d.close();
  });

  it('a listener that throws does not stop the others', () => {
    const seen: string[] = [];
    const off1 = hub.onDelta(() => {
      throw new Error('broken connection');
    });
    const off2 = hub.onDelta((f) => seen.push(f.messageId));
    const d = hub.start({ sessionId: 's1' });
    d.push('hi');
    assert.deepEqual(seen, [d.messageId]);
    off1();
    off2();
    d.close();
  });
});
