/**
 * Bringing a reviewed result into the person's working tree: a three-way merge (node-diff3) of what
 * they have now ("ours") with the result ("theirs") against the base the diff was made from. Never a
 * silent overwrite: a change of theirs where they changed the same lines comes back with conflict
 * markers for them to resolve. Pure: no vscode import.
 */

export type MergeStatus = 'applied' | 'unchanged' | 'conflict' | 'deleted' | 'refused';

export interface MergeResult {
  status: MergeStatus;
  /** What the file should contain now (null: delete it); undefined: leave it as it is. */
  content?: string | null;
  /** Why a file is left alone (`refused`). */
  reason?: string;
}

/** null = the file does not exist (in the base, in the checkout, in the result). */
export async function threeWay(ours: string | null, base: string | null, theirs: string | null, theirsLabel: string): Promise<MergeResult> {
  if (theirs === base || ours === theirs) return { status: 'unchanged' };
  if (ours === base) return theirs === null ? { status: 'deleted', content: null } : { status: 'applied', content: theirs };
  if (theirs === null) return { status: 'refused', reason: 'the change deletes this file, but your copy has edits of its own: delete it yourself if you agree' };
  if (ours === null) return { status: 'refused', reason: 'you deleted this file; the change edits it: restore it first if you want the change' };
  // node-diff3 is ESM (bundled by esbuild): imported where it is needed.
  const { merge } = await import('node-diff3');
  const r = merge(ours.split('\n'), (base ?? '').split('\n'), theirs.split('\n'), { label: { a: 'your checkout', b: theirsLabel } });
  return { status: r.conflict ? 'conflict' : 'applied', content: r.result.join('\n') };
}

/** True when `text` still holds a conflict block (`<<<<<<<` … `>>>>>>>` at line starts): not a finished merge. */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7}( |$)/m.test(text) && /^>{7}( |$)/m.test(text);
}
