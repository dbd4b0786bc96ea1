/**
 * What the events and reply pieces say, for the chat: the host's messages folded with the protocol's
 * shared reducer — stored events into the timeline and tasks, `assistant_delta` pieces into drafts (a
 * reply being written, shown after the timeline until its stored message replaces it). Pure (no DOM):
 * unit-tested under Node.
 */
import type { EventMessage } from '@pushpals/protocol/client';
import { applyEvents, applyTransient, clearDrafts, createClientState, type ClientState } from '@pushpals/protocol/state';
import type { HostToWebview } from './messages';

/**
 * Applies one host message. Returns the state to use from now on (a new one after `init` or `reset`)
 * and whether anything the chat shows changed. Messages about requests and focus change nothing here.
 */
export function applyHostMessage(state: ClientState, m: HostToWebview): { state: ClientState; changed: boolean } {
  switch (m.type) {
    case 'init': {
      const s = createClientState();
      applyEvents(s, m.events);
      // A draft whose message the history already holds is over (a race between the two): leave it out.
      const stored = new Set(s.timeline.map((i) => (i.kind === 'task' ? '' : i.id)));
      for (const d of m.drafts ?? []) if (!stored.has(d.messageId)) s.drafts.set(d.messageId, { ...d });
      return { state: s, changed: true };
    }
    case 'events':
      return { state, changed: applyEvents(state, m.events as EventMessage[]).length > 0 };
    case 'transient':
      return { state, changed: applyTransient(state, m.message).length > 0 };
    case 'reset':
      return { state: createClientState(), changed: true };
    case 'connection':
      // Drafts live with the connection: the next subscription sends the ones still being written.
      if (m.connection.state !== 'connected') clearDrafts(state);
      return { state, changed: true };
    default:
      return { state, changed: false };
  }
}
