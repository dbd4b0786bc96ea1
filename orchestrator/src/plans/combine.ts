/**
 * Combining a plan's results: the order (each ticket after everything it depends on; the planner's
 * order otherwise) and the stack itself — each result applied onto the one before as a cherry-pick,
 * so the combined result is a straight line of one commit per ticket. Each layer's head is kept: the
 * checks attribute a failure to the first layer whose head fails (plans/verify.ts).
 */
import { PushPalsError } from '../errors';
import { applyCommit } from '../git/commits';
import type { TicketRecord } from './plan-store';

/** One ticket's result on the stack: the commit that holds the stack up to and with it. */
export interface Layer {
  ticket: TicketRecord;
  head: string;
}

/** A result that did not apply onto the stack: what `onConflict` is told. */
export interface ConflictInfo {
  ticket: TicketRecord;
  /** The stack's head it did not apply onto. */
  head: string;
  files: string[];
  message: string;
}

/**
 * The tickets in combine order: a topological order of their dependencies, ties broken by ordinal.
 * Ordinals are topological by construction (a plan's tickets are stored in dependency order, a
 * split's after the asking ticket); this holds even when they are not. Dependencies outside the list
 * are ignored; a cycle (impossible after plan-schema's check) keeps the remaining tickets by ordinal.
 */
export function combineOrder<T extends Pick<TicketRecord, 'taskId' | 'ordinal' | 'dependsOn'>>(tickets: readonly T[]): T[] {
  const pending = [...tickets].sort((a, b) => a.ordinal - b.ordinal);
  const inList = new Set(pending.map((t) => t.taskId));
  const done = new Set<string>();
  const out: T[] = [];
  while (pending.length) {
    const i = pending.findIndex((t) => t.dependsOn.every((d) => done.has(d) || !inList.has(d)));
    const [next] = pending.splice(i < 0 ? 0 : i, 1) as [T];
    out.push(next);
    done.add(next.taskId);
  }
  return out;
}

const bare = (title: string) => title.replace(/^\S+: /, '');
export const layerMessage = (t: Pick<TicketRecord, 'key' | 'title' | 'taskId'>): string => `${t.key}: ${bare(t.title)}\n\nTicket ${t.taskId} (PushPals).`;

/**
 * Applies each ticket's result (in the given order; tickets without one add nothing) onto `base`.
 * A result that does not apply goes to `onConflict`, which returns a commit to stand in its place
 * (a fix-up's result: its parent is the head it was given, so it applies as it is) or undefined
 * (left out, reported by the caller). Other errors propagate.
 */
export async function stackResults(
  mirror: string,
  base: string,
  tickets: readonly TicketRecord[],
  onConflict: (c: ConflictInfo) => Promise<{ ticket: TicketRecord; commit: string } | undefined>,
): Promise<{ head: string; layers: Layer[] }> {
  let head = base;
  const layers: Layer[] = [];
  for (const t of tickets) {
    if (!t.resultCommit) continue;
    try {
      head = await applyCommit(mirror, head, t.resultCommit, layerMessage(t));
      layers.push({ ticket: t, head });
    } catch (e) {
      if (!(e instanceof PushPalsError) || e.code !== 'conflict') throw e;
      const files = Array.isArray(e.details?.files) ? (e.details.files as string[]) : [];
      const stand = await onConflict({ ticket: t, head, files, message: e.message });
      if (!stand) continue;
      head = await applyCommit(mirror, head, stand.commit, layerMessage(stand.ticket));
      layers.push({ ticket: stand.ticket, head });
    }
  }
  return { head, layers };
}
