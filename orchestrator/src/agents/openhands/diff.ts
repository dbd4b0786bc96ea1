/**
 * The ticket's changes for `diff_ready`. OpenHands changes the working copy from inside its container
 * (editor and shell alike), so the diff is taken by git INSIDE that container — never host git on a
 * working copy a sandbox has written (its config and hooks are the agent's) — with fsmonitor, hooks,
 * external diff drivers and textconv off. Tracked changes against HEAD, plus untracked files.
 */
import { MAX_PATCH_LENGTH, type EventPayload } from '@pushpals/protocol';
import { parsePatch } from 'diff';

export const DIFF_SCRIPT = [
  'g() { git -c core.fsmonitor=false -c core.hooksPath=/dev/null -c diff.external= -c core.pager=cat -c core.quotePath=false "$@"; }',
  'g diff --no-color --no-ext-diff --no-textconv HEAD -- || exit 3',
  "g ls-files -z --others --exclude-standard | while IFS= read -r -d '' f; do g diff --no-color --no-ext-diff --no-textconv --no-index -- /dev/null \"$f\"; done",
  'exit 0',
].join('\n');

const strip = (f: string | undefined): string | undefined => (f === undefined || f === '/dev/null' ? undefined : f.replace(/^[ab]\//, '').split('\t')[0]);

/** A unified diff (git's) as the diff_ready payload; undefined when nothing changed. */
export function diffReadyPayload(taskId: string, diff: string): EventPayload<'diff_ready'> | undefined {
  if (!diff.trim()) return undefined;
  if (diff.length > MAX_PATCH_LENGTH) return undefined;
  const patches = parsePatch(diff);
  const files: string[] = [];
  const hunks: EventPayload<'diff_ready'>['hunks'] = [];
  patches.forEach((p, i) => {
    const file = strip(p.newFileName) ?? strip(p.oldFileName);
    if (!file) return;
    files.push(file);
    p.hunks.forEach((h, j) =>
      hunks.push({ hunkId: `h${i + 1}_${j + 1}`, file, oldStart: h.oldStart, oldLines: h.oldLines, newStart: h.newStart, newLines: h.newLines, header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@` }),
    );
  });
  if (!files.length) return undefined;
  return { taskId, diff, files, hunks };
}
