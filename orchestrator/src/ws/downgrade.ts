/**
 * Stored events as an older client sees them (protocol README: Versioning). A subscription of the
 * current minor sends the stored frame itself. For an older minor, an event whose type the additions
 * table touches is parsed, downgraded (`downgradeInPlace`: newer fields removed, newer types withheld)
 * and serialised ONCE per event and minor: the result hangs on the StoredEvent, so a live batch
 * broadcast to many clients of that minor costs one rewrite per event, not one per client.
 */
import { CURRENT_MINOR, downgradeInPlace, eventNeedsDowngrade } from '@pushpals/protocol';
import type { StoredEvent } from '../events/event-log';

/** `e` for a client of `minor`: itself, a rewritten copy, or undefined (that minor does not know it: send nothing). */
export function eventForMinor(e: StoredEvent, minor: number): StoredEvent | undefined {
  if (minor >= CURRENT_MINOR || !eventNeedsDowngrade(e.type, minor)) return e;
  const cached = e.byMinor?.get(minor);
  if (cached !== undefined) return cached ?? undefined;
  const msg = JSON.parse(e.frame) as { type: string; payload?: unknown };
  const outcome = downgradeInPlace(msg, minor);
  const out = outcome === 'withheld' ? null : outcome === 'unchanged' ? e : { seq: e.seq, type: e.type, sessionId: e.sessionId, taskId: e.taskId, frame: JSON.stringify(msg) };
  (e.byMinor ??= new Map()).set(minor, out);
  return out ?? undefined;
}
