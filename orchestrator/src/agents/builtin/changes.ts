/**
 * What the coding agent changed through its file tools: each file's content before the first change,
 * and, at the end, a unified diff against the current content for `diff_ready`.
 */
import { createTwoFilesPatch, parsePatch } from 'diff';
import type { EventPayload } from '@pushpals/protocol';
import type { WorkspaceFs } from './workspace-fs';

export class ChangeTracker {
  /** rel path → content before the agent's first change (undefined: the file did not exist). */
  private readonly originals = new Map<string, string | undefined>();

  constructor(
    private readonly wfs: WorkspaceFs,
    /** Told about each file's original once (persisted: a resumed run still diffs against it). */
    private readonly onFirstChange?: (rel: string, original: string | undefined) => void,
  ) {}

  /** Call before changing `rel`; only the first call per file counts. */
  remember(rel: string, original: string | undefined): void {
    if (this.originals.has(rel)) return;
    this.originals.set(rel, original);
    this.onFirstChange?.(rel, original);
  }

  /** Originals of an earlier run of the same task (resumed after a restart). */
  restore(originals: ReadonlyMap<string, string | undefined>): void {
    for (const [rel, original] of originals) if (!this.originals.has(rel)) this.originals.set(rel, original);
  }

  /** Each changed file's content now (undefined: deleted); unchanged files are left out. */
  current(): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    for (const [rel, before] of [...this.originals].sort((a, b) => a[0].localeCompare(b[0]))) {
      const after = this.read(rel);
      if (after !== before) out.set(rel, after);
    }
    return out;
  }

  private read(rel: string): string | undefined {
    try {
      return this.wfs.readIfExists(rel);
    } catch {
      return undefined; // replaced by something unreadable (a symlink, a directory): shown as deleted
    }
  }

  /** Each remembered file as it was before the agent's first change (null: it did not exist). */
  before(): Map<string, string | null> {
    return new Map([...this.originals].map(([p, c]) => [p, c ?? null]));
  }

  /** The diff of every remembered file that differs now; undefined when nothing does. */
  diff(taskId: string): EventPayload<'diff_ready'> | undefined {
    return diffPayload(taskId, [...this.originals].map(([rel, before]) => ({ path: rel, before, after: this.read(rel) })));
  }
}

/** One file's change: its content before and after (undefined: it does not exist on that side); `oldPath`: a rename's content before. */
export interface FileChange {
  path: string;
  oldPath?: string;
  before: string | undefined;
  after: string | undefined;
}

/**
 * The `diff_ready` payload for these files (unchanged ones left out, in path order): one unified diff
 * with 3 lines of context and its hunks, numbered per file. Undefined when nothing changed.
 */
export function diffPayload(taskId: string, changes: readonly FileChange[]): EventPayload<'diff_ready'> | undefined {
  const patches: string[] = [];
  const files: string[] = [];
  for (const { path: rel, oldPath, before, after } of [...changes].sort((a, b) => a.path.localeCompare(b.path))) {
    if (after === before) continue;
    patches.push(createTwoFilesPatch(before === undefined ? '/dev/null' : `a/${oldPath ?? rel}`, after === undefined ? '/dev/null' : `b/${rel}`, before ?? '', after ?? '', undefined, undefined, { context: 3 }));
    files.push(rel);
  }
  if (!files.length) return undefined;
  const diff = patches.join('');
  const hunks = parsePatch(diff).flatMap((p, i) =>
    p.hunks.map((h, j) => ({
      hunkId: `h${i + 1}_${j + 1}`,
      file: files[i] as string,
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
    })),
  );
  return { taskId, diff, files, hunks };
}
