/**
 * What the server sends, as an older client sees it (protocol README: Versioning). A subscription of
 * the current minor sends the stored frame itself. For an older minor, a message whose type the
 * additions table touches is parsed, downgraded (`downgradeInPlace`: newer fields removed, newer
 * types withheld) and serialised ONCE per message and minor: the result hangs on the frame, so a live
 * batch broadcast to many clients of that minor costs one rewrite per event, not one per client.
 */
import { CURRENT_MINOR, downgradeInPlace, eventNeedsDowngrade } from '@pushpals/protocol';
import type { DraftFrame } from '../chat/drafts';
import type { StoredEvent } from '../events/event-log';

/** A frame shared by every client it is sent to, with its per-minor versions cached on it. */
interface SharedFrame {
  frame: string;
  encoded?: Buffer;
  byMinor?: Map<number, SharedFrame | null>;
}

function forMinor<T extends SharedFrame>(f: T, type: string, minor: number): T | undefined {
  if (minor >= CURRENT_MINOR || !eventNeedsDowngrade(type, minor)) return f;
  const cached = f.byMinor?.get(minor);
  if (cached !== undefined) return (cached ?? undefined) as T | undefined;
  const msg = JSON.parse(f.frame) as { type: string; payload?: unknown };
  const outcome = downgradeInPlace(msg, minor);
  const { encoded: _encoded, byMinor: _byMinor, ...rest } = f;
  const out = outcome === 'withheld' ? null : outcome === 'unchanged' ? f : ({ ...rest, frame: JSON.stringify(msg) } as unknown as T);
  (f.byMinor ??= new Map()).set(minor, out);
  return out ?? undefined;
}

/** `e` for a client of `minor`: itself, a rewritten copy, or undefined (that minor does not know it: send nothing). */
export const eventForMinor = (e: StoredEvent, minor: number): StoredEvent | undefined => forMinor(e, e.type, minor);

/** A piece of a reply being written (`assistant_delta`) for a client of `minor`, the same way. */
export const draftForMinor = (d: DraftFrame, minor: number): DraftFrame | undefined => forMinor(d, 'assistant_delta', minor);
