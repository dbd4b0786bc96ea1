/**
 * Replies being written: `assistant_delta` pieces folded into drafts (`ClientState.drafts`). Drafts are
 * transient — never in the timeline, never deduplicated by seq: a piece at `offset` 0 is the whole text so
 * far (what a server sends a subscription that just went live), a piece at the draft's length appends, a
 * piece further on means one was missed (`gap`: keep what we have and wait for the stored message).
 */
import type { EventMessage, TransientMessage } from '../messages';
import type { ClientState, DraftView, StateChange } from './types';

/** Folds one transient message into the state; returns what changed. */
export function applyTransient(state: ClientState, m: TransientMessage): StateChange[] {
  switch (m.type) {
    case 'assistant_delta': {
      const { messageId, offset, text } = m.payload;
      let d = state.drafts.get(messageId);
      if (!d) {
        // A late piece of a reply whose message is already in the timeline changes nothing.
        if (hasMessage(state, messageId)) return [];
        d = { messageId, text: '', from: m.from, ts: m.ts, gap: offset > 0, ...(m.turnId ? { turnId: m.turnId } : {}) };
        state.drafts.set(messageId, d);
        if (offset > 0) return [{ kind: 'draft', messageId }];
      }
      if (offset === 0) {
        d.text = text;
        d.gap = false;
      } else if (d.gap) {
        return [];
      } else if (offset > d.text.length) {
        d.gap = true;
      } else {
        // offset ≤ length: a piece we partly have (resent after a snapshot) adds only what is new.
        d.text = d.text.slice(0, offset) + text;
      }
      return [{ kind: 'draft', messageId }];
    }
    default:
      return [];
  }
}

/** Is the message in the timeline? Newest first: a reply just stored is at the end. */
function hasMessage(state: ClientState, id: string): boolean {
  for (let i = state.timeline.length - 1; i >= 0; i--) {
    const item = state.timeline[i];
    if (item?.kind === 'assistant' && item.id === id) return true;
  }
  return false;
}

/** Drops every draft (the connection closed: the next subscription sends them again). */
export function clearDrafts(state: ClientState): StateChange[] {
  const changes: StateChange[] = [...state.drafts.keys()].map((messageId) => ({ kind: 'draft', messageId }));
  state.drafts.clear();
  return changes;
}

/** The drafts an event ends: its own (an `assistant_message` with the draft's id), or its turn's (`done`, `error`). */
export function endDrafts(state: ClientState, e: EventMessage): StateChange[] {
  const changes: StateChange[] = [];
  if (e.type === 'assistant_message') {
    if (state.drafts.delete(e.id)) changes.push({ kind: 'draft', messageId: e.id });
  } else if ((e.type === 'done' || e.type === 'error') && e.turnId !== undefined) {
    for (const d of [...state.drafts.values()]) {
      if (d.turnId !== e.turnId) continue;
      state.drafts.delete(d.messageId);
      changes.push({ kind: 'draft', messageId: d.messageId });
    }
  }
  return changes;
}

/** The drafts, oldest first (a surface shows them after the timeline). */
export const draftList = (state: ClientState): DraftView[] => [...state.drafts.values()];
